/**
 * The Python path and the TypeScript path compute the same model alike: examples/python/llama_hf_tp.py
 * (HF's LlamaForCausalLM in plain torch.nn, tensor-parallel with parallelize_module at tp = 2) and
 * the built-in `llama` model (src/models/llama.ts) at world size 1, loaded with the same exact
 * weights, give the same loss, logits and gradients (1e-5 relative, through checksums the script
 * prints: Σx² and Σx·c per tensor, over torch's row-major layout).
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { initBackend } from '../../../src/runner/backend.js';
import { pythonAvailable } from '../../../src/runner/python/interpreter.js';
import { runPythonFile } from '../../../src/runner/python/run-python.js';
import { simulate, type RankContext } from '../../../src/core/index.js';
import { crossEntropy, reshape } from '../../../src/core/ops/index.js';
import { Params, WeightStore } from '../../../src/models/weights.js';
import { assignPaths } from '../../../src/models/nn/module.js';
import { hfTensorLayout, llama } from '../../../src/models/llama.js';

const root = path.resolve(__dirname, '..', '..', '..');
const skip = pythonAvailable() ? false : 'no WebAssembly stack switching in this Node (run with --experimental-wasm-stack-switching)';

// the script's constants (VOCAB, HIDDEN, N_HEADS, FFN, N_LAYERS; eps 1e-6 and θ = 10000 are the built-in's defaults)
const SPEC = llama({ nLayer: 2, hidden: 32, nHead: 4, ffnHidden: 48, vocab: 64 });
const [B, S, V] = [2, 8, 64];

/** The script's exact_values: ((a·i + b) mod 97 − 48) / 1024, a = 13 + 2k, b = 5k. */
function exactValues(n: number, k: number): Float32Array {
  const [a, b] = [13 + 2 * k, 5 * k];
  return Float32Array.from({ length: n }, (_, i) => (((a * i + b) % 97) - 48) / 1024);
}

/** The script's tokens(offset): (7i + 3j² + offset) mod V. */
function tokens(offset: number): Int32Array {
  return Int32Array.from({ length: B * S }, (_, x) => {
    const [i, j] = [Math.floor(x / S), x % S];
    return (7 * i + 3 * j * j + offset) % V;
  });
}

/** [rows, cols] row-major → [cols, rows]. */
function transpose(v: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = v[r * cols + c];
  return out;
}

/** The script's checksums: Σx², Σx·c with c_i = (31·i mod 17) − 8; and Σc² (for the scale of Σx·c). */
function checksums(v: ArrayLike<number>): [number, number, number] {
  let sq = 0;
  let dot = 0;
  let cc = 0;
  for (let i = 0; i < v.length; i++) {
    const c = ((31 * i) % 17) - 8;
    sq += v[i] * v[i];
    dot += v[i] * c;
    cc += c * c;
  }
  return [sq, dot, cc];
}

/** The built-in model, world size 1, the script's weights and tokens: name → checksums (torch's layout). */
async function builtIn(): Promise<Map<string, [number, number, number]>> {
  const store = new WeightStore({ mode: 'numeric' });
  // declare the parameters (their names are HF's, as the script's), then load the script's values
  await simulate({ mesh: { tp: 1 } }, async (ctx: RankContext) => {
    SPEC.build(new Params(ctx, store));
  });
  const names = store.names().sort();
  assert.equal(names.length, 1 + 2 * 9 + 2);
  names.forEach((name, k) => {
    const shape = store.decl(name).shape; // ours: a Linear is [in, out]
    const n = shape.reduce((a, b) => a * b, 1);
    let v = exactValues(n, k);
    if (/layernorm\.weight$|^model\.norm\.weight$/.test(name)) v = v.map((x) => x + 1);
    // the script's values run over torch's [out, in]: ours is its transpose
    if (hfTensorLayout(name) === 'transpose') v = transpose(v, shape[1], shape[0]);
    store.load(name, v);
  });
  return simulate({ mesh: { tp: 1 } }, async (ctx: RankContext) => {
    const model = SPEC.build(new Params(ctx, store));
    assignPaths(model);
    const ids = ctx.tensor(tokens(1), [B, S], 'int32'); // [B, S]
    const target = ctx.tensor(tokens(2), [B, S], 'int32'); // [B, S]
    const logits = await model.call(ids); // [B, S, V]
    const loss = crossEntropy(reshape(logits, [B * S, V]), reshape(target, [B * S]));
    await ctx.backward(loss);
    const out = new Map<string, [number, number, number]>();
    out.set('loss', [(await loss.values())[0], 0, 0]);
    out.set('logits', checksums(await logits.values()));
    for (const [name, p] of model.namedParameters()) {
      let g: ArrayLike<number> = await p.grad!.values();
      if (hfTensorLayout(name) === 'transpose') g = transpose(g, p.shape[0], p.shape[1]); // back to torch's [out, in]
      out.set(name, checksums(g));
    }
    return out;
  }).then((r) => {
    assert.ok(r.ok, JSON.stringify(r.errors));
    return r.returns[0] as Map<string, [number, number, number]>;
  });
}

function rel(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-30);
}

describe("the Python Llama and the TypeScript path's built-in Llama", { skip }, () => {
  before(async () => {
    await initBackend('wasm', 1);
  });

  test('llama_hf_tp.py at tp = 2 (verified against world size 1) and the built-in llama with the same weights: loss, logits, every gradient within 1e-5', async () => {
    let text = '';
    const report = await runPythonFile(path.join(root, 'examples', 'python', 'llama_hf_tp.py'), { nprocPerNode: 2, onOutput: (rank, _s, t) => (text += rank === 0 ? t : '') });
    assert.deepEqual(report.errors, []);
    assert.equal(report.verification.passed, true, JSON.stringify(report.verification.firstDivergence));
    assert.equal(report.verification.grads.length, 21);
    const py = new Map<string, [number, number]>();
    for (const line of text.split('\n')) {
      const f = line.trim().split(/\s+/);
      if (f[0] === 'loss') py.set('loss', [Number(f[1]), 0]);
      else if (f[0] === 'logits') py.set('logits', [Number(f[1]), Number(f[2])]);
      else if (f[0] === 'grad') py.set(f[1], [Number(f[2]), Number(f[3])]);
    }
    const ts = await builtIn();
    assert.deepEqual([...py.keys()].sort(), [...ts.keys()].sort());
    // the loss is ln V-ish for these small weights: a sanity check that both ran the model, not zeros
    assert.ok(py.get('loss')![0] > 3 && py.get('loss')![0] < 6, String(py.get('loss')));
    let worst = 0;
    for (const [name, [sq, dot, cc]] of ts) {
      const [psq, pdot] = py.get(name)!;
      assert.ok(sq > 0, `${name}: a value of zeros would compare trivially`);
      assert.ok(rel(psq, sq) < 1e-5, `${name}: ${name === 'loss' ? 'loss' : 'Σx²'} Python ${psq} vs built-in ${sq} (rel ${rel(psq, sq).toExponential(2)})`);
      worst = Math.max(worst, rel(psq, sq));
      if (name === 'loss') continue;
      // Σx·c sums terms of both signs: its error is relative to its bound √(Σx²·Σc²) (Cauchy–Schwarz)
      const e = Math.abs(pdot - dot) / Math.sqrt(sq * cc);
      assert.ok(e < 1e-5, `${name}: Σx·c Python ${pdot} vs built-in ${dot} (${e.toExponential(2)} of its bound)`);
      worst = Math.max(worst, e);
    }
    console.log(`# the Python Llama vs the built-in: worst relative difference ${worst.toExponential(2)}`);
  });
});
