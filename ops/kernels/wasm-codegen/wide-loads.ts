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
import { uleb } from '../wasm-asm.js';

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

/** One definition of a local: a declaration ('=', its initialiser or null), an assignment
 * (its operator and right side) or an update ('++' / '--', null). */
interface Definition { op: string; value: Ast | null }

/** Every local's definitions in source order, and the loop counters among them (declared by
 * `for (let c = A; c < B; c++)` or `<=`), with their initialiser and test. */
function definitions(node: any): { defs: Map<string, Definition[]>; counters: Map<string, { init: Ast; test: Ast }> } {
  const defs = new Map<string, Definition[]>();
  const counters = new Map<string, { init: Ast; test: Ast }>();
  const add = (name: string, op: string, value: Ast | null): void => {
    if (!defs.has(name)) defs.set(name, []);
    defs.get(name)!.push({ op, value });
  };
  const walk = (ast: Ast): void => {
    if (!ast || typeof ast !== 'object') return;
    if (Array.isArray(ast)) return ast.forEach(walk);
    if (ast.type === 'ForStatement' && ast.init?.type === 'VariableDeclaration' && ast.init.declarations.length === 1) {
      const d = ast.init.declarations[0];
      const name = d.id?.name;
      const t = ast.test;
      const u = ast.update;
      if (name && d.init && t?.type === 'BinaryExpression' && (t.operator === '<' || t.operator === '<=') && t.left.type === 'Identifier' && t.left.name === name &&
        u?.type === 'UpdateExpression' && u.operator === '++' && u.argument.type === 'Identifier' && u.argument.name === name)
        counters.set(name, { init: d.init, test: t });
    }
    if (ast.type === 'VariableDeclarator' && ast.id.type === 'Identifier') add(ast.id.name, '=', ast.init ?? null);
    if (ast.type === 'AssignmentExpression' && ast.left.type === 'Identifier') add(ast.left.name, ast.operator, ast.right);
    if (ast.type === 'UpdateExpression' && ast.argument.type === 'Identifier') add(ast.argument.name, ast.operator, null);
    for (const key in ast) if (key !== 'parent' && key !== 'loc') walk(ast[key]);
  };
  walk(node.getJsAST());
  return { defs, counters };
}

/** Locals of the kernel whose every value has one lane coefficient (e.g. `wk = thread.x; wk += K`). */
function localCoefs(node: any): Map<string, number | null> {
  const { defs } = definitions(node);
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
        return op === '=' ? v === c : ['+=', '-=', '++', '--'].includes(op) && v === 0;
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
      return ['+', '-', '*', '%'].includes(ast.operator) && integral(ast.left, ints) && integral(ast.right, ints);
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
  const { defs } = definitions(node);
  const args: string[] = node.argumentNames ?? [];
  const ints = new Set([...defs.keys()].filter((name) => !args.includes(name)));
  for (let changed = true; changed; ) {
    changed = false;
    for (const name of [...ints]) {
      const integer = ({ op, value }: Definition): boolean =>
        op === '++' || op === '--' || (['=', '+=', '-=', '*='].includes(op) && value !== null && integral(value, ints));
      if (defs.get(name)!.every(integer)) continue;
      ints.delete(name);
      changed = true;
    }
  }
  return ints;
}

/** An interval of integers [lo, hi]; hi may be Infinity (no upper bound known). */
type Range = [number, number];

/** How a local's value is bounded: a loop counter (`for (let c = A; c < B; c++)`, not
 * otherwise assigned), a local defined once, or one defined several times. */
type LocalDef = { kind: 'counter'; init: Ast; test: Ast } | { kind: 'once'; init: Ast } | { kind: 'many'; defs: Definition[] };

/** Every local's definitions, classified. */
function localDefs(node: any): Map<string, LocalDef> {
  const { defs, counters } = definitions(node);
  const out = new Map<string, LocalDef>();
  for (const [name, list] of defs) {
    const c = counters.get(name);
    // a counter: its declaration and its ++ only
    if (c && list.length === 2 && list[1]!.op === '++') out.set(name, { kind: 'counter', ...c });
    else if (list.length === 1 && list[0]!.op === '=' && list[0]!.value) out.set(name, { kind: 'once', init: list[0]!.value });
    else out.set(name, { kind: 'many', defs: list });
  }
  return out;
}

