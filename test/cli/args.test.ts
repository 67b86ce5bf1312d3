import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, parseMesh, UsageError } from '../../src/cli/args.js';

describe('command line', () => {
  test('a Python file: --nproc-per-node as torchrun, its own arguments after --', () => {
    const a = parseArgs(['simulate', 'train.py', '--nproc-per-node', '4', '--meta', '--', '--lr', '0.1', 'extra']);
    assert.equal(a.command, 'simulate');
    if (a.command !== 'simulate') return;
    assert.equal(a.nprocPerNode, 4);
    assert.deepEqual(a.scriptArgs, ['--lr', '0.1', 'extra']);
    assert.equal(parseArgs(['simulate', 'train.py', '--nproc_per_node=2']).command === 'simulate' && (parseArgs(['simulate', 'train.py', '--nproc_per_node=2']) as { nprocPerNode?: number }).nprocPerNode, 2);
    assert.throws(() => parseArgs(['simulate', 's.ts', '--nproc-per-node', '4']), /for Python files/);
    assert.throws(() => parseArgs(['simulate', 'train.py', '--nproc-per-node', '0']), /whole number ≥ 1/);
    assert.throws(() => parseArgs(['simulate', 'a.py', 'b.py']), /own arguments go after --/);
  });

  test('simulate with every option', () => {
    const a = parseArgs(['simulate', 's.ts', '--mesh', 'dp=2,pp=2,tp=2', '--meta', '--backend=cpu', '--threads', '3', '--hardware', 'a100', '--algorithm', 'tree', '--json', '-', '--trace', 't.json', '--html', 'r.html', '--dump', 'd.safetensors', '--timeout', '30', '--max-memory', '0.5', '--no-nan-check', '--quiet']);
    assert.deepEqual(a, {
      command: 'simulate', script: 's.ts', mesh: { dp: 2, pp: 2, tp: 2 }, meta: true, backend: 'cpu', threads: 3, hardware: 'a100', algorithm: 'tree',
      json: '-', trace: 't.json', html: 'r.html', dump: 'd.safetensors', timeoutS: 30, maxMemoryGB: 0.5, nanCheck: false, quiet: true,
    });
  });

  test('compare: two scripts or more, simulate\'s options but --trace and --dump', () => {
    const a = parseArgs(['compare', 'a.ts', 'b.ts', 'c.py', '--meta', '--json', 'c.json', '--html', 'c.html']);
    assert.equal(a.command, 'compare');
    if (a.command === 'compare') {
      assert.deepEqual(a.scripts, ['a.ts', 'b.ts', 'c.py']);
      assert.equal(a.meta, true);
      assert.equal(a.json, 'c.json');
      assert.equal(a.html, 'c.html');
    }
    assert.throws(() => parseArgs(['compare', 'a.ts']), /compare needs two scripts or more, got only a\.ts/);
    assert.throws(() => parseArgs(['compare', 'a.ts', 'b.ts', '--trace', 't.json']), /unknown option --trace/);
  });

  test('defaults, init, demo, help, version', () => {
    const a = parseArgs(['simulate', 's.ts']);
    assert.equal(a.command, 'simulate');
    if (a.command === 'simulate') {
      assert.equal(a.timeoutS, 120);
      assert.equal(a.maxMemoryGB, 4);
      assert.equal(a.nanCheck, true);
      assert.equal(a.mesh, undefined);
      assert.equal(a.threads, undefined);
    }
    assert.deepEqual(parseArgs(['init']), { command: 'init', dir: '.', force: false });
    assert.deepEqual(parseArgs(['init', 'scripts', '--force']), { command: 'init', dir: 'scripts', force: true });
    assert.deepEqual(parseArgs(['demo']), { command: 'demo', backend: undefined, timeoutS: 300 });
    assert.deepEqual(parseArgs([]), { command: 'help' });
    assert.deepEqual(parseArgs(['--version']), { command: 'version' });
  });

  test('bad input says what is wrong', () => {
    const bad: [string[], RegExp][] = [
      [['simulate'], /needs a script/],
      [['simulate', 'a.ts', 'b.ts'], /one script/],
      [['simulate', 's.ts', '--mesh', 'tp=0'], /whole number ≥ 1/],
      [['simulate', 's.ts', '--mesh', 'tp=2,tp=4'], /given twice/],
      [['simulate', 's.ts', '--mesh', 'TP=2'], /not an axis name/],
      [['simulate', 's.ts', '--backend', 'gpu'], /wasm or cpu/],
      [['simulate', 's.ts', '--timeout', '-1'], /positive number/],
      [['simulate', 's.ts', '--threads', '0'], /--threads must be a whole number ≥ 1/],
      [['simulate', 's.ts', '--threads', '1.5'], /--threads must be a whole number ≥ 1/],
      [['simulate', 's.ts', '--json'], /needs a value/],
      [['simulate', 's.ts', '--meta=yes'], /takes no value/],
      [['frob'], /unknown command "frob"/],
    ];
    for (const [argv, msg] of bad) assert.throws(() => parseArgs(argv), (e: Error) => e instanceof UsageError && msg.test(e.message), argv.join(' '));
    assert.deepEqual(parseMesh(' dp = 2 , tp=4 '), { dp: 2, tp: 4 });
  });
});
