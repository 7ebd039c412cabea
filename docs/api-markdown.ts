/**
 * Writes the API reference as Markdown from API Extractor's doc model (docs/api/model), one
 * page per exported name: `npm run docs:api` runs it after `api-extractor run`.
 *
 * Why not API Documenter, API Extractor's own renderer: it names pages by the lower-cased
 * name, so `Tensor` (the class) and `tensor` (the function), `Conv2d` and `conv2d`, `ReLU`
 * and `relu` ... overwrite each other and half of each pair disappears (rushstack issue
 * 1308, open). Here a page is named by kind and exact name (`class.Tensor.md`,
 * `function.tensor.md`). The TSDoc itself is parsed and checked by API Extractor; this file
 * only lays it out. Exits 1, after writing, if a `{@link}` does not resolve.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApiClass, ApiDeclaredItem, ApiDocumentedItem, ApiInterface, ApiItemContainerMixin, ApiModel, ApiParameterListMixin, ApiReturnTypeMixin,
  type ApiItem, type Excerpt,
} from '@microsoft/api-extractor-model';

const [modelFile = 'docs/api/model/epsx.api.json', outDir = 'docs/api/reference'] = process.argv.slice(2);

/** The kinds of top-level items, in index order, with the word used in page names and titles. */
const KINDS: Array<[kind: string, file: string, title: string]> = [
  ['Class', 'class', 'Classes'],
  ['Function', 'function', 'Functions'],
  ['Variable', 'variable', 'Constants'],
  ['Interface', 'interface', 'Interfaces'],
  ['TypeAlias', 'type', 'Types'],
  ['Enum', 'enum', 'Enums'],
  ['Namespace', 'namespace', 'Namespaces'],
];

const model = new ApiModel();
const pkg = model.loadPackage(modelFile);
const entry = pkg.entryPoints[0]!;
const problems: string[] = [];

/** Minimal structural view of TSDoc nodes (kinds are strings in @microsoft/tsdoc). */
interface DocNode {
  kind: string;
  getChildNodes(): readonly DocNode[];
}

const pageOf = (item: ApiItem): string => {
  const top = item.getHierarchy().find((h) => h.parent === entry) ?? item;
  const kind = KINDS.find(([k]) => k === top.kind);
  return `${kind ? kind[1] : top.kind.toLowerCase()}.${top.displayName}.md`;
};

/** Link to an item: its page, plus the member's heading anchor for members. */
function linkTo(item: ApiItem): string {
  const isTop = item.parent === entry;
  return isTop ? pageOf(item) : `${pageOf(item)}#${item.displayName.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '')}`;
}

/** TSDoc -> Markdown (inline). */
function render(node: DocNode | undefined, context: ApiItem): string {
  if (node === undefined) return '';
  const n = node as DocNode & Record<string, unknown>;
  switch (node.kind) {
    case 'PlainText':
      return String(n.text).replace(/([*_[\]<>|])/g, '\\$1');
    case 'EscapedText':
      return String(n.decodedText);
    case 'SoftBreak':
      return ' ';
    case 'CodeSpan':
      return '`' + String(n.code) + '`';
    case 'FencedCode':
      return '\n\n```' + String(n.language) + '\n' + String(n.code).replace(/\n$/, '') + '\n```\n\n';
    case 'Paragraph':
      return node.getChildNodes().map((c) => render(c, context)).join('').trim() + '\n\n';
    case 'LinkTag': {
      const url = n.urlDestination as string | undefined;
      const text = (n.linkText as string | undefined)?.trim();
      if (url) return `[${text ?? url}](${url})`;
      const ref = n.codeDestination as Parameters<ApiModel['resolveDeclarationReference']>[0];
      const result = model.resolveDeclarationReference(ref, context);
      const name = text ?? (ref as unknown as { memberReferences: Array<{ memberIdentifier?: { identifier: string } }> }).memberReferences.map((m) => m.memberIdentifier?.identifier).join('.');
      if (!result.resolvedApiItem) {
        problems.push(`${context.getScopedNameWithinPackage()}: {@link ${name}} does not resolve: ${result.errorMessage}`);
        return '`' + name + '`';
      }
      return `[${name}](./${linkTo(result.resolvedApiItem)})`;
    }
    case 'ErrorText':
      return String(n.text);
    default:
      return node.getChildNodes().map((c) => render(c, context)).join('');
  }
}

/**
 * A top-level item from a reference API Extractor marks as module-local (`epsx!~Tensor:class`):
 * it does so for Tensor, whose type lib/tensor-methods.ts merges from another module.
 */
function byReference(ref: string): ApiItem | undefined {
  const m = /^[^!]+!~?([A-Za-z_$][\w$]*):(\w+)$/.exec(ref);
  const kinds: Record<string, string> = { class: 'Class', interface: 'Interface', type: 'TypeAlias', function: 'Function', var: 'Variable', enum: 'Enum', namespace: 'Namespace' };
  return m ? entry.members.find((i) => i.displayName === m[1] && i.kind === kinds[m[2]!]) : undefined;
}

