import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as autodist from '../../src/index.js';
import { RunnerError } from '../../src/runner/errors.js';
import { loadScript, scriptBuiltins } from '../../src/runner/load-script.js';
import { ScriptModules } from '../../src/runner/module-loader.js';
import { SimError } from '../../src/core/errors.js';
import { ffnScript, lineIn, tempDir, writeScript } from './helpers/scripts.js';

function loadError(file: string): RunnerError | SimError {
  try {
    loadScript(file);
  } catch (e) {
    assert.ok(e instanceof RunnerError || e instanceof SimError, `expected a runner or simulation error, got ${String(e)}`);
    return e;
  }
  assert.fail('the script loaded');
}

describe('loadScript', () => {
  test('a TypeScript script gets the running AutoDist module (same classes) and its relative imports', () => {
    const dir = tempDir();
    writeScript(dir, 'sizes.ts', 'export const HIDDEN: number = 32;\n');
    const file = writeScript(dir, 'main.ts', `import * as ad from "autodist";
import { HIDDEN } from "./sizes";
import { simulation, models } from "autodist";
export const api = ad;
export default simulation({ mesh: { tp: 2 }, model: models.ffn({ hidden: HIDDEN }), input: { batch: 2, seq: 4 } });
`);
    const modules = new ScriptModules(scriptBuiltins());
    const loaded = loadScript(file, modules);
    assert.equal(loaded.file, file);
    assert.deepEqual((loaded.spec.model!.config as { hidden: number }).hidden, 32);
    const api = (modules.load(file) as { api: typeof autodist }).api;
    assert.equal(api.ColumnParallelLinear, autodist.ColumnParallelLinear, 'require("autodist") is this very module');
    assert.equal(api.Tensor, autodist.Tensor);
    assert.equal(api.simulation, autodist.simulation);
  });

  test('a parse error names the file, line and column and the parser message', () => {
    const dir = tempDir();
    const text = ['import { simulation, models } from "autodist";', '', 'export default simulation({', '  mesh: { tp: 2 },', '  model: models.ffn({ hidden: 64 }', '  input: { batch: 2, seq: 8 },', '});', ''].join('\n');
    const file = writeScript(dir, 'broken.ts', text);
    const e = loadError(file);
    assert.equal(e.kind, 'syntax');
    assert.equal(e.source?.file, file);
    assert.equal(e.source?.line, 6, 'the parser stops at the line after the missing comma');
    assert.ok(e.source!.column >= 1);
    assert.match(e.message, /Unexpected token/);
    assert.ok(e.message.includes(`${file}:6:`), e.message);
  });

  test('an error only V8 sees (a redeclared binding) is reported at its line too', () => {
    const dir = tempDir();
    const file = writeScript(dir, 'redeclare.js', 'const a = 1;\n\nconst a = 2;\nmodule.exports = {};\n');
    const e = loadError(file);
    assert.equal(e.kind, 'syntax');
    assert.equal(e.source?.line, 3);
    assert.match(e.message, /already been declared/);
  });

  test('a default export that is not a simulation says what shape is expected', () => {
    const dir = tempDir();
    const e1 = loadError(writeScript(dir, 'wrong.ts', 'export default { mesh: { tp: 2 }, foo: 1 };\n'));
    assert.equal(e1.kind, 'export');
    assert.match(e1.message, /does not export a simulation/);
    assert.match(e1.message, /no model or program/);
    assert.match(e1.message, /export default simulation\(\{ mesh/);

    const e2 = loadError(writeScript(dir, 'named.ts', 'import { simulation, models } from "autodist";\nexport const sim = simulation({ mesh: { tp: 1 }, model: models.ffn({ hidden: 8 }), input: { batch: 1, seq: 1 } });\n'));
    assert.match(e2.message, /has no default export \(it exports sim\)/);

    const e3 = loadError(writeScript(dir, 'fn.ts', 'export default function make() { return 1; }\n'));
    assert.match(e3.message, /a function \(make\)/);
  });

  test('a missing script, and an exception while the script is evaluated, at the throwing line', () => {
    const dir = tempDir();
    const missing = loadError(path.join(dir, 'nope.ts'));
    assert.equal(missing.kind, 'load');
    assert.match(missing.message, /no such script/);

    const text = 'const x = 1;\nfunction boom(): never {\n  throw new Error("bad config");\n}\nboom();\nexport default x;\n';
    const thrown = loadError(writeScript(dir, 'throws.ts', text));
    assert.equal(thrown.kind, 'script');
    assert.match(thrown.message, /threw while loading: Error: bad config/);
    assert.equal(thrown.source?.line, 3);

    const missingImport = loadError(writeScript(dir, 'imports.ts', 'import { x } from "./not-there";\nexport default x;\n'));
    assert.match(missingImport.message, /cannot find "\.\/not-there"/);
  });

  test('simulation() errors raised while the script runs point at the script', () => {
    const dir = tempDir();
    const text = 'import { simulation, models } from "autodist";\n\nexport default simulation({ mesh: { zz: 2 }, model: models.ffn({ hidden: 8 }), input: { batch: 1, seq: 1 } });\n';
    const e = loadError(writeScript(dir, 'axis.ts', text));
    assert.equal(e.kind, 'config');
    assert.match(e.message, /unknown mesh axis "zz"/);
    assert.equal(e.source?.line, 3);
  });

  test('locate finds the first line holding a plan key, quoted first', () => {
    const dir = tempDir();
    const text = ffnScript({ extra: '// h.*.mlp.c_fc is mentioned here first, unquoted\nconst plan = { "h.*.mlp.c_fc": "colwise" };' });
    const file = writeScript(dir, 'plan.ts', text);
    const loaded = loadScript(file);
    const at = loaded.locate('h.*.mlp.c_fc');
    assert.deepEqual(at, { file, line: lineIn(text, 'const plan'), column: text.split('\n')[lineIn(text, 'const plan') - 1].indexOf('"h.*') + 1 });
    assert.equal(loaded.locate('not in the script'), undefined);
  });
});