/** gpu.js computes `/` and `%` in f32: integer quotients are exact up to here. */
const F32_INT = 2 ** 24;

const mulBound = (a: number, b: number): number => (a === 0 || b === 0 ? 0 : a * b);

/** Bounds of an integer expression over every thread (thread ids within `extent`), given
 * bounds of locals; null when unknown. Only what the index math of kernels uses: integer
 * literals, thread ids, + - *, `| 0`, `% L` and Math.floor(a / L) for positive literals L. */
function exprRange(ast: Ast, extent: number[], locals: (name: string) => Range | null): Range | null {
  const r = (a: Ast): Range | null => exprRange(a, extent, locals);
  switch (ast.type) {
    case 'Literal':
      return integral(ast, new Set()) ? [ast.value, ast.value] : null;
    case 'Identifier':
      return locals(ast.name);
    case 'MemberExpression': {
      const axis = ['x', 'y', 'z'].indexOf(ast.property?.name);
      const isThread = !ast.computed && ast.object.type === 'MemberExpression' && ast.object.object.type === 'ThisExpression' && ast.object.property.name === 'thread';
      return isThread && axis >= 0 ? [0, (extent[axis] ?? 1) - 1] : null;
    }
    case 'UnaryExpression': {
      const a = r(ast.argument);
      return a === null ? null : ast.operator === '+' ? a : ast.operator === '-' ? [-a[1], -a[0]] : null;
    }
    case 'CallExpression': {
      // Math.floor(a / L)
      const [arg] = ast.arguments ?? [];
      const isFloor = ast.callee.type === 'MemberExpression' && ast.callee.object.name === 'Math' && ast.callee.property.name === 'floor';
      if (!isFloor || arg?.type !== 'BinaryExpression' || arg.operator !== '/') return null;
      const a = r(arg.left);
      const l = r(arg.right);
      // computed in f32: exact while a + L <= 2^24 (a / L cannot round across an integer)
      if (a === null || l === null || l[0] !== l[1] || l[0] <= 0 || a[1] + l[0] > F32_INT) return null;
      return [Math.floor(a[0] / l[0]), Math.floor(a[1] / l[0])];
    }
    case 'BinaryExpression': {
      const a = r(ast.left);
      const b = r(ast.right);
      if (a === null || b === null) return null;
      switch (ast.operator) {
        case '+': return [a[0] + b[0], a[1] + b[1]];
        case '-': return [a[0] - b[1], a[1] - b[0]];
        case '*': {
          const p = [mulBound(a[0], b[0]), mulBound(a[0], b[1]), mulBound(a[1], b[0]), mulBound(a[1], b[1])];
          return [Math.min(...p), Math.max(...p)];
        }
        // `| 0` keeps every value an in-bounds index can have (|v| < 2^31)
        case '|': return b[0] === 0 && b[1] === 0 && a[0] >= -(2 ** 31) ? a : null;
        case '%': return a[0] >= 0 && b[0] === b[1] && b[0] > 0 && a[1] + b[0] <= F32_INT ? [0, Math.min(a[1], b[0] - 1)] : null;
        default: return null;
      }
    }
    default:
      return null;
  }
}

/**
 * Bounds of the kernel's locals: a loop counter lies in [init, bound - 1] inside its loop
 * (only ++ changes it, and its body runs only while the test holds); a local defined once
 * has its initialiser's bounds; a local defined several times gets [0, Infinity] when every
 * definition is non-negative given the others (e.g. a row offset advanced by positive
 * literals), found by elimination as in integralLocals. Others are unknown.
 */
