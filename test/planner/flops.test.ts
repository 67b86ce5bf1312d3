import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gpt2 } from '../../src/models/gpt2.js';
import { hardwareFlops, layerForwardFlops, modelFlops, sixND } from '../../src/planner/flops.js';
import { shapeOf } from '../../src/planner/shape.js';

const [l, h, a, V, s, B] = [96, 12288, 96, 51200, 2048, 64];
const m = shapeOf({ id: 'gpt3', dropout: true, spec: gpt2({ nLayer: l, nEmbd: h, nHead: a, vocab: V, nPositions: s }) });
const close = (x: number, y: number, tol = 1e-12) => assert.ok(Math.abs(x - y) <= tol * Math.abs(y), `${x} vs ${y}`);

test('one GPT layer forward: 24bsh²(1 + s/(6h)) (Narayanan et al. 2021 §5.1)', () => {
  close(layerForwardFlops(m, 1, s).total, 24 * s * h * h * (1 + s / (6 * h)));
});

test('Narayanan Eq. (3), with full recompute: 96·B·s·l·h²·(1 + s/(6h) + V/(16·l·h))', () => {
  close(hardwareFlops(m, B, s, 'full', 'unfused'), 96 * B * s * l * h * h * (1 + s / (6 * h) + V / (16 * l * h)));
});

test('model FLOPs, no recompute: 72·B·s·l·h²·(1 + s/(6h) + V/(12·l·h)) (Korthikanti Appendix A) — 3/4 of the layers, the same head', () => {
  const mf = modelFlops(m, B, s);
  close(mf, 72 * B * s * l * h * h * (1 + s / (6 * h) + V / (12 * l * h)));
  close(hardwareFlops(m, B, s, 'none', 'unfused'), mf);
});

test('selective recompute redoes the attention core: + 4·B·s²·h per layer', () => {
  close(hardwareFlops(m, B, s, 'selective', 'unfused') - modelFlops(m, B, s), 4 * B * s * s * h * l, 1e-9);
});

test('6ND is within a few percent of the model FLOPs for GPT-3 at s = 2048', () => {
  const six = sixND(m.totalParams, B * s);
  const ratio = modelFlops(m, B, s) / six;
  assert.ok(ratio > 1 && ratio < 1.06, `model / 6ND = ${ratio}`);
});
