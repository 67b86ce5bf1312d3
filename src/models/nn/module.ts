import type { RankContext } from '../../core/context.js';
import { captureSource, type SourceLocation } from '../../core/source.js';
import { Tensor } from '../../core/tensor.js';

/**
 * A layer. Like torch.nn.Module, children and parameters are simply its properties: assigning
 * `model.fc1 = new ColumnParallelLinear(...)` replaces a child, and arrays of modules are
 * numbered ("h.0", "h.1", ...). Each module remembers the line of the person's code that built
 * it, so reports can point there. A module tree lives on one rank (its tensors do).
 */
export abstract class Module {
  /** Dotted path from the root, e.g. "h.0.attn.c_attn" (set by `assignPaths`). */
  path = '';
  /** Where the person's code constructed this module. */
  builtAt: SourceLocation | undefined;

  constructor() {
    if (quietBuilds > 0) return; // a built-in model being built: no line of the person's to find
    // The line that said `new X(...)`, not the `super()` lines of X and its base classes.
    const chain = new Set<string>();
    for (let c = new.target; c && c !== Module; c = Object.getPrototypeOf(c)) chain.add(c.name);
    this.builtAt = captureSource(chain);
  }

  /** The module's computation. Use `call` to run a child, so it is scoped and recorded. */
  abstract forward(...inputs: Tensor[]): Promise<Tensor>;

  /** Run `forward` inside this module's scope: trace events are named after it and hooks see its output. */
  async call(...inputs: Tensor[]): Promise<Tensor> {
    const ctx = inputs[0]?.ctx;
    if (!ctx) return this.forward(...inputs);
    ctx.moduleStack.push(this.path);
    ctx.moduleSites.push(this.builtAt);
    let out: Tensor;
    try {
      out = await this.forward(...inputs);
    } finally {
      ctx.moduleStack.pop();
      ctx.moduleSites.pop();
    }
    const hooks = moduleHooks.get(ctx);
    if (hooks && !silenced.has(ctx)) for (const h of hooks) h(this, inputs, out);
    return out;
  }

  /** Short type name for reports. */
  get kind(): string {
    // a bundler may rename a class to avoid a clash ("_Embedding", "Embedding2")
    return this.constructor.name.replace(/^_+/, '').replace(/\d+$/, '');
  }

  /** Direct children: [name, module] for Module-valued properties and arrays of modules. */
  children(): [string, Module][] {
    const out: [string, Module][] = [];
    const self = this as unknown as Record<string, unknown>;
    for (const k of Object.keys(this)) {
      if (k === 'path' || k === 'builtAt') continue;
      const v = self[k];
      if (v instanceof Module) out.push([k, v]);
      else if (Array.isArray(v) && v.length && v[0] instanceof Module && v.every((m) => m instanceof Module)) v.forEach((m: Module, i: number) => out.push([`${k}.${i}`, m]));
    }
    return out;
  }

  /** Own parameters: [name, tensor] for Tensor-valued properties that require grad. */
  ownParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const self = this as unknown as Record<string, unknown>;
    for (const k of Object.keys(this)) {
      const v = self[k];
      if (v instanceof Tensor && v.requiresGrad) out.push([k, v]);
    }
    return out;
  }

  /** Every module below (and including) this one, with its path. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const walk = (p: string, m: Module): void => {
      out.push([p, m]);
      for (const [k, c] of m.children()) walk(p ? `${p}.${k}` : k, c);
    };
    walk(prefix, this);
    return out;
  }

  /** Every parameter below this module: ["h.0.attn.c_attn.weight", tensor]. */
  namedParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [p, m] of this.namedModules()) for (const [k, t] of m.ownParameters()) out.push([p ? `${p}.${k}` : k, t]);
    return out;
  }

  /** Look a module up by dotted path. */
  get(path: string): Module | undefined {
    return this.namedModules().find(([p]) => p === path)?.[1];
  }

  /** Replace the module at `path` (a property of its parent, or an element of its array). */
  set(path: string, m: Module): void {
    for (const [p, parent] of this.namedModules()) {
      for (const [k] of parent.children()) {
        if ((p ? `${p}.${k}` : k) !== path) continue;
        const holder = parent as unknown as Record<string, unknown>;
        const dot = k.indexOf('.');
        if (dot < 0) holder[k] = m;
        else (holder[k.slice(0, dot)] as Module[])[Number(k.slice(dot + 1))] = m;
        m.path = path;
        return;
      }
    }
    throw new Error(`no module at "${path}"`);
  }
}

let quietBuilds = 0;

/** Build modules without looking up source lines (built-in model construction in meta-size runs). */
export function buildQuietly<T>(fn: () => T): T {
  quietBuilds++;
  try {
    return fn();
  } finally {
    quietBuilds--;
  }
}

/** Every module with its path, its parent and its key in the parent (one traversal). */
export function moduleEntries(root: Module): { path: string; module: Module; parent: Module | null; key: string }[] {
  const out: { path: string; module: Module; parent: Module | null; key: string }[] = [{ path: '', module: root, parent: null, key: '' }];
  for (let i = 0; i < out.length; i++) {
    const e = out[i];
    for (const [k, c] of e.module.children()) out.push({ path: e.path ? `${e.path}.${k}` : k, module: c, parent: e.module, key: k });
  }
  return out;
}

/** Replace a child given its parent and key (as returned by moduleEntries). */
export function replaceChild(parent: Module, key: string, m: Module): void {
  const holder = parent as unknown as Record<string, unknown>;
  const dot = key.indexOf('.');
  if (dot < 0) holder[key] = m;
  else (holder[key.slice(0, dot)] as Module[])[Number(key.slice(dot + 1))] = m;
}

/** Give every module its path from `root`. Call after building or rewriting a tree. */
export function assignPaths(root: Module): void {
  for (const [p, m] of root.namedModules()) m.path = p;
}

const roots = new WeakMap<RankContext, Module[]>();

/** A model built on this rank (buildModel): its whole tree is named, its tied weights included. */
export function noteRoot(ctx: RankContext, root: Module): void {
  const list = roots.get(ctx) ?? [];
  list.push(root);
  roots.set(ctx, list);
}

/** The models built on this rank, in order. */
export function rootsOf(ctx: RankContext): readonly Module[] {
  return roots.get(ctx) ?? [];
}

export type ModuleHook = (m: Module, inputs: readonly Tensor[], output: Tensor) => void;

const moduleHooks = new WeakMap<RankContext, ModuleHook[]>();

/** Ranks whose module calls hooks do not hear right now (a forward that will run again: recomputation). */
const silenced = new Set<RankContext>();

/** Run `fn` without module hooks on this rank: its calls are heard when they run again. */
export async function withoutModuleHooks<T>(ctx: RankContext, fn: () => Promise<T>): Promise<T> {
  if (silenced.has(ctx)) return fn();
  silenced.add(ctx);
  try {
    return await fn();
  } finally {
    silenced.delete(ctx);
  }
}

/** Observe every module call on a rank (the verifier records activations this way). */
export function addModuleHook(ctx: RankContext, h: ModuleHook): () => void {
  let list = moduleHooks.get(ctx);
  if (!list) {
    list = [];
    moduleHooks.set(ctx, list);
  }
  list.push(h);
  return () => {
    const l = moduleHooks.get(ctx);
    if (l) l.splice(l.indexOf(h), 1);
  };
}