function localRanges(node: any, extent: number[], ints: ReadonlySet<string>): (name: string) => Range | null {
  const defs = localDefs(node);
  const cache = new Map<string, Range | null>();
  const nonNegative = new Set([...defs].filter(([name, d]) => d.kind === 'many' && ints.has(name)).map(([name]) => name));
  const inProgress = new Set<string>();
  const local = (name: string): Range | null => {
    if (cache.has(name)) return cache.get(name)!;
    const d = defs.get(name);
    if (d === undefined || !ints.has(name) || inProgress.has(name)) return null;
    if (d.kind === 'many') return nonNegative.has(name) ? [0, Infinity] : null;
    inProgress.add(name);
    let range: Range | null;
    if (d.kind === 'once') range = exprRange(d.init, extent, local);
    else {
      const lo = exprRange(d.init, extent, local);
      const hi = exprRange(d.test.right, extent, local);
      range = lo === null || hi === null ? null : [lo[0], d.test.operator === '<' ? hi[1] - 1 : hi[1]];
    }
    inProgress.delete(name);
    cache.set(name, range);
    return range;
  };
  // elimination: drop a multiply-defined local when one of its definitions may be negative
  for (let changed = true; changed; ) {
    changed = false;
    for (const name of [...nonNegative]) {
      const d = defs.get(name) as Extract<LocalDef, { kind: 'many' }>;
      const ok = d.defs.every(({ op, value }) => {
        if (op === '++') return true;
        if (value === null || !['=', '+=', '*='].includes(op)) return false;
        const v = exprRange(value, extent, local);
        return v !== null && v[0] >= 0;
      });
      if (!ok) {
        nonNegative.delete(name);
        cache.clear();
        changed = true;
      }
    }
  }
  return local;
}

/** Types gpu.js gives an integral initialiser (integralLocals): integers, or 'Number' where
 * the value is integral but computed in f32 (Math.floor, arithmetic on a float local). */
const integerTyped = (type: string | null): boolean => type === 'Integer' || type === 'LiteralInteger' || type === 'Number' || type === 'Float';

/**
 * Uniform float locals of kernel_simd that only ever hold an array element (or a float
 * literal first) and are only read as an operand of `+ - *` whose other operand varies by
 * lane (`a += g * v`): they can live splatted, as vectors. Stock gpu.js keeps them scalar
 * and splats at each use, so a read of one costs a scalar load and a shuffle; splatted at
 * the definition it is one `v128.load32_splat`. Same values (a splat of the same 32 bits).
 */
