import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { runScript } from '../../src/runner/run-script.js';
import type { Report } from '../../src/report/types.js';
import { npyBytes } from '../helpers/npy-writer.js';
import { tempDir, writeScript } from '../runner/helpers/scripts.js';

// FFN hidden 32 at tp=2, B=4, S=8: X and the labels are [4, 8, 32].
const B = 4, S = 8, H = 32;
/** The values the scripts below build (and the .npy files hold): x = sin(i / 7), labels = cos(i / 5). */
const xs = Float32Array.from({ length: B * S * H }, (_, i) => Math.sin(i / 7));
const ys = Float32Array.from({ length: B * S * H }, (_, i) => Math.cos(i / 5));

function script(input: string, extra = ''): string {
  return `import { simulation, ColumnParallelLinear, RowParallelLinear, models, ops, type FFN } from "autodist";
export default simulation({
  mesh: { tp: 2 },
  model: models.ffn({ hidden: ${H} }),
  input: { batch: ${B}, seq: ${S}, ${input} },
  ${extra}
  parallelize(model, { tp, weights }) {
    const m = model as FFN;
    m.fc1 = new ColumnParallelLinear(weights.fc1.split(1, tp));
    m.fc2 = new RowParallelLinear(weights.fc2.split(0, tp));
  },
});
`;
}

const FN_INPUT = `data: (ctx, { batch, seq }) => ctx.tensor(Float32Array.from({ length: batch * seq * ${H} }, (_, i) => Math.sin(i / 7)), [batch, seq, ${H}]),
  labels: (ctx, { batch, seq }) => ctx.tensor(Float32Array.from({ length: batch * seq * ${H} }, (_, i) => Math.cos(i / 5)), [batch, seq, ${H}])`;

const verified = (r: Report) => assert.equal(r.exitCode, 0, JSON.stringify(r.errors[0] ?? r.verification.firstDivergence));

describe('inputs, labels and loss from the spec', () => {
  test('functions of the rank context, files (.npy, .safetensors#name) and a loss(output, batch): verified, the same loss from each', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'x.npy'), npyBytes([B, S, H], xs));
    writeFileSync(path.join(dir, 'y.npy'), npyBytes([B, S, H], ys));
    const seeded = await runScript(writeScript(dir, 'seeded.ts', script('')), {});
    const fn = await runScript(writeScript(dir, 'fn.ts', script(FN_INPUT)), {});
    const files = await runScript(writeScript(dir, 'files.ts', script('data: "x.npy", labels: "y.npy"')), {});
    // half the sum of squares over the batch: the model's mean squared error times H·S/2
    const custom = await runScript(writeScript(dir, 'loss.ts', script(FN_INPUT, `loss: (out, b) => ops.scale(ops.sum(ops.square(ops.sub(out, b.target))), 0.5 / ${B}),`)), {});
    for (const r of [seeded, fn, files, custom]) verified(r);
    const loss = (r: Report) => r.verification.loss!.sharded;
    assert.notEqual(loss(fn), loss(seeded), 'the given tensors replace the seeded ones');
    assert.ok(Math.abs(loss(files) - loss(fn)) < 1e-6 * loss(fn), `the files hold what the functions build: ${loss(files)} vs ${loss(fn)}`);
    // mean((Z−T)²) over B·S·H values; ½·Σ(Z−T)²/B = mean · S·H/2
    const want = (loss(fn) * S * H) / 2;
    assert.ok(Math.abs(loss(custom) - want) < 1e-4 * want, `custom loss ${loss(custom)} vs ${want}`);
    assert.ok(Math.abs(custom.verification.loss!.reference - want) < 1e-4 * want, 'the reference used the same loss');
  });

  test('a file of the wrong shape, a missing tensor, a loss that is not one number: errors that name them', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'short.npy'), npyBytes([B - 1, S, H], xs.subarray(0, (B - 1) * S * H)));
    const short = await runScript(writeScript(dir, 'short.ts', script('data: "short.npy"')), {});
    assert.equal(short.exitCode, 2);
    assert.match(short.errors[0].headline, /input\.data \(short\.npy\) is \[3, 8, 32\] but input is batch 4, seq 8/);
    const missing = await runScript(writeScript(dir, 'missing.ts', script('data: "nothere.npy"')), {}).catch((e: Error) => e);
    const msg = missing instanceof Error ? missing.message : (missing as Report).errors[0]?.headline;
    assert.match(msg, /input\.data: the file nothere\.npy does not exist/);
    const vec = await runScript(writeScript(dir, 'vec.ts', script('', 'loss: (out, b) => ops.sub(out, b.target),')), {});
    assert.equal(vec.exitCode, 2);
    assert.match(vec.errors[0].headline, /loss\(output, batch\) returned a tensor of shape \[4, 8, 32\]; the loss must be one number/);
  });
});
