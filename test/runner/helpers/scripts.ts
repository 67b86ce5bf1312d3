import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** A fresh temp folder for a test's scripts. */
export function tempDir(prefix = 'autodist-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** Write `text` as `name` in `dir`; returns the absolute path. */
export function writeScript(dir: string, name: string, text: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}

/** 1-based line of the first line of `text` containing `marker`. */
export function lineIn(text: string, marker: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`marker ${marker} not in the script`);
  return i + 1;
}

/** The seed FFN at TP=2, hand-parallelized; markers FC1 and FC2 sit on the layers' lines. */
export function ffnScript(o: { hidden?: number; tp?: number; batch?: number; seq?: number; extra?: string } = {}): string {
  return `import { simulation, ColumnParallelLinear, RowParallelLinear, models, type FFN } from "autodist";
${o.extra ?? ''}
export default simulation({
  mesh: { tp: ${o.tp ?? 2} },
  model: models.ffn({ hidden: ${o.hidden ?? 64} }),
  input: { batch: ${o.batch ?? 2}, seq: ${o.seq ?? 8} },
  parallelize(model, { tp, weights }) {
    const m = model as FFN;
    m.fc1 = new ColumnParallelLinear(weights.fc1.split(1, tp), { gatherOutput: false }); // FC1
    m.fc2 = new RowParallelLinear(weights.fc2.split(0, tp), { inputIsParallel: true }); // FC2
  },
});
`;
}

/** The FFN with fc2's bias added on every rank before the all-reduce (verification fails). */
export function biasBugScript(): string {
  return `import { simulation, ColumnParallelLinear, Module, models, ops, reduceFromRegion, type FFN, type Tensor } from "autodist";

class MyRowParallel extends Module {
  constructor(readonly weight: Tensor, readonly bias: Tensor) {
    super();
  }
  async forward(x: Tensor): Promise<Tensor> {
    const partial = ops.add(ops.matmul(x, this.weight), this.bias); // BUG: bias on every rank
    return reduceFromRegion(partial);
  }
}

export default simulation({
  mesh: { tp: 2 },
  model: models.ffn({ hidden: 64 }),
  input: { batch: 2, seq: 8 },
  parallelize(model, { tp, weights }) {
    const m = model as FFN;
    m.fc1 = new ColumnParallelLinear(weights.fc1.split(1, tp));
    const w = weights.fc2.split(0, tp);
    m.fc2 = new MyRowParallel(w.weight, w.bias!); // FC2
  },
});
`;
}
