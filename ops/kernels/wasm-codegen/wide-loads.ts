/**
 * An extension of gpu.js 2.24's WebAssembly backend that gives kernels wide loads.
 *
 * Stock `kernel_simd` reads every lane-varying array element through one gather (clamp the
 * 4 indices, 4 lane extracts, 4 scalar loads, 4 lane inserts), even where the index is
 * `uniform + thread.x`, i.e. 4 consecutive floats. Here:
 *  - a read whose index is statically affine in thread.x with lane stride 1 (through
 *    literals, uniform terms, `| 0` and locals only ever assigned such values) becomes one
 *    `v128.load`, behind a run-time check that the 4 lane indices really are consecutive and
 *    in bounds; otherwise the stock clamped gather runs. The wide load therefore reads
 *    exactly the 4 floats the gather would: results are bitwise identical to stock gpu.js.
 *  - a uniform scalar read whose value is splatted at once becomes `v128.load32_splat`.
 *  - f32 -> i32 conversions (index math such as `(rb | 0)`) use the lane-wise saturating
 *    truncation on a splat: the same result, but V8 lowers the scalar form to a branch
 *    diamond at every use and the vector form branch-free.
 *
 * Why an extension and not a patch: gpu.js's GPU picks its kernel class from the public
 * `gpu.Kernel` field, and the backend's function node is an ordinary class, so a subclass
 * (`WideWasmKernel`) can be installed per GPU instance from this package. Nothing under
 * node_modules is edited, so it reaches anyone who installs epsx; when gpu.js's internals
 * are not what this expects (another version), `wideWasmKernel()` returns null and the
 * stock backend runs.
 */
import { createRequire } from 'node:module';
import { uleb } from '../wasm-copy.js';

const require = createRequire(import.meta.url);

/* eslint-disable @typescript-eslint/no-explicit-any -- gpu.js internals are untyped */
type Ast = any;
type Emitter = any;

interface Layout { offset: number; flatLength: number }

/** Lane coefficient of an index: `thread.x` counts 1, uniform terms 0; null when not affine. */
function laneCoef(node: any, ast: Ast, locals: Map<string, number | null>): number | null {
  switch (ast.type) {
    case 'Literal':
      return typeof ast.value === 'number' ? 0 : null;
    case 'MemberExpression': {
      const sig = node.getVariableSignature(ast);
      if (sig === 'this.thread.value' || sig === 'value.thread.value') return ast.property.name === 'x' ? 1 : 0;
      return node.isThreadDependent(ast) ? null : 0;
    }
    case 'Identifier':
      return locals.has(ast.name) ? locals.get(ast.name)! : node.isThreadDependent(ast) ? null : 0;
    case 'BinaryExpression': {
      const a = laneCoef(node, ast.left, locals);
      const b = laneCoef(node, ast.right, locals);
      if (a === null || b === null) return null;
      switch (ast.operator) {
        case '+': return a + b;
        case '-': return a - b;
        case '|': return ast.right.type === 'Literal' && ast.right.value === 0 ? a : null;
        case '*':
          if (a === 0 && b === 0) return 0;
          if (ast.left.type === 'Literal') return ast.left.value * b;
          if (ast.right.type === 'Literal') return a * ast.right.value;
          return null;
        default: return a === 0 && b === 0 ? 0 : null;
      }
    }
    case 'UnaryExpression': {
      const a = laneCoef(node, ast.argument, locals);
      return a === null ? null : ast.operator === '+' ? a : ast.operator === '-' ? -a : null;
    }
    default:
      return node.isThreadDependent(ast) ? null : 0;
  }
}

