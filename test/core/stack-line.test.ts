import { test } from 'node:test';
import { compileFunction } from 'node:vm';
import assert from 'node:assert/strict';
import { stackLineLocation } from '../../src/core/source.js';
import { locator, withoutComments } from '../../src/runner/load-script.js';

test('a stack line gives its file, line and column for any character in the path', () => {
  const cases: [string, string | undefined, number?, number?][] = [
    ['    at program (/home/a/my sims/ünï cødé ✓.ts:12:7)', '/home/a/my sims/ünï cødé ✓.ts', 12, 7],
    ['    at /home/a/my sims/ünï cødé ✓.ts:3:1', '/home/a/my sims/ünï cødé ✓.ts', 3, 1],
    ['    at async Promise.all (index 0)', undefined],
    ['    at new Promise (<anonymous>)', undefined],
    ['    at Object.<anonymous> (/tmp/x (copy)/a.ts:5:9)', '/tmp/x (copy)/a.ts', 5, 9],
    ['    at f (file:///tmp/my%20dir/a.ts:2:3)', '/tmp/my dir/a.ts', 2, 3],
    ['    at g (C:\\Users\\me\\my sims\\a.ts:8:4)', 'C:\\Users\\me\\my sims\\a.ts', 8, 4],
    ['    at node:internal/timers:439:19', 'node:internal/timers', 439, 19],
    ['Error: boom', undefined],
    ['    at async /work/dist/worker.js:62181:7', '/work/dist/worker.js', 62181, 7],
    ['    at async run (/a b/c.ts:4:2)', '/a b/c.ts', 4, 2],
  ];
  for (const [line, file, l, c] of cases) {
    const at = stackLineLocation(line);
    if (file === undefined) assert.equal(at, undefined, line);
    else assert.deepEqual(at, { file, line: l, column: c }, line);
  }
});

test('a real V8 stack of code compiled from a path with spaces and non-ASCII characters', () => {
  const file = '/home/a/my sims/ünï cødé ✓.ts';
  const fn = compileFunction('\n\n  return new Error("x");', [], { filename: file }) as () => Error;
  const frame = (fn().stack ?? '').split('\n')[1];
  assert.deepEqual(stackLineLocation(frame), { file, line: 3, column: 10 });
});

test('comments are blanked out, lines and columns kept; a plan key quoted in an earlier comment is placed at the key', () => {
  const text = [
    '// the plan: "fc1" colwise, then "fc2" rowwise',
    '/* also "fc1" here',
    '   and "fc2" */',
    "const s = 'a // not a comment';",
    'export default simulation({ plan: { "fc1": "colwise", fc2: "rowwise" } });',
  ].join('\n');
  const blank = withoutComments(text);
  assert.equal(blank.length, text.length);
  assert.equal(blank.split('\n')[3], "const s = 'a // not a comment';");
  assert.equal(blank.split('\n')[0].trim(), '');
  const at = locator('/s.ts', text);
  assert.deepEqual(at('fc1'), { file: '/s.ts', line: 5, column: 37 });
  assert.equal(at('fc2')?.line, 5);
});