function splatLocals(node: any, varying: (ast: Ast) => boolean, excluded: ReadonlySet<string>): Set<string> {
  const ok = new Map<string, boolean>();
  const mark = (name: string, good: boolean): void => void ok.set(name, (ok.get(name) ?? true) && good);
  const elementRead = (a: Ast): boolean => a?.type === 'MemberExpression' && a.computed === true && a.object.type === 'Identifier';
  const floatLiteral = (a: Ast): boolean => a?.type === 'Literal' && typeof a.value === 'number' && !integral(a, new Set());
  const walk = (ast: Ast, parent: Ast | null): void => {
    if (!ast || typeof ast !== 'object') return;
    if (Array.isArray(ast)) return ast.forEach((a) => walk(a, parent));
    if (ast.type === 'VariableDeclarator' && ast.id.type === 'Identifier') {
      mark(ast.id.name, elementRead(ast.init) || floatLiteral(ast.init));
      walk(ast.init, ast);
      return;
    }
    if (ast.type === 'AssignmentExpression' && ast.left.type === 'Identifier') {
      mark(ast.left.name, ast.operator === '=' && elementRead(ast.right));
      walk(ast.right, ast);
      return;
    }
    if (ast.type === 'UpdateExpression' && ast.argument.type === 'Identifier') mark(ast.argument.name, false);
    if (ast.type === 'Identifier') {
      // a read: only as an arithmetic operand beside a lane-varying one
      const other = parent?.type === 'BinaryExpression' && ['+', '-', '*'].includes(parent.operator) ? (parent.left === ast ? parent.right : parent.left) : null;
      mark(ast.name, other !== null && varying(other));
      return;
    }
    if (ast.type === 'MemberExpression' && !ast.computed) return walk(ast.object, ast);
    for (const key in ast) if (key !== 'parent' && key !== 'loc') walk(ast[key], ast);
  };
  walk(node.getJsAST().body, null);
  return new Set([...ok].filter(([name, good]) => good && !excluded.has(name)).map(([name]) => name));
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
    /** This function's locals holding thread.x, y, z (root kernel only), keyed by emitter. */
    _tid: { em: Emitter; x: number; y: number; z: number } | null = null;
    _tidPending = false;

    /** Read the thread ids into locals once, at the top of the function being emitted:
     * TurboFan reloads a mutable global at every use (once per weight load in a conv's inner
     * loop), a local stays in a register. The runners set the globals before each call and
     * nothing in a root kernel changes them, so every read sees the same values. */
    initThreadLocals(em: Emitter): void {
      const g = this.assembler.globals;
      const tid = { em, x: em.addLocal('i32'), y: em.addLocal('i32'), z: em.addLocal('i32') };
      em.globalGet(g.threadX).localSet(tid.x).globalGet(g.threadY).localSet(tid.y).globalGet(g.threadZ).localSet(tid.z);
      this._tid = tid;
    }

    walkFunction(em: Emitter): void {
      this._tid = null;
      if (this.isRootKernel && this.assembler) this.initThreadLocals(em);
      super.walkFunction(em);
    }

    emitVectorFunction(assembler: any): void {
      this._tid = null;
      this._tidPending = Boolean(assembler);
      try {
        super.emitVectorFunction(assembler);
      } finally {
        this._tidPending = false;
      }
    }

    vstatement(ast: Ast): void {
      // kernel_simd's first body statement: after stock's prologue, before any thread read
      if (this._tidPending) {
        this._tidPending = false;
        this.initThreadLocals(this.em);
      }
      super.vstatement(ast);
    }

    /** The local holding thread.<axis> in this function, or null (helpers, no assembler). */
    threadLocal(mNode: Ast): number | null {
      const sig = this.getVariableSignature(mNode);
      if ((sig !== 'this.thread.value' && sig !== 'value.thread.value') || this._tid === null || this._tid.em !== this.em) return null;
      const axis = mNode.property.name as 'x' | 'y' | 'z';
      return axis === 'x' || axis === 'y' || axis === 'z' ? this._tid[axis] : null;
    }

    exprMember(mNode: Ast): string {
      const local = this.threadLocal(mNode);
      if (local === null) return super.exprMember(mNode);
      this.readsThread = true;
      this.em.localGet(local);
      return 'i32';
    }

    vexprMember(mNode: Ast): string {
      const local = mNode.property?.name === 'x' ? this.threadLocal(mNode) : null;
      if (local === null) return super.vexprMember(mNode);
      this.readsThread = true;
      this.em.localGet(local).i32x4Splat().v128ConstI32x4(0, 1, 2, 3).i32x4Add();
      return 'vi32';
    }

    /** Integer-valued locals (integralLocals), computed once per node. */
    ints(): Set<string> {
      return (this._ints ??= integralLocals(this));
    }

    _splat?: Set<string>;

    /** splatLocals of kernel_simd (empty outside it). */
    splats(): Set<string> {
      if (!this.vec || !this.vInfo) return new Set();
      return (this._splat ??= splatLocals(this, (a: Ast) => this.vInfo.exprVarying(a), new Set([...this.vInfo.varying, ...this.ints(), ...(this.argumentNames ?? [])])));
    }

    /**
     * A counted loop that stock runs uncapped (forLoopIsSafe: a literal init; with a test and
     * an update) emitted with its test at the bottom: `init; if (test) do { body } while
     * (update, test)`, the stock loop's exact iterations. Stock tests at the top, so the body's block does not dominate
     * the loop's exit, and TurboFan then keeps loop-invariant values (an index base, a splat
     * load's address) inside the loop; tested at the bottom, it hoists them. The entry test
     * is left out where the literals show the first iteration runs.
     */
    stmtFor(forNode: Ast): void {
      if (!this.assembler || !this.rotatable(forNode)) return super.stmtFor(forNode);
      this.recordUniformity('for', forNode.test);
      if (forNode.init.type === 'VariableDeclaration') this.stmtVariableDeclaration(forNode.init);
      else this.statementExpression(forNode.init);
      this.rotatedLoop(forNode, this.loopStack, {}, () => this.statement(forNode.body), () => this.statementExpression(forNode.update));
    }

    /** kernel_simd's loops: those with a uniform trip count as in stmtFor (a lane-varying
     * one keeps stock's masked loop). */
    vstmtFor(forNode: Ast): void {
      const uniform = (): boolean => !this.vInfo.exprVarying(forNode.test) && !this.vInfo.hasVaryingExit(forNode.body, false);
      if (!this.assembler || !this.rotatable(forNode) || !uniform()) return super.vstmtFor(forNode);
      if (forNode.init.type === 'VariableDeclaration') this.vstmtVariableDeclaration(forNode.init);
      else this.vstatementExpression(forNode.init);
      this.rotatedLoop(forNode, this.vLoopStack, { varying: false }, () => this.vstatementBody(forNode.body), () => this.vstatementExpression(forNode.update));
    }

    rotatable(forNode: Ast): boolean {
      return forNode.type === 'ForStatement' && Boolean(forNode.init && forNode.test && forNode.update) && this.forLoopIsSafe(forNode);
    }

    /** The loop of stmtFor / vstmtFor after its init: break and continue keep stock's targets
     * (continue runs the update, then the test). */
    rotatedLoop(forNode: Ast, stack: unknown[], entry: object, body: () => void, update: () => void): void {
      this.enterBlock();
      const breakLevel = this.depth;
      if (!entersFirstIteration(forNode)) {
        this.emitCondition(forNode.test);
        this.em.i32Eqz();
        this.brIfTo(breakLevel);
      }
      this.enterLoop();
      const loopLevel = this.depth;
      this.enterBlock();
      const continueLevel = this.depth;
      stack.push({ ...entry, breakLevel, continueLevel });
      body();
      stack.pop();
      this.exit();
      update();
      this.emitCondition(forNode.test);
      this.brIfTo(loopLevel);
      this.exit();
      this.exit();
      emitted.rotatedLoops++;
    }

    vexpr(ast: Ast): string {
      if (ast.type === 'Identifier' && this.splats().has(ast.name)) {
        this.em.localGet(this.locals.get(ast.name).index);
        return 'vf32';
      }
      return super.vexpr(ast);
    }

    stmtVariableDeclaration(varDecNode: Ast): void {
      const ints = this.ints();
      for (const d of varDecNode.declarations ?? []) {
        const single = { ...varDecNode, declarations: [d] };
        if (d.id.type === 'Identifier' && this.splats().has(d.id.name)) {
          // kept splatted: the element's load and splat fuse (vCoerce)
          const index = this.em.addLocal('v128');
          this.locals.set(d.id.name, { kind: 'vscalar', index, wtype: 'vf32', gtype: 'Number' });
          this.vCoerce(this.expression(d.init), 'vf32');
          this.vSetLocal(index);
          emitted.splatLocals++;
          continue;
        }
        const type = d.init && d.id.type === 'Identifier' && ints.has(d.id.name) ? this.getType(d.init) : null;
        if (!integerTyped(type)) {
          super.stmtVariableDeclaration(single);
          continue;
        }
        // stock: an integer initialiser makes an f32 local; an i32 one keeps index math in i32
        // (a 'Number'-typed one, e.g. Math.floor(...) or arithmetic on it, is computed in f32
        // as stock does and truncated: it is an integer, so the value is the same)
        this.getDeclaration(d.id).valueType = 'Integer';
        this.setScalarLocal(d.id.name, 'i32', 'Integer', () => this.emitIndex(d.init));
        if (this.assembler) emitted.intLocals++;
        if (this.isThreadDependent(d.init)) this.taintedLocals.add(d.id.name);
      }
    }

    vDeclareVarying(declaration: Ast, varDecNode: Ast): void {
      const type = declaration.id.type === 'Identifier' && this.ints().has(declaration.id.name) ? this.getType(declaration.init) : null;
      if (!integerTyped(type)) return super.vDeclareVarying(declaration, varDecNode);
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
        const r = this.range(xProperty);
        if (r !== null && r[0] >= 0 && r[1] <= layout.flatLength - 1) {
          // every lane of every quad in bounds: no check at all (the check's branch splits
          // the loop body into blocks, across which TurboFan sinks the arithmetic); a
          // literal term goes to the load's offset as in emitFlatLoad
          const split = this.literalOffset(xProperty);
          this.emitIndex(split?.base ?? xProperty);
          em.i32Const(2).i32Shl().v128Load(layout.offset + 4 * (split?.offset ?? 0), 2);
          emitted.wide++;
          emitted.unchecked++;
          return 'vf32';
        }
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
      const split = yProperty || zProperty || (this.vec && this.vMaskDepth > 0) ? null : this.literalOffset(xProperty);
      const layoutOffset: number = this.assembler?.layout?.[table]?.[name]?.offset ?? -1;
      // `base + L` with base >= 0: base << 2 with 4L in the load's constant offset, which V8
      // folds into the address: no add per load, base << 2 shared among a row's loads. The
      // address of every index inside the array is the stock one
      const folded = split !== null && this.assembler && layoutOffset + 4 * split.offset >= 0 ? layoutOffset + 4 * split.offset : null;
      let type = 'f32';
      if (folded !== null) {
        this.emitIndex(split!.base);
        this.em.i32Const(2).i32Shl();
        this.em.f32Load(folded);
        emitted.folded++;
      } else type = super.emitFlatLoad(table, name, xProperty, yProperty, zProperty, mNode);
      if (this.vec && this.assembler) {
        this._loadEnd = this.em.bytes.length;
        this._loadOffset = folded ?? layoutOffset;
      }
      return type;
    }

    /** An index `base + L` or `L + base` (L an integer literal) computed in i32, with base
     * never negative, else null. */
    literalOffset(index: Ast): { base: Ast; offset: number } | null {
      if (index.type !== 'BinaryExpression' || index.operator !== '+' || this.getType(index) !== 'Integer') return null;
      const lit = (a: Ast): boolean => a.type === 'Literal' && integral(a, new Set());
      const [base, l] = lit(index.right) ? [index.left, index.right] : lit(index.left) ? [index.right, index.left] : [null, null];
      if (base === null || this.getType(base) !== 'Integer' || Math.abs(l.value) >= 2 ** 28) return null;
      const r = this.range(base);
      return r !== null && r[0] >= 0 ? { base, offset: l.value } : null;
    }

    _range?: (name: string) => Range | null;

    /** Bounds of an index expression over every thread of the launch (exprRange). */
    range(ast: Ast): Range | null {
      this._range ??= localRanges(this, this.output ?? [], this.ints());
      return exprRange(ast, this.output ?? [], this._range);
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

/** Whether a loop `for (let i = A; i < B; ...)` (or `<=`) with integer literals A, B runs its
 * first iteration: A passes the test. */
function entersFirstIteration(forNode: Ast): boolean {
  const d = forNode.init?.type === 'VariableDeclaration' && forNode.init.declarations.length === 1 ? forNode.init.declarations[0] : null;
  const t = forNode.test;
  const lit = (a: Ast): number | null => (a?.type === 'Literal' && integral(a, new Set()) ? a.value : null);
  if (d === null || t?.type !== 'BinaryExpression' || t.left.type !== 'Identifier' || t.left.name !== d.id?.name) return false;
  const [a, b] = [lit(d.init), lit(t.right)];
  if (a === null || b === null) return false;
  return t.operator === '<' ? a < b : t.operator === '<=' ? a <= b : false;
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

/** Wide, splat and literal-offset loads and i32 locals emitted so far (lets specs check the extension is in use). */
export const emitted = { wide: 0, unchecked: 0, splat: 0, intLocals: 0, folded: 0, splatLocals: 0, rotatedLoops: 0 };

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
      'walkFunction', 'emitVectorFunction', 'vstatement', 'exprMember', 'vexprMember', 'vexpr', 'vSetLocal',
      'stmtRootReturn', 'vstmtReturn', 'stmtFor', 'vstmtFor', 'forLoopIsSafe', 'recordUniformity', 'enterBlock', 'enterLoop', 'exit', 'brIfTo', 'emitCondition', 'vstatementBody', 'vstatementExpression', 'vstmtVariableDeclaration', 'vStoreOutput', 'vRetireOrReturn', 'emitComponentAddress', 'emitArrayElement', 'vEmitArrayElement'];
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