/** Locals of the kernel whose every value has one lane coefficient (e.g. `wk = thread.x; wk += K`). */
function localCoefs(node: any): Map<string, number | null> {
  const defs = new Map<string, Array<{ op: string; value: Ast | null }>>();
  const add = (name: string, op: string, value: Ast | null): void => {
    if (!defs.has(name)) defs.set(name, []);
    defs.get(name)!.push({ op, value });
  };
  const walk = (ast: Ast): void => {
    if (!ast || typeof ast !== 'object') return;
    if (Array.isArray(ast)) return ast.forEach(walk);
    if (ast.type === 'VariableDeclarator' && ast.id.type === 'Identifier') add(ast.id.name, '=', ast.init);
    if (ast.type === 'AssignmentExpression' && ast.left.type === 'Identifier') add(ast.left.name, ast.operator, ast.right);
    if (ast.type === 'UpdateExpression' && ast.argument.type === 'Identifier') add(ast.argument.name, '+=', null);
    for (const key in ast) if (key !== 'parent' && key !== 'loc') walk(ast[key]);
  };
  walk(node.getJsAST());
  // Assume every candidate holds the coefficient of its first definition, then drop the
  // ones some definition contradicts, until nothing changes.
  const coefs = new Map<string, number | null>();
  for (const name of defs.keys()) coefs.set(name, 0);
  for (const [name, list] of defs) {
    const first = list[0]!.value;
    coefs.set(name, first ? laneCoef(node, first, new Map()) : null);
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (const [name, list] of defs) {
      const c = coefs.get(name);
      if (c === null) continue;
      const ok = list.every(({ op, value }) => {
        const v = value === null ? 0 : laneCoef(node, value, coefs);
        return op === '=' ? v === c : (op === '+=' || op === '-=') && v === 0;
      });
      if (!ok) {
        coefs.set(name, null);
        changed = true;
      }
    }
  }
  return coefs;
}

/** Math functions whose result is an integer (gpu.js types them Integer). */
const INTEGER_MATH = new Set(['floor', 'ceil', 'trunc']);

/** Whether `ast` has an integer value whenever `ints` (locals) do: integer literals
 * (written without a point), thread ids, `+ - *` of such, bitwise operators, Math.floor. */
function integral(ast: Ast, ints: ReadonlySet<string>): boolean {
  switch (ast.type) {
    case 'Literal':
      return typeof ast.value === 'number' && Number.isInteger(ast.value) && !/[.eE]/.test(String(ast.raw ?? ast.value));
    case 'Identifier':
      return ints.has(ast.name);
    case 'MemberExpression':
      return !ast.computed && ast.object.type === 'MemberExpression' && ast.object.object.type === 'ThisExpression' &&
        ast.object.property.name === 'thread' && ['x', 'y', 'z'].includes(ast.property.name);
    case 'BinaryExpression':
      if (['|', '&', '^', '<<', '>>', '>>>'].includes(ast.operator)) return true;
      return ['+', '-', '*'].includes(ast.operator) && integral(ast.left, ints) && integral(ast.right, ints);
    case 'UnaryExpression':
      return (ast.operator === '-' || ast.operator === '+') && integral(ast.argument, ints);
    case 'CallExpression':
      return ast.callee.type === 'MemberExpression' && ast.callee.object.type === 'Identifier' && ast.callee.object.name === 'Math' &&
        INTEGER_MATH.has(ast.callee.property.name);
    default:
      return false;
  }
}

/**
 * Locals that only ever hold integers: every definition (declaration, `=`, `+=`, `-=`, `*=`,
 * `++`, `--`) is integral given the others (the largest such set, by elimination). Stock gpu.js
 * declares an integer-initialised local f32, so index math runs in f32 and converts at every
 * array read; these are declared i32 instead. The values are the same while they stay below
 * 2^24 in magnitude, where f32 is exact: the kernels' `...Fits` guards keep every index there.
 */
function integralLocals(node: any): Set<string> {
  const defs = new Map<string, Array<Ast | null>>();
  const add = (name: string, value: Ast | null): void => {
    if (!defs.has(name)) defs.set(name, []);
    defs.get(name)!.push(value);
  };
  const never = { type: 'Never' };
  const walk = (ast: Ast): void => {
    if (!ast || typeof ast !== 'object') return;
    if (Array.isArray(ast)) return ast.forEach(walk);
    if (ast.type === 'VariableDeclarator' && ast.id.type === 'Identifier') add(ast.id.name, ast.init ?? never);
    if (ast.type === 'AssignmentExpression' && ast.left.type === 'Identifier')
      add(ast.left.name, ['=', '+=', '-=', '*='].includes(ast.operator) ? ast.right : never);
    if (ast.type === 'UpdateExpression' && ast.argument.type === 'Identifier') add(ast.argument.name, null);
    for (const key in ast) if (key !== 'parent' && key !== 'loc') walk(ast[key]);
  };
  walk(node.getJsAST());
  const args: string[] = node.argumentNames ?? [];
  const ints = new Set([...defs.keys()].filter((name) => !args.includes(name)));
  for (let changed = true; changed; ) {
    changed = false;
    for (const name of [...ints]) {
      if (defs.get(name)!.every((v) => v === null || integral(v, ints))) continue;
      ints.delete(name);
      changed = true;
    }
  }
  return ints;
}

