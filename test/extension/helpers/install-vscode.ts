/**
 * Import this first in a test of the extension: from then on `require('vscode')` (what the
 * extension's `import * as vscode from 'vscode'` compiles to) loads the fake in vscode-fake.ts.
 */
import Module from 'node:module';
import * as path from 'node:path';

const fake = path.join(__dirname, 'vscode-fake.ts');
const M = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
const original = M._resolveFilename;
if (!(original as { autodistFake?: boolean }).autodistFake) {
  const hooked = function (this: unknown, request: string, ...rest: unknown[]): string {
    return request === 'vscode' ? fake : original.call(this, request, ...rest);
  };
  (hooked as { autodistFake?: boolean }).autodistFake = true;
  M._resolveFilename = hooked;
}
