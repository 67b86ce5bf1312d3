import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { hasRankFunctions, moduleStateLines, RankModules } from '../../src/runner/rank-modules.js';
import { loadScript, scriptBuiltins } from '../../src/runner/load-script.js';

const CASES = path.join(__dirname, '..', 'bad-inputs', 'cases', 'state');
const script = path.join(CASES, 'helper-counter.ts');

test('each rank gets its own evaluation of the script and its helpers, up to the limit; past it, undefined and recorded', async () => {
  const m = new RankModules(script, scriptBuiltins(), 2);
  const a = m.forRank(0)!;
  const b = m.forRank(1)!;
  assert.equal(typeof a.program, 'function');
  assert.notEqual(a.program, b.program, 'two ranks, two closures over two module states');
  assert.equal(m.forRank(0), a, 'a rank keeps its copy');
  assert.equal(m.forRank(5), undefined);
  assert.deepEqual(m.sharedRanks, [5]);
  assert.equal(m.loaded, 2);
  assert.deepEqual(m.files.map((f) => path.relative(CASES, f)).sort(), ['helper-counter.ts', path.join('helpers', '_counter.ts')]);
  // the helper's counter: each copy counts from 1 (the shared first load has its own too)
  const { next: n0 } = new RankModules(path.join(CASES, 'helpers', '_counter.ts'), scriptBuiltins()).forRank(0) as never as { next?: () => number };
  assert.equal(n0, undefined, 'a helper without a simulation export gives no rank functions');
});

test('a script with only a model and a plan runs nothing of the person\'s on the ranks: no per-rank copies', () => {
  const withPlan = loadScript(path.join(__dirname, '..', '..', 'examples', 'gpt2_plan_tp4.ts')).spec;
  assert.equal(hasRankFunctions(withPlan), false);
  assert.equal(hasRankFunctions(loadScript(script).spec), true);
});

test('module-level state lines: top-level let/var and fresh containers, not constants or nested bindings', () => {
  const text = [
    'import { simulation } from "autodist";', // 1
    'let calls = 0;', // 2
    'export var total = 1;', // 3
    'const seen = new Map<number, number>();', // 4
    'const order: number[] = [];', // 5
    'const hidden = 64;', // 6
    'function f() {', // 7
    '  let local = 0;', // 8
    '  return local;', // 9
    '}', // 10
  ].join('\n');
  assert.deepEqual(moduleStateLines('/x/s.ts', text).map((s) => s.line), [2, 3, 4, 5]);
});
