import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { writeSafetensors } from '../../src/models/safetensors.js';
import { estimateNumericMemory, GiB } from '../../src/runner/memory-guard.js';
import { loadScript } from '../../src/runner/load-script.js';
import type { StreamEvent } from '../../src/runner/protocol.js';
import { runScript } from '../../src/runner/run-script.js';
import { useBackend } from '../helpers/backend.js';
import { biasBugScript, ffnScript, lineIn, tempDir, writeScript } from './helpers/scripts.js';

before(async () => {
  await useBackend();
});

describe('runScript (in this thread)', () => {
  test('a TypeScript script verifies; shards, layers and the ledger point at its own lines', async () => {
    const dir = tempDir();
    const text = ffnScript();
    const file = writeScript(dir, 'ffn_tp2.ts', text);
    const fc1 = lineIn(text, '// FC1');
    const fc2 = lineIn(text, '// FC2');
    const r = await runScript(file);
    assert.equal(r.exitCode, 0, JSON.stringify(r.errors));
    assert.equal(r.verification.passed, true);
    assert.equal(r.script, file);
    for (const s of r.shards) {
      assert.equal(s.source?.file, file);
      assert.equal(s.source?.line, s.module === 'fc1' ? fc1 : fc2, `${s.module}.${s.param} on rank ${s.rank}`);
    }
    const fwd = r.collectives.filter((c) => c.phase === 'forward');
    const bwd = r.collectives.filter((c) => c.phase === 'backward');
    assert.deepEqual(fwd.map((c) => [c.op, c.module, c.source?.file, c.source?.line]), [['all_reduce', 'fc2', file, fc2]]);
    assert.deepEqual(bwd.map((c) => [c.op, c.module, c.source?.file, c.source?.line]), [['all_reduce', 'fc1', file, fc1]]);
  });

  test('a mesh override with an unknown axis is refused (exit 2)', async () => {
    const file = writeScript(tempDir(), 'ffn.ts', ffnScript());
    const r = await runScript(file, { mesh: { zz: 2 } });
    assert.equal(r.exitCode, 2);
    assert.match(r.errors[0].message, /unknown mesh axis "zz"/);
  });

  test('meta mode on a plan-only script folds dp/tp (the NaN guard, numeric only, does not make it look hand-written)', async () => {
    const file = writeScript(tempDir(), 'gpt2_plan.ts', [
      "import { simulation, models } from 'autodist';",
      'export default simulation({',
      '  mesh: { dp: 2, tp: 2 },',
      '  model: models.gpt2({ nLayer: 2, nEmbd: 32, nHead: 4, vocab: 64, nPositions: 16 }),',
      '  input: { batch: 4, seq: 8 },',
      "  plan: { 'h.*.attn.c_attn': 'colwise', 'h.*.attn.c_proj': 'rowwise', 'h.*.mlp.c_fc': 'colwise', 'h.*.mlp.c_proj': 'rowwise' },",
      '});',
      '',
    ].join('\n'));
    const meta = await runScript(file, { mode: 'meta' });
    assert.equal(meta.exitCode, 0, JSON.stringify(meta.errors));
    assert.deepEqual(meta.folded?.axes, ['dp', 'tp']);
    assert.deepEqual(meta.folded?.representatives, [0]);
    const numeric = await runScript(file);
    assert.equal(numeric.exitCode, 0, JSON.stringify(numeric.errors));
    assert.equal(numeric.folded, undefined);
  });

  test('a mesh that does not divide the model names the weight and the sizes, at the line', async () => {
    const text = ffnScript({ hidden: 64 });
    const file = writeScript(tempDir(), 'ffn.ts', text);
    const r = await runScript(file, { mesh: { tp: 3 } });
    assert.equal(r.exitCode, 2);
    const e = r.errors[0];
    assert.match(e.message, /"fc1\.weight" \[64, 256\]/);
    assert.match(e.message, /256 is not divisible by 3/);
    assert.equal(e.source?.file, file);
    assert.equal(e.source?.line, lineIn(text, '// FC1'));
  });

  test('a numeric run that needs ~100s of GiB is refused before anything is allocated, with the estimate', async () => {
    const file = writeScript(tempDir(), 'huge.ts', ffnScript({ hidden: 8192, tp: 4, batch: 64, seq: 1024 }));
    const spec = loadScript(file).spec;
    const est = estimateNumericMemory({ ...spec, mesh: { tp: 4 } })!;
    assert.ok(est.totalBytes > 100 * GiB, `estimate ${est.totalBytes / GiB} GiB`);
    const before = tf.memory().numBytes;
    const t0 = performance.now();
    const r = await runScript(file);
    assert.ok(performance.now() - t0 < 3000, 'refused at once');
    assert.equal(tf.memory().numBytes, before, 'nothing was allocated');
    assert.equal(r.exitCode, 2);
    const e = r.errors[0];
    assert.equal(e.kind, 'memory-limit');
    assert.match(e.message, new RegExp(`about ${Math.round(est.totalBytes / GiB)} GiB`));
    assert.match(e.message, /limit of 4\.0 GiB/);
    assert.match(e.message, /--meta/);
    // The same script in meta mode runs: shapes only.
    const meta = await runScript(file, { mode: 'meta' });
    assert.equal(meta.exitCode, 0, JSON.stringify(meta.errors));
    assert.equal(meta.verification.skipped, 'meta mode has shapes only');
  });

  test('the memory estimate is above what a run really allocates, within a small factor', async () => {
    const file = writeScript(tempDir(), 'ffn.ts', ffnScript({ hidden: 128, tp: 2, batch: 4, seq: 32 }));
    const est = estimateNumericMemory(loadScript(file).spec)!;
    const base = tf.memory().numBytes;
    let peak = 0;
    const r = await runScript(file, {}, { onEvent: () => (peak = Math.max(peak, tf.memory().numBytes - base)) });
    assert.equal(r.exitCode, 0);
    assert.ok(est.totalBytes >= peak, `estimate ${est.totalBytes} ≥ measured peak ${peak}`);
    assert.ok(est.totalBytes < 3 * peak, `estimate ${est.totalBytes} within 3× of ${peak}`);
  });

  test('NaN/Inf: the run stops at the first op that produced it, with its line', async () => {
    const text = `import { simulation, models, Module, ops, type Tensor } from "autodist";

class Blowup extends Module {
  async forward(x: Tensor): Promise<Tensor> {
    const zero = ops.sub(x, x);
    return ops.div(x, zero); // DIV
  }
}

export default simulation({
  mesh: { tp: 2 },
  model: models.ffn({ hidden: 32 }),
  input: { batch: 2, seq: 4 },
  parallelize(model) {
    model.set("fc2", new Blowup());
  },
});
`;
    const file = writeScript(tempDir(), 'nan.ts', text);
    const r = await runScript(file);
    assert.equal(r.exitCode, 2);
    const e = r.errors[0];
    assert.equal(e.kind, 'numeric');
    assert.match(e.headline, /div in fc2 \(forward\) produced .*Inf.* from finite inputs/);
    assert.equal(e.source?.file, file);
    assert.equal(e.source?.line, lineIn(text, '// DIV'));
    assert.match(e.fix ?? '', /division by zero/);
  });

  test('NaN/Inf: a −inf attention mask (masked_fill, or a −inf triu added to the scores) is not an error; a fully masked row (NaN) is', async () => {
    const text = (fully: boolean) => `import { simulation, ops } from "autodist";

export default simulation({
  mesh: { dp: 2 },
  async program(rank) {
    const s = rank.randn([4, 4], { key: "scores" });
    const mask = ops.triu(ops.full(rank, [4, 4], true), 1);
    const a = ops.softmaxDim(ops.maskedFill(s, mask, -Infinity), -1);
    const b = ops.softmaxDim(ops.add(s, ops.triu(ops.full(rank, [4, 4], -Infinity), 1)), -1);
    ${fully ? 'ops.softmaxDim(ops.maskedFill(s, ops.full(rank, [4, 4], true), -Infinity), -1); // ALL' : ''}
    return [(await a.values())[0], (await b.values())[0]];
  },
});
`;
    const ok = await runScript(writeScript(tempDir(), 'mask.ts', text(false)));
    assert.equal(ok.exitCode, 0, JSON.stringify(ok.errors));
    const src = text(true);
    const file = writeScript(tempDir(), 'mask-all.ts', src);
    const bad = await runScript(file);
    assert.equal(bad.exitCode, 2);
    assert.match(bad.errors[0].headline, /softmax \(forward\) produced 16 NaN values \(of 16\) from the 16 ±Inf values \(of 16\) in its input #0 \[4, 4\]/);
    assert.match(bad.errors[0].fix ?? '', /a row masked entirely with −inf has no softmax/);
    assert.equal(bad.errors[0].source?.line, lineIn(src, '// ALL'));
  });

  test('a script whose bias is added on every rank fails verification (exit 1) at the layer', async () => {
    const text = biasBugScript();
    const file = writeScript(tempDir(), 'bias.ts', text);
    const r = await runScript(file);
    assert.equal(r.exitCode, 1, JSON.stringify(r.errors));
    const d = r.verification.firstDivergence!;
    assert.match(d.message, /fc2/);
    assert.equal(d.builtAt?.line ?? d.source?.line, lineIn(text, '// FC2'));
  });

  test('weights from a .safetensors file next to the script are loaded', async () => {
    const dir = tempDir();
    const h = 16;
    const zeros = (shape: number[]) => ({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
    writeFileSync(path.join(dir, 'w.safetensors'), writeSafetensors({ 'fc1.weight': zeros([h, 4 * h]), 'fc1.bias': zeros([4 * h]), 'fc2.weight': zeros([4 * h, h]), 'fc2.bias': zeros([h]) }));
    const text = ffnScript({ hidden: h }).replace('input: {', 'weights: { file: "w.safetensors", layout: "autodist" }, // [in, out]\n  input: {');
    const file = writeScript(dir, 'ffn.ts', text);
    const events: StreamEvent[] = [];
    const r = await runScript(file, {}, { onEvent: (e) => events.push(e) });
    assert.equal(r.exitCode, 0, JSON.stringify(r.errors));
    assert.ok(events.some((e) => e.type === 'progress' && /loaded 4 tensors from w\.safetensors/.test(e.message)));
    // All-zero weights: the output is zero, so the MSE loss is the mean square of the target (≈ 1).
    assert.ok(Math.abs(r.verification.loss!.reference - 1) < 0.5, `loss ${r.verification.loss!.reference}`);

    const missing = writeScript(dir, 'missing.ts', text.replace('"w.safetensors"', '"nope.safetensors"'));
    const r2 = await runScript(missing);
    assert.equal(r2.exitCode, 2);
    assert.match(r2.errors[0].message, /nope\.safetensors does not exist/);
    assert.equal(r2.errors[0].source?.line, lineIn(text, 'weights:'));
  });
});
