import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { failureReport } from '../../src/runner/partial-report.js';
import { runScript } from '../../src/runner/run-script.js';
import { useBackend } from '../helpers/backend.js';
import { biasBugScript, ffnScript, tempDir, writeScript } from '../runner/helpers/scripts.js';
import { reportValidator, ROOT } from './helpers/cli.js';

before(async () => {
  await useBackend();
});

type JsonSchema = { properties?: Record<string, JsonSchema>; required?: string[]; $ref?: string; items?: JsonSchema; additionalProperties?: boolean | JsonSchema };
const schema = JSON.parse(readFileSync(path.join(ROOT, 'docs', 'report.schema.json'), 'utf8')) as JsonSchema & { $defs: Record<string, JsonSchema> };

/** Interfaces of src/report/types.ts: name → { property → optional? } (object-literal types included by path). */
function interfaces(): Map<string, Map<string, { optional: boolean; type: ts.TypeNode | undefined }>> {
  const file = path.join(ROOT, 'src', 'report', 'types.ts');
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const out = new Map<string, Map<string, { optional: boolean; type: ts.TypeNode | undefined }>>();
  sf.forEachChild((n) => {
    if (!ts.isInterfaceDeclaration(n)) return;
    const props = new Map<string, { optional: boolean; type: ts.TypeNode | undefined }>();
    for (const m of n.members) if (ts.isPropertySignature(m)) props.set(m.name.getText(sf), { optional: !!m.questionToken, type: m.type });
    out.set(n.name.text, props);
  });
  return out;
}

function resolve(s: JsonSchema): JsonSchema {
  return s.$ref ? resolve(schema.$defs[s.$ref.replace('#/$defs/', '')]) : s;
}

describe('docs/report.schema.json', () => {
  test('every interface of src/report/types.ts has a schema with the same properties and required ones', () => {
    const ifs = interfaces();
    assert.ok(ifs.size >= 15, `found ${ifs.size} interfaces`);
    for (const [name, props] of ifs) {
      const s = name === 'Report' ? schema : schema.$defs[name];
      assert.ok(s, `the schema has $defs.${name}`);
      const r = resolve(s);
      assert.deepEqual(Object.keys(r.properties ?? {}).sort(), [...props.keys()].sort(), `${name}: properties`);
      assert.deepEqual([...(r.required ?? [])].sort(), [...props].filter(([, p]) => !p.optional).map(([k]) => k).sort(), `${name}: required properties`);
      assert.equal(r.additionalProperties, false, `${name}: no other properties`);
    }
  });

  test('real reports validate: verified, failed verification, meta, and a failure report', async () => {
    const validate = reportValidator();
    const dir = tempDir();
    const reports = [
      await runScript(writeScript(dir, 'ok.ts', ffnScript())),
      await runScript(writeScript(dir, 'bias.ts', biasBugScript())),
      await runScript(writeScript(dir, 'meta.ts', ffnScript()), { mode: 'meta', mesh: { dp: 2, tp: 2 } }),
      await runScript(writeScript(dir, 'split.ts', ffnScript()), { mesh: { tp: 3 } }),
      failureReport({ errors: [{ kind: 'syntax', message: 'm', headline: 'm', ranks: [] }], wallMs: 1 }),
    ];
    assert.deepEqual(reports.map((r) => r.exitCode), [0, 1, 0, 2, 2]);
    for (const r of reports) {
      const json = JSON.parse(JSON.stringify(r));
      assert.ok(validate(json), JSON.stringify(validate.errors?.slice(0, 5), null, 1));
    }
  });
});
