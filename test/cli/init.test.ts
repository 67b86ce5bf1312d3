import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { EXAMPLE_FILE, initCommand } from '../../src/cli/init.js';
import { DECLARATIONS_FILE } from '../../src/cli/types-emit.js';
import { tempDir } from '../runner/helpers/scripts.js';
import { ROOT } from './helpers/cli.js';

function tsc(dir: string) {
  return spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8' });
}

describe('autodist init', () => {
  test('writes an example, self-contained declarations and a tsconfig that type-check with no node_modules', () => {
    const dir = path.join(tempDir(), 'scripts');
    const out: string[] = [];
    const code = initCommand(dir, false, { write: (s: string) => out.push(s) } as unknown as NodeJS.WritableStream);
    assert.equal(code, 0);
    for (const f of [EXAMPLE_FILE, DECLARATIONS_FILE, 'tsconfig.json']) assert.ok(existsSync(path.join(dir, f)), f);
    assert.match(out.join(''), /next: npx autodist simulate/);
    const dts = readFileSync(path.join(dir, DECLARATIONS_FILE), 'utf8');
    assert.match(dts, /declare module "autodist" \{/);
    assert.doesNotMatch(dts, /@tensorflow/, 'no import of a package the folder does not have');

    const ok = tsc(dir);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);

    // The declarations are real types: mistakes are caught.
    writeFileSync(path.join(dir, 'wrong.ts'), 'import { simulation, models } from "autodist";\nexport default simulation({ mesh: { tp: "4" }, model: models.ffn({ hiden: 64 }), input: { batch: 8, seq: 128 } });\n');
    const bad = tsc(dir);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stdout, /wrong\.ts\(2,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/);
    assert.match(bad.stdout, /'hiden' does not exist in type 'FfnConfig'/);

    // A second init keeps the person's files.
    writeFileSync(path.join(dir, EXAMPLE_FILE), '// mine\n');
    initCommand(dir, false, { write: () => true } as unknown as NodeJS.WritableStream);
    assert.equal(readFileSync(path.join(dir, EXAMPLE_FILE), 'utf8'), '// mine\n');
  });
});