/** A type as Markdown, each name the package exports linked to its page (for tables and lists). */
function typeText(excerpt: Excerpt, context: ApiItem): string {
  return excerpt.spannedTokens
    .map((token) => {
      const text = token.text.replace(/\s+/g, ' ').replace(/([*_[\]<>|])/g, '\\$1');
      if (token.kind !== 'Reference' || token.canonicalReference === undefined) return text;
      const target = model.resolveDeclarationReference(token.canonicalReference, context).resolvedApiItem ?? byReference(token.canonicalReference.toString());
      return target ? `[${text}](./${linkTo(target)})` : text;
    })
    .join('')
    .trim();
}

/** "Extends" line of a class or interface, with links. */
function heritage(item: ApiItem): string {
  const types = item instanceof ApiClass ? [item.extendsType, ...item.implementsTypes].filter((t) => t !== undefined) : item instanceof ApiInterface ? item.extendsTypes : [];
  return types.length > 0 ? `Extends: ${types.map((t) => typeText(t.excerpt, item)).join(', ')}\n\n` : '';
}

const docOf = (item: ApiItem) => (item instanceof ApiDocumentedItem ? item.tsdocComment : undefined);
const summary = (item: ApiItem): string => render(docOf(item)?.summarySection as DocNode | undefined, item).trim();
/** The first sentence of the summary, on one line, for tables. */
const brief = (item: ApiItem): string => {
  const s = summary(item).replace(/\n+/g, ' ');
  const end = s.search(/\.(\s+[A-Z]|$)/);
  return (end >= 0 ? s.slice(0, end + 1) : s).replace(/\|/g, '\\|');
};
const signature = (item: ApiItem): string => (item instanceof ApiDeclaredItem ? '```ts\n' + item.excerpt.text.trim() + '\n```\n\n' : '');

/** Signature, summary, remarks, parameters and return value of one declaration. */
function details(item: ApiItem): string {
  let out = signature(item) + heritage(item);
  const doc = docOf(item);
  const text = summary(item);
  if (text) out += text + '\n\n';
  if (doc?.remarksBlock) out += render(doc.remarksBlock.content as unknown as DocNode, item).trim() + '\n\n';
  if (ApiParameterListMixin.isBaseClassOf(item) && item.parameters.length > 0) {
    out += '| parameter | type | description |\n| --- | --- | --- |\n';
    for (const p of item.parameters) {
      const d = p.tsdocParamBlock ? render(p.tsdocParamBlock.content as unknown as DocNode, item).replace(/\n+/g, ' ').trim() : '';
      out += `| ${p.name}${p.isOptional ? ' (optional)' : ''} | ${typeText(p.parameterTypeExcerpt, item)} | ${d.replace(/\|/g, '\\|')} |\n`;
    }
    out += '\n';
  }
  if (ApiReturnTypeMixin.isBaseClassOf(item)) {
    const what = doc?.returnsBlock ? ` - ${render(doc.returnsBlock.content as unknown as DocNode, item).trim()}` : '';
    out += `Returns: ${typeText(item.returnTypeExcerpt, item)}${what}\n\n`;
  }
  for (const block of doc?.customBlocks ?? []) out += `**${block.blockTag.tagName.slice(1)}**\n\n${render(block.content as unknown as DocNode, item).trim()}\n\n`;
  return out;
}

/** Group items by name (overloads and merged declarations share a section), in source order. */
function byName(items: readonly ApiItem[]): Map<string, ApiItem[]> {
  const groups = new Map<string, ApiItem[]>();
  for (const item of items) groups.set(item.displayName, [...(groups.get(item.displayName) ?? []), item]);
  return groups;
}

function page(name: string, kindTitle: string, items: ApiItem[]): string {
  let out = `[epsx API reference](./index.md)\n\n# ${name} (${kindTitle})\n\n`;
  out += items.map(details).join('');
  const members = items.flatMap((i) => (ApiItemContainerMixin.isBaseClassOf(i) ? i.members : []));
  if (members.length > 0) {
    out += '## Members\n\n';
    for (const [memberName, group] of byName(members)) out += `### ${memberName}\n\n${group.map(details).join('')}`;
  }
  return out;
}

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const top = byName(entry.members);
let index = `# epsx API reference\n\nEvery name exported by the package root (\`import { ... } from 'epsx'\`), from its TSDoc.\nGenerated by \`npm run docs:api\`; the written guides are in [docs/](../../README.md).\n\n`;
let pages = 0;
for (const [kind, , title] of KINDS) {
  const groups = [...top].filter(([, items]) => items.some((i) => i.kind === kind)).sort(([a], [b]) => a.localeCompare(b));
  if (groups.length === 0) continue;
  index += `## ${title}\n\n| name | summary |\n| --- | --- |\n`;
  for (const [name, items] of groups) {
    const same = items.filter((i) => i.kind === kind);
    writeFileSync(join(outDir, pageOf(same[0]!)), page(name, same[0]!.kind.replace('TypeAlias', 'type').toLowerCase(), same));
    pages++;
    index += `| [${name}](./${pageOf(same[0]!)}) | ${brief(same[0]!)} |\n`;
  }
  index += '\n';
}
const unknownKinds = [...top.values()].flat().filter((i) => !KINDS.some(([k]) => k === i.kind));
for (const i of unknownKinds) problems.push(`${i.displayName}: no page for kind ${i.kind}`);
writeFileSync(join(outDir, 'index.md'), index);
console.log(`API reference: ${pages} pages in ${outDir} (start at index.md)`);
if (problems.length > 0) {
  console.error(problems.map((p) => `warning: ${p}`).join('\n'));
  process.exitCode = 1;
}