/** Identifiers read in `ast`. */
function identifiers(ast: Ast, out: string[] = []): string[] {
  if (!ast || typeof ast !== 'object') return out;
  if (Array.isArray(ast)) {
    ast.forEach((a) => identifiers(a, out));
    return out;
  }
  if (ast.type === 'Identifier') out.push(ast.name);
  if (ast.type === 'MemberExpression' && !ast.computed) return identifiers(ast.object, out);
  for (const key in ast) if (key !== 'parent' && key !== 'loc') identifiers(ast[key], out);
  return out;
}

/** The extended function node class, built on the stock one. */
function wideNodeClass(Base: any): any {
  return class WideWasmFunctionNode extends Base {
    _laneCoefs?: Map<string, number | null>;
    _loadEnd = -1;
    _loadOffset = 0;

    _ints?: Set<string>;

    /** Integer-valued locals (integralLocals), computed once per node. */
    ints(): Set<string> {
      return (this._ints ??= integralLocals(this));
    }

    stmtVariableDeclaration(varDecNode: Ast): void {
      const ints = this.ints();
      for (const d of varDecNode.declarations ?? []) {
        const single = { ...varDecNode, declarations: [d] };
        const type = d.init && d.id.type === 'Identifier' && ints.has(d.id.name) ? this.getType(d.init) : null;
        if (type !== 'Integer' && type !== 'LiteralInteger') {
          super.stmtVariableDeclaration(single);
          continue;
        }
        // stock: an integer initialiser makes an f32 local; an i32 one keeps index math in i32
        this.getDeclaration(d.id).valueType = 'Integer';
        this.setScalarLocal(d.id.name, 'i32', 'Integer', () => this.emitIndex(d.init));
        if (this.assembler) emitted.intLocals++;
        if (this.isThreadDependent(d.init)) this.taintedLocals.add(d.id.name);
      }
    }

    vDeclareVarying(declaration: Ast, varDecNode: Ast): void {
      const type = declaration.id.type === 'Identifier' && this.ints().has(declaration.id.name) ? this.getType(declaration.init) : null;
      if (type !== 'Integer' && type !== 'LiteralInteger') return super.vDeclareVarying(declaration, varDecNode);
      this.getDeclaration(declaration.id).valueType = 'Integer';
      this.vSetVaryingScalar(declaration.id.name, 'vi32', 'Integer', () => this.vEmitIndex(declaration.init));
      emitted.intLocals++;
    }

    vGather(table: string, name: string, xProperty: Ast, yProperty: Ast, zProperty: Ast, mNode: Ast): string {
      const layout: Layout | undefined = this.assembler?.layout?.[table]?.[name];
      if (yProperty || zProperty || !layout || layout.flatLength < 4) return super.vGather(table, name, xProperty, yProperty, zProperty, mNode);
      this._laneCoefs ??= localCoefs(this);
      if (laneCoef(this, xProperty, this._laneCoefs) !== 1) return super.vGather(table, name, xProperty, yProperty, zProperty, mNode);
      const em: Emitter = this.em;
      const idx = em.addLocal('v128');
      const s = em.addLocal('i32');
      if (this.getType(xProperty) === 'Integer' && integral(xProperty, this.ints()) && identifiers(xProperty).every((n) => !this.vInfo.varying.has(n))) {
        // uniform i32 terms + thread.x: the lanes are s..s+3 exactly (no lane-varying local,
        // which a divergent branch could have set per lane), only bounds need a check; lane
        // 0's index is the scalar expression (thread.x reads the quad's first x)
        this.emitIndex(xProperty);
        em.localTee(s);
        em.i32Const(layout.flatLength - 4).i32LeU();
        return this.wideElseGather(s, idx, layout, () => em.localGet(s).i32x4Splat().v128ConstI32x4(0, 1, 2, 3).i32x4Add());
      }
      this.vEmitIndex(xProperty);
      em.localTee(idx).i32x4ExtractLane(0).localTee(s);
      // lanes s..s+3 in bounds (unsigned compare also rejects s < 0) and consecutive
      em.i32Const(layout.flatLength - 4).i32LeU();
      em.localGet(idx).localGet(s).i32x4Splat().v128ConstI32x4(0, 1, 2, 3).i32x4Add().i32x4Eq().i32x4AllTrue();
      em.i32And();
      return this.wideElseGather(s, idx, layout, () => em.localGet(idx));
    }

    /**
     * With the wide-load condition on the stack: one v128.load at lane 0's index `s`, else the
     * stock gather from the lane indices `lanes` leaves on the stack (each clamped into the
     * array, then 4 scalar loads), kept in local `idx`.
     */
    wideElseGather(s: number, idx: number, layout: Layout, lanes: () => void): string {
      const em: Emitter = this.em;
      em.if_('v128');
      em.localGet(s).i32Const(2).i32Shl().v128Load(layout.offset, 2);
      em.else_();
      lanes();
      this.vZero();
      em.i32x4MaxS();
      const max = layout.flatLength - 1;
      em.v128ConstI32x4(max, max, max, max).i32x4MinS().localSet(idx);
      em.localGet(idx).i32x4ExtractLane(0).i32Const(2).i32Shl().f32Load(layout.offset).f32x4Splat();
      for (let lane = 1; lane < 4; lane++) em.localGet(idx).i32x4ExtractLane(lane).i32Const(2).i32Shl().f32Load(layout.offset).f32x4ReplaceLane(lane);
      em.end();
      emitted.wide++;
      return 'vf32';
    }

    emitFlatLoad(table: string, name: string, xProperty: Ast, yProperty: Ast, zProperty: Ast, mNode: Ast): string {
      const type = super.emitFlatLoad(table, name, xProperty, yProperty, zProperty, mNode);
      if (this.vec && this.assembler) {
        this._loadEnd = this.em.bytes.length;
        this._loadOffset = this.assembler.layout[table][name].offset;
      }
      return type;
    }

    /** Root return of `[e0, ..., e(n-1)]`, n = 5..16 (wideReturn): component c of the cell
     * at data_index goes to output float data_index * n + c, as stock does for n <= 4. */
    stmtRootReturn(ast: Ast, type: string): void {
      const n = wideReturn(this.returnType);
      if (n === 0) return super.stmtRootReturn(ast, type);
      const elements = this.wideElements(ast, n);
      const dataIndex = this.assembler ? this.assembler.globals.dataIndex : 0;
      const outputOffset = this.assembler ? this.assembler.layout.outputOffset : 0;
      for (let c = 0; c < n; c++) {
        this.emitComponentAddress(dataIndex, n, c);
        this.emitArrayElement(elements[c]);
        this.em.f32Store(outputOffset);
      }
      this.em.return_();
    }

    vstmtReturn(ast: Ast): void {
      const n = ast.argument ? wideReturn(this.returnType) : 0;
      if (n === 0) return super.vstmtReturn(ast);
      const elements = this.wideElements(ast, n);
      const comps: number[] = [];
      for (let c = 0; c < n; c++) {
        const t = this.em.addLocal('v128');
        this.vEmitArrayElement(elements[c]);
        this.em.localSet(t);
        comps.push(t);
      }
      this.vStoreOutput(comps); // stock: lane-strided stores of any component count
      this.vRetireOrReturn();
    }

    /** The n elements of a wide return, which must be an array literal. */
    wideElements(ast: Ast, n: number): Ast[] {
      const arg = ast.argument;
      if (arg?.type !== 'ArrayExpression' || arg.elements.length !== n) throw this.astErrorOutput(`a return of ${this.returnType} must be an array literal of ${n} elements`, ast);
      return arg.elements;
    }

    coerce(from: string, to: string): string {
      if (this.vec && from === 'f32' && to === 'i32') {
        // i32.trunc_sat_f32_s lane-wise: the same saturating truncation, but V8 lowers the
        // vector form branch-free (the scalar one is a diagnostic diamond at every use)
        this.em.f32x4Splat().i32x4TruncSatF32x4S().i32x4ExtractLane(0);
        return 'i32';
      }
      return super.coerce(from, to);
    }

    vCoerce(from: string, to: string): string {
      const em: Emitter = this.em;
      if (from === 'f32' && to === 'vf32' && this._loadEnd === em.bytes.length) {
        // the f32.load just emitted (0x2a, align 2, offset) becomes v128.load32_splat
        const load = [0x2a, 2];
        uleb(this._loadOffset, load);
        const tail: number[] = em.bytes.slice(em.bytes.length - load.length);
        if (tail.every((b, i) => b === load[i])) {
          em.bytes.length -= load.length;
          const splat = [0xfd, 0x09, 2];
          uleb(this._loadOffset, splat);
          em._push(splat);
          this._loadEnd = -1;
          emitted.splat++;
          return to;
        }
      }
      return super.vCoerce(from, to);
    }
  };
}

