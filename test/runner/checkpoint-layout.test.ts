import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseSafetensors, writeSafetensors } from '../../src/models/safetensors.js';
import { runScript } from '../../src/runner/run-script.js';
import { tempDir, writeScript } from './helpers/scripts.js';

const EX = path.join(__dirname, '..', '..', 'examples', 'torch_batch');
/** What PyTorch 1.13 computed on this batch with this state dict (make_fixture.py). */
const expected = JSON.parse(readFileSync(path.join(EX, 'expected.json'), 'utf8')) as { loss: number; output: number[] };

function ffnScript(h: number, f: number, weights: string): string {
  return `import { simulation, ColumnParallelLinear, RowParallelLinear, models } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  model: models.ffn({ hidden: ${h}, ffnHidden: ${f} }),
  weights: ${weights},
  input: { batch: 2, seq: 4 },
  parallelize(model, { tp, weights }) {
    model.fc1 = new ColumnParallelLinear(weights.fc1.split(1, tp));
    model.fc2 = new RowParallelLinear(weights.fc2.split(0, tp));
  },
});
`;
}

const linear = (out: number, inp: number, seed: number) => Float32Array.from({ length: out * inp }, (_, i) => Math.sin(seed + i * 0.37) * 0.2);

describe('checkpoint layout', () => {
  test("torch's nn.Linear state dict and batch: verified, and the reference gives torch's own loss and output", async () => {
    const dir = tempDir();
    const dump = path.join(dir, 't.safetensors');
    const r = await runScript(path.join(EX, 'ffn_from_torch.ts'), { dump });
    assert.equal(r.exitCode, 0, JSON.stringify(r.errors[0] ?? r.verification.firstDivergence));
    assert.ok(Math.abs(r.verification.loss!.reference - expected.loss) < 1e-5, `${r.verification.loss!.reference} vs torch ${expected.loss}`);
    assert.ok(Math.abs(r.verification.loss!.sharded - expected.loss) < 1e-5);
    const out = parseSafetensors(new Uint8Array(readFileSync(dump))).get('ref/model.out')!;
    assert.deepEqual(out.shape, [2, 4, 16]);
    const d = out.data.reduce((m, v, i) => Math.max(m, Math.abs(v - expected.output[i])), 0);
    assert.ok(d < 1e-5, `output max |Δ| vs torch ${d}`);

    // the same input from numpy.save (the script beside copies of the fixtures)
    for (const f of ['ffn_torch.safetensors', 'batch.safetensors', 'input.npy']) copyFileSync(path.join(EX, f), path.join(dir, f));
    const text = readFileSync(path.join(EX, 'ffn_from_torch.ts'), 'utf8').replace("data: 'batch.safetensors#input'", "data: 'input.npy'");
    assert.match(text, /data: 'input\.npy'/);
    const npy = await runScript(writeScript(dir, 'npy.ts', text), {});
    assert.equal(npy.exitCode, 0);
    assert.ok(Math.abs(npy.verification.loss!.reference - expected.loss) < 1e-5);
  });

  test('a square weight saved by torch, declared autodist: refused by its name and the layouts, not its shape', async () => {
    const dir = tempDir();
    const h = 16;
    // both weights square [16, 16]: no shape check could tell [out, in] from [in, out]
    const sd = { 'fc1.weight': linear(h, h, 1), 'fc1.bias': new Float32Array(h), 'fc2.weight': linear(h, h, 2), 'fc2.bias': new Float32Array(h) };
    const tensors = Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, { shape: k.endsWith('weight') ? [h, h] : [h], data: v }]));
    writeFileSync(path.join(dir, 'pt.safetensors'), writeSafetensors(tensors, { format: 'pt' }));
    const wrong = await runScript(writeScript(dir, 'wrong.ts', ffnScript(h, h, "{ file: 'pt.safetensors', layout: 'autodist' }")), {});
    assert.equal(wrong.exitCode, 2);
    const e = wrong.errors[0];
    assert.match(e.headline, /pt\.safetensors is in torch layout \(it was saved from PyTorch \(metadata format "pt"\)\), but the spec says layout: 'autodist'/);
    assert.match(e.headline, /fc1\.weight \[16, 16\] \(square: its shape cannot tell\)/);
    assert.equal(e.fix, "weights: { file: 'pt.safetensors', layout: 'torch' }");
    assert.ok(e.source?.line, 'at the line that names the file');
    // in its own layout it loads (transposed) and verifies
    const right = await runScript(writeScript(dir, 'right.ts', ffnScript(h, h, "{ file: 'pt.safetensors', layout: 'torch' }")), {});
    assert.equal(right.exitCode, 0, JSON.stringify(right.errors[0]));
  });

  test("an [in, out] file under the default torch layout: the shape mismatch says which layout it is in", async () => {
    const dir = tempDir();
    const h = 8;
    const tensors = { 'fc1.weight': { shape: [h, 4 * h], data: linear(h, 4 * h, 1) }, 'fc2.weight': { shape: [4 * h, h], data: linear(4 * h, h, 2) } };
    writeFileSync(path.join(dir, 'ours.safetensors'), writeSafetensors(tensors));
    const r = await runScript(writeScript(dir, 'default.ts', ffnScript(h, 4 * h, "'ours.safetensors'")), {});
    assert.equal(r.exitCode, 2);
    assert.match(r.errors[0].headline, /the checkpoint does not fit the model/);
    assert.match(r.errors[0].fix ?? '', /\[in, out\] \(AutoDist's layout\), not torch's \[out, in\]: weights: \{ file, layout: 'autodist' \}/);
  });

  test('spec.weights in a program: the file\'s tensors by name, whole or split over tp, the values as stored', async () => {
    const dir = tempDir();
    // w [4, 6] = 0, 1, …, 23; rank i of tp=2 takes columns [3i, 3i + 3) of it
    writeFileSync(path.join(dir, 'w.safetensors'), writeSafetensors({ w: { shape: [4, 6], data: Float32Array.from({ length: 24 }, (_, i) => i) } }));
    const text = `import { simulation, ops } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  weights: 'w.safetensors',
  async program(rank, { weights }) {
    const part = weights.split('w', 1); // [4, 3]
    const whole = weights.full('w'); // [4, 6]
    const s = await rank.comm.allReduce(ops.sum(part), { axis: 'tp' }); // Σ of all 24 values
    const v = (await s.values())[0];
    if (v !== 276) throw new Error(\`sum \${v}\`); // 0 + 1 + … + 23
    if (whole.shape.join() !== '4,6' || part.shape.join() !== '4,3') throw new Error('shapes');
    const first = (await part.values())[0];
    if (first !== 3 * rank.coord('tp')) throw new Error(\`rank \${rank.rank} starts at \${first}\`);
    weights.full('nope');
  },
});
`;
    const r = await runScript(writeScript(dir, 'prog.ts', text), {});
    assert.equal(r.errors.length > 0, true);
    // everything before the last line held: only the unknown name failed, with the names there are
    assert.match(r.errors[0].headline, /the weights file has no tensor "nope" \(it has w\)/);
    assert.ok(r.collectives.some((c) => c.op === 'all_reduce'));
  });
});

