/**
 * The extension-host tests' entry (VS Code's `extensionTestsPath`): runs the mocha suites inside
 * code-server's extension host, where the `vscode` API is real. Bundled by esbuild to
 * test-results/e2e/host-tests/index.js (mocha and vscode stay external). Besides mocha's own spec
 * output, every test's outcome is printed as one `E2E-HOST-RESULT {json}` line, which the suite
 * outside reads from the workbench's log to count and name the results.
 */
import Mocha from 'mocha';
import { defineHostTests } from './host.test.js';

export const RESULT_MARK = 'E2E-HOST-RESULT';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 180_000, reporter: 'spec' });
  mocha.suite.emit('pre-require', globalThis, 'host.test.ts', mocha);
  defineHostTests();
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => (failures ? reject(new Error(`${failures} extension-host test(s) failed`)) : resolve()));
    const report = (t: Mocha.Test, ok: boolean, err?: Error) =>
      console.log(`${RESULT_MARK} ${JSON.stringify({ name: t.fullTitle(), ok, ms: t.duration ?? 0, error: err ? `${err.message}${err.stack ? `\n${err.stack.split('\n').slice(1, 4).join('\n')}` : ''}` : undefined })}`);
    runner.on('pass', (t: Mocha.Test) => report(t, true));
    runner.on('fail', (t: Mocha.Test, err: Error) => report(t, false, err));
  });
}