/** Widest return this extension stores (stock gpu.js stops at 4 floats per thread). */
export const MAX_COMPONENTS = 16;

/** n when `type` is `Array(n)` with 4 < n <= MAX_COMPONENTS (a return only this extension
 * stores), else 0. */
function wideReturn(type: string | null | undefined): number {
  const m = /^Array\((\d+)\)$/.exec(type ?? '');
  const n = m ? Number(m[1]) : 0;
  return n > 4 && n <= MAX_COMPONENTS ? n : 0;
}

/** Wide and splat loads and i32 locals emitted so far (lets specs check the extension is in use). */
export const emitted = { wide: 0, splat: 0, intLocals: 0 };

let cached: any | null | undefined;

/** The kernel class to install as `gpu.Kernel` on a webasm GPU, or null when gpu.js's
 * internals differ from the 2.24 layout this extends. */
export function wideWasmKernel(): any | null {
  if (cached !== undefined) return cached;
  cached = null;
  try {
    const { WebAssemblyKernel } = require('gpu.js/src/backend/web-assembly/kernel.js');
    const { WebAssemblyFunctionNode } = require('gpu.js/src/backend/web-assembly/function-node.js');
    const { FunctionBuilder } = require('gpu.js/src/backend/function-builder.js');
    const base = WebAssemblyFunctionNode.prototype;
    const needed = ['vGather', 'vEmitIndex', 'vZero', 'emitFlatLoad', 'vCoerce', 'isThreadDependent', 'getVariableSignature', 'getJsAST',
      'stmtRootReturn', 'vstmtReturn', 'vStoreOutput', 'vRetireOrReturn', 'emitComponentAddress', 'emitArrayElement', 'vEmitArrayElement'];
    if (!needed.every((m) => typeof base[m] === 'function') || typeof WebAssemblyKernel.prototype.translateSource !== 'function') return null;
    const Node = wideNodeClass(WebAssemblyFunctionNode);
    const fromKernel = FunctionBuilder.fromKernel;
    cached = class WideWasmKernel extends WebAssemblyKernel {
      /** The stock translateSource builds its nodes with the stock class; hand it ours. */
      translateSource(): boolean {
        FunctionBuilder.fromKernel = (kernel: unknown, _node: unknown, extra: unknown) => fromKernel.call(FunctionBuilder, kernel, Node, extra);
        try {
          if (super.translateSource()) return true;
          // stock returns false for a return of more than 4 floats: this extension stores
          // them (stmtRootReturn, vstmtReturn), so finish what stock does after its switch
          const n = wideReturn(this.returnType);
          if (n === 0) return false;
          this.componentCount = n;
          this.usesRandom = false;
          this.usedMathImports = new Set();
          for (const name of this.tracedFunctions) {
            const node = this.functionBuilder.functionMap[name];
            if (!node) continue;
            if (node.usesRandom) this.usesRandom = true;
            for (const importName of node.usedMathImports) this.usedMathImports.add(importName);
          }
          return true;
        } finally {
          FunctionBuilder.fromKernel = fromKernel;
        }
      }
    };
  } catch {
    cached = null;
  }
  return cached;
}
