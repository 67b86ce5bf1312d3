import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_SETTINGS, parseMesh, readSettings } from '../../src/extension/settings.js';

describe('settings', () => {
  test('a mesh is written axis=size', () => {
    assert.equal(parseMesh(''), undefined);
    assert.equal(parseMesh('  '), undefined);
    assert.deepEqual(parseMesh('tp=2'), { tp: 2 });
    assert.deepEqual(parseMesh('dp=2, pp=2, tp=2'), { dp: 2, pp: 2, tp: 2 });
    assert.deepEqual(parseMesh('pp:2 tp:4'), { pp: 2, tp: 4 });
    assert.deepEqual(parseMesh('DP=2 x TP=4'), { dp: 2, tp: 4 });
    assert.throws(() => parseMesh('tp'), /write axis=size, e\.g\. "tp=2"/);
    assert.throws(() => parseMesh('tp=2 junk'), /cannot read "junk"/);
    assert.throws(() => parseMesh('tp=2tp=3'), /cannot read/);
    assert.throws(() => parseMesh('xp=2'), /unknown mesh axis "xp"/);
    assert.throws(() => parseMesh('tp=0'), /at least 1/);
    assert.throws(() => parseMesh('tp=2, tp=4'), /given twice/);
  });

  test('unset or wrong values fall back to the defaults; a bad mesh is reported, not used', () => {
    assert.deepEqual(readSettings(() => undefined), { settings: DEFAULT_SETTINGS, problems: [] });
    const values: Record<string, unknown> = { backend: 'cuda', hardware: 'a100', mesh: 'tq=3', 'tolerance.output': 1e-3, 'tolerance.grad': -1, timeLimit: 0, memoryLimit: 8, algorithm: 'tree' };
    const { settings, problems } = readSettings((k) => values[k]);
    assert.equal(settings.backend, 'wasm');
    assert.equal(settings.hardware, 'a100');
    assert.equal(settings.mesh, undefined);
    assert.deepEqual(settings.tolerances, { output: 1e-3 });
    assert.equal(settings.timeLimitS, DEFAULT_SETTINGS.timeLimitS);
    assert.equal(settings.memoryLimitGB, 8);
    assert.equal(settings.algorithm, 'tree');
    assert.equal(problems.length, 1);
    assert.match(problems[0], /^autodist\.mesh: unknown mesh axis "tq"/);
  });
});
