import type { RankContext } from '../../core/context.js';
import type { Tensor } from '../../core/tensor.js';
import { baseName } from '../../core/source.js';
import { addModuleHook, rootsOf, type Module } from '../../models/nn/module.js';
import type { NamedCall, NamedParam, RankRecord } from './by-name.js';

/**
 * What a custom `program` did on one rank, by module name, for the comparison with the same
 * program's world-size-1 run (verify/by-name.ts): every module call's output and, when the rank
 * is done, every parameter of the modules it called with its gradient.
 *
 * A module's name is the first one it was given: its path in the model built on the rank
 * (buildModel) or in the tree that named it (assignPaths, `model.set`); else its property path below a named module that holds it; else
 * `Kind@file:line` of the line that built it (the same line in both runs). A module whose output
 * is a child's output, unchanged (the seed's pipeline wrapper, a stage), is seen through.
 */
export class ProgramCapture {
  private readonly calls: { module: Module; call: number; out: Tensor; seeThrough: boolean; data: NamedCall['data'] }[] = [];
  private readonly counts = new Map<Module, number>();
  private readonly outputs = new WeakSet<Tensor>();
  private readonly off: () => void;

  constructor(readonly ctx: RankContext) {
    this.off = addModuleHook(ctx, (m, _inputs, out) => {
      const k = this.counts.get(m) ?? 0;
      this.counts.set(m, k + 1);
      const seeThrough = this.outputs.has(out);
      this.outputs.add(out);
      this.calls.push({ module: m, call: k, out, seeThrough, data: seeThrough || !out.data ? null : out.data.clone() });
    });
  }

  /** Stop listening and name what was recorded (parameters' gradients as they are now). */
  finish(): RankRecord {
    this.off();
    const names = nameModules(rootsOf(this.ctx), this.calls.map((c) => c.module));
    const perName = new Map<string, number>();
    const calls: NamedCall[] = this.calls.map((c) => {
      const name = names.get(c.module)!;
      const call = perName.get(name) ?? 0;
      perName.set(name, call + 1);
      return { name, call, kind: c.module.kind, shape: c.out.shape, seeThrough: c.seeThrough, data: c.data, site: c.module.builtAt };
    });
    const params: NamedParam[] = [];
    const seen = new Set<Tensor>();
    for (const [m, name] of names) {
      for (const [k, t] of m.ownParameters()) {
        if (seen.has(t)) continue; // a tied weight: under the first module that holds it
        seen.add(t);
        params.push({
          name: name ? `${name}.${k}` : k,
          module: name,
          kind: m.kind,
          tensor: t,
          shape: t.shape,
          grad: t.grad?.data ? t.grad.data.clone() : null,
          value: t.ndim === 1 && t.data ? t.data.clone() : undefined,
          placement: t.placement,
          site: m.builtAt,
        });
      }
    }
    return { rank: this.ctx.rank, calls, params };
  }
}

/**
 * Names for the called modules (see ProgramCapture). Children of a named module that have no
 * path of their own are named below it, to any depth, before the called modules that are still
 * unnamed fall back to their kind and line.
 */
function nameModules(roots: readonly Module[], called: readonly Module[]): Map<Module, string> {
  const names = new Map<Module, string>();
  // the models built on the rank (buildModel), whole: a parameter is compared even where only a
  // module that borrows it ran (the LM head tied to the embedding, on the last pipeline stage)
  for (const r of roots) for (const [p, m] of r.namedModules()) if (!names.has(m)) names.set(m, p);
  const order: Module[] = [];
  for (const m of called) if (!order.includes(m)) order.push(m);
  // modules below any called module, with their property paths, so a child named by its parent
  // keeps its parent's prefix
  const below = new Map<Module, [string, Module][]>();
  for (const m of order) below.set(m, m.namedModules().slice(1));
  const named = (m: Module): string | undefined => (m.path ? m.path : names.get(m));
  for (const m of order) {
    if (m.path && !names.has(m)) names.set(m, m.path);
    for (const [, c] of below.get(m)!) if (c.path && !names.has(c)) names.set(c, c.path);
  }
  let grew = true;
  while (grew) {
    grew = false;
    for (const m of order) {
      const base = named(m);
      if (base === undefined) continue;
      for (const [p, c] of below.get(m)!) {
        if (c.path || names.has(c)) continue;
        names.set(c, base ? `${base}.${p}` : p);
        grew = true;
      }
    }
  }
  for (const m of order) {
    if (names.has(m)) continue;
    // a tree's root (its children carry paths from it) is the model itself
    if (m.children().some(([k, c]) => c.path === k)) names.set(m, '');
    else names.set(m, m.builtAt ? `${m.kind}@${baseName(m.builtAt.file)}:${m.builtAt.line}` : m.kind);
  }
  return names;
}
