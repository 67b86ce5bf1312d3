import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeJsonTo } from '../../src/cli/json-writer.js';

const text = (v: unknown, indent = 2) => {
  let s = '';
  writeJsonTo((c) => (s += c), v, indent);
  return s;
};

test('the JSON written in pieces is the text JSON.stringify gives', () => {
  const big = Array.from({ length: 1000 }, (_, i) => ({ rank: i, peak: i * 3.5, tags: ['a', i % 2 === 0], nested: { x: [1, 2, [3]] } }));
  const values: unknown[] = [
    { a: 1, b: 'x', c: null, d: undefined, e: [1, undefined, () => 1], f: { g: [] , h: {} }, big, date: { toJSON: () => 'when' } },
    [],
    {},
    [big, big.slice(0, 3)],
    'plain',
    42,
  ];
  for (const v of values) assert.equal(text(v), JSON.stringify(v, null, 2) + '\n');
  assert.deepEqual(JSON.parse(text({ big }, 0)), JSON.parse(JSON.stringify({ big })));
});
