/**
 * Kernel sources rewritten for gpu.js's GL backends (webgl, headlessgl); webasm and cpu run
 * the sources as written. Two things in them trip gpu.js's GLSL translation:
 *
 * - `(expr | 0)`: the programs write integer indices so for the webasm backend to compute
 *   them in i32. GLSL types `|` as int, which does not mix with the float arithmetic around
 *   it: the shader fails to compile or reads the wrong texels. Every index is non-negative,
 *   so it becomes Math.floor(expr).
 * - a read used inside another read's index (`x[i + xi[k]]`): gpu.js hoists it into a
 *   variable named hoisted_<n>_kernel, numbered per statement, so two such statements in one
 *   block declare the same name twice. Each such line (an assignment, never a declaration)
 *   gets a block of its own.
 */
export function glSource(source: string): string {
  return source
    .split('\n')
    .map((line) => {
      const floored = floorIntegerGroups(line);
      const t = floored.trim();
      return nestedRead(t) && !/^(let|const|return)\b/.test(t) ? `{ ${floored} }` : floored;
    })
    .join('\n');
}

function floorIntegerGroups(line: string): string {
  let out = line;
  for (let end = out.indexOf(' | 0)'); end >= 0; end = out.indexOf(' | 0)')) {
    let depth = 0; // walk back to the '(' that opens this group, over balanced brackets
    let start = end - 1;
    for (; start >= 0; start--) {
      const ch = out[start];
      if (ch === ')' || ch === ']') depth++;
      else if (ch === '[') depth--;
      else if (ch === '(') {
        if (depth === 0) break;
        depth--;
      }
    }
    if (start < 0) throw new Error('glSource: a `| 0)` group with no opening parenthesis on its line');
    out = `${out.slice(0, start)}Math.floor(${out.slice(start + 1, end)})${out.slice(end + ' | 0)'.length)}`;
  }
  return out;
}

/** Whether a '[' opens while another is still open. */
function nestedRead(line: string): boolean {
  let depth = 0;
  for (const ch of line) {
    if (ch === '[') {
      if (depth > 0) return true;
      depth++;
    } else if (ch === ']') depth--;
  }
  return false;
}
