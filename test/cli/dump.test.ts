import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Report } from '../../src/report/types.js';
import { biasBugScript, tempDir, writeScript } from '../runner/helpers/scripts.js';
import { cli } from './helpers/cli.js';

/**
 * A safetensors reader written for this test from the format's description (u64 LE header
 * length, JSON header, F32 little-endian data), independent of src/models/safetensors.ts.
 */
function readF32Safetensors(file: string): Map<string, { shape: number[]; data: Float32Array }> {
  const buf = readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    assert.equal(e.dtype, 'F32', name);
    const [a, b] = e.data_offsets;
    const data = new Float32Array((b - a) / 4);
    for (let i = 0; i < data.length; i++) data[i] = buf.readFloatLE(8 + n + a + 4 * i);
    out.set(name, { shape: e.shape, data });
  }
  return out;
}

const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

describe('simulate --dump', () => {
  test('inputs, outputs, gradients and loss of both sides, by name; their |Δ| is the verifier\'s', async () => {
    const dir = tempDir();
    const script = writeScript(dir, 'bias_bug.ts', biasBugScript());
    const [dump, json] = [path.join(dir, 'out', 't.safetensors'), path.join(dir, 'r.json')];
    const r = await cli(['simulate', script, '--dump', dump, '--json', json, '--quiet']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`wrote ${dump.replace(/[.]/g, '\\.')}`));
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    const t = readF32Safetensors(dump);

    assert.deepEqual(t.get('input')!.shape, [2, 8, 64]);
    assert.deepEqual(t.get('labels')!.shape, [2, 8, 64]);
    assert.equal(t.get('ref/loss')!.data[0], Math.fround(report.verification.loss!.reference));
    assert.equal(t.get('sim/loss')!.data[0], Math.fround(report.verification.loss!.sharded));
    const checks = [...report.verification.outputs.filter((c) => c.kind === 'output'), ...report.verification.grads.filter((c) => c.kind === 'grad')];
    assert.ok(checks.length >= 7, 'three outputs (fc1, fc2, model) and four parameter gradients');
    for (const c of checks) {
      const suffix = c.kind === 'output' ? 'out' : 'grad';
      const ref = t.get(`ref/${c.name}.${suffix}`);
      const sim = t.get(`sim/${c.name}.${suffix}`);
      assert.ok(ref && sim, `ref/${c.name}.${suffix} and sim/${c.name}.${suffix} are in the file`);
      assert.deepEqual(sim.shape, ref.shape, c.name);
      assert.deepEqual(ref.shape, c.shape, `${c.name}: the dense shape`);
      const d = maxAbsDiff(sim.data, ref.data);
      assert.ok(Math.abs(d - c.maxAbs) <= 1e-6 + 1e-3 * c.maxAbs, `${c.name}: |Δ| ${d} in the file, ${c.maxAbs} in the report`);
    }
    // the bug shows in the file as in the report: fc2's output is off by the bias counted twice
    assert.ok(maxAbsDiff(t.get('sim/fc2.out')!.data, t.get('ref/fc2.out')!.data) > 1e-3);
    assert.ok(maxAbsDiff(t.get('sim/fc1.out')!.data, t.get('ref/fc1.out')!.data) < 1e-4);

    // and torch reads it (Debian's python3-torch, where installed): the same |Δ| for fc2
    const py = '/usr/bin/python3';
    const torch = existsSync(py) && spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
    if (torch) {
      const code = `
import json, struct, sys, torch
b = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
h = json.loads(b[8:8 + n])
def t(name):
    e = h[name]; s, f = e['data_offsets']
    return torch.frombuffer(bytearray(b[8 + n + s:8 + n + f]), dtype=torch.float32).reshape(e['shape'])
print((t('sim/fc2.out') - t('ref/fc2.out')).abs().max().item())`;
      const p = spawnSync(py, ['-c', code, dump], { encoding: 'utf8' });
      assert.equal(p.status, 0, p.stderr);
      const fc2 = report.verification.outputs.find((c) => c.name === 'fc2')!;
      assert.ok(Math.abs(Number(p.stdout) - fc2.maxAbs) <= 1e-6 + 1e-3 * fc2.maxAbs, `torch: ${p.stdout} vs ${fc2.maxAbs}`);
    }
  });
});
