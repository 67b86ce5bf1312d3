/**
 * Issue 14's targets for PyTorch files: the seed-003 FFN (d = 1024, B = 8, S = 128, 4 processes) as a
 * Python file against the same model as a TypeScript spec, wall time to a verified report (≤ 1.3×);
 * a second run in the same worker has its interpreter ready within 200 ms; the interpreter's own
 * start-up time, printed.
 */
import * as path from 'node:path';
import { ColumnParallelLinear, RowParallelLinear } from '../src/parallel/index.js';
import { ffn } from '../src/models/ffn.js';
import type { Model } from '../src/models/model.js';
import type { Module } from '../src/models/nn/module.js';
import { runSimulation } from '../src/parallel/simulation/run.js';
import { simulation } from '../src/parallel/simulation/spec.js';
import { getInterpreter, pythonAvailable } from '../src/runner/python/interpreter.js';
import { runPythonFile } from '../src/runner/python/run-python.js';
import type { Bench } from './suite.js';

const FFN_PY = path.join(__dirname, '..', 'examples', 'python', 'ffn_tp4.py');
const ARGS = ['--hidden', '1024', '--batch', '8', '--seq', '128'];

function tsFfn() {
  return simulation({
    mesh: { tp: 4 },
    model: ffn({ hidden: 1024 }),
    input: { batch: 8, seq: 128 },
    parallelize(model: Model, { tp, weights }) {
      const m = model as unknown as { fc1: Module; fc2: Module };
      m.fc1 = new ColumnParallelLinear(weights.fc1.split(1, tp));
      m.fc2 = new RowParallelLinear(weights.fc2.split(0, tp));
    },
  });
}

const noJspi = () => ({ pass: false, summary: 'skipped: this Node has no WebAssembly stack switching (Node ≥ 24, or --experimental-wasm-stack-switching)' });

const startup: Bench = {
  id: 'python.interpreter-startup',
  async run() {
    if (!pythonAvailable()) return { id: this.id, ...noJspi() };
    const t0 = performance.now();
    const it = await getInterpreter();
    const ms = performance.now() - t0;
    return { id: this.id, pass: true, summary: `CPython ${it.py.version} (Pyodide) ready in ${(it.startMs || ms).toFixed(0)} ms, once per worker (no target: printed)` };
  },
};

const ffnVsTs: Bench = {
  id: 'python.seed003-ffn-vs-typescript',
  async run() {
    if (!pythonAvailable()) return { id: this.id, ...noJspi() };
    await getInterpreter(); // warm, as a worker that ran a file before
    const times = (await alternate(3, async () => runPythonFile(FFN_PY, { nprocPerNode: 4, args: ARGS }), async () => runSimulation(tsFfn()))) as [number[], number[], { verification: { passed: boolean } }[]];
    const [py, ts, reports] = times;
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const ratio = med(py) / med(ts);
    const verified = reports.every((r) => r.verification.passed);
    return {
      id: this.id,
      pass: ratio <= 1.3 && verified,
      summary: `Python ${(med(py) / 1000).toFixed(2)} s vs TypeScript ${(med(ts) / 1000).toFixed(2)} s to a verified report: ${ratio.toFixed(2)}× (target ≤ 1.3×)${verified ? '' : ' — NOT VERIFIED'}`,
      details: ['both: the FFN sharded over 4 ranks forward and backward, and its unsharded reference (Python: the same file at world size 1); median of 3, alternating'],
    };
  },
};

/** Run a and b alternately n times each; their wall times (ms) and a's results. */
async function alternate(n: number, a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<[number[], number[], unknown[]]> {
  const ta: number[] = [];
  const tb: number[] = [];
  const ra: unknown[] = [];
  for (let i = 0; i < n; i++) {
    let t = performance.now();
    ra.push(await a());
    ta.push(performance.now() - t);
    t = performance.now();
    await b();
    tb.push(performance.now() - t);
  }
  return [ta, tb, ra];
}

const secondRun: Bench = {
  id: 'python.second-run-ready',
  async run() {
    if (!pythonAvailable()) return { id: this.id, ...noJspi() };
    await getInterpreter();
    let ready = Infinity;
    const t0 = performance.now();
    await runPythonFile(FFN_PY, { nprocPerNode: 1, onProgress: (stage) => { if (stage === 'sharded' && ready === Infinity) ready = performance.now() - t0; } });
    return { id: this.id, pass: ready <= 200, summary: `the interpreter is ready for a second run in the same worker ${ready.toFixed(0)} ms after the call (target ≤ 200 ms)` };
  },
};

export const PYTHON_BENCHES: readonly Bench[] = [startup, secondRun, ffnVsTs];
