import * as path from 'node:path';
import { examplesDir } from './examples.js';
import { runWithProgress, type CliIO } from './simulate.js';
import { summarize } from './summary.js';

/** What `npm start` shows: the seed-003 FFN at TP=4 (B=8, S=128, d=1024), then a GPT-2 at TP=2 × PP=2 (1F1B). */
export const DEMO_SCRIPTS = ['ffn_tp4.ts', 'gpt2_pp2_tp2.ts'];

export async function demoCommand(opts: { backend?: 'wasm' | 'cpu'; timeoutS: number }, io: CliIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const dir = examplesDir();
  let code = 0;
  for (const [i, name] of DEMO_SCRIPTS.entries()) {
    const file = path.join(dir, name);
    io.stdout.write(`${i ? '\n' : ''}━━ demo ${i + 1}/${DEMO_SCRIPTS.length}: ${path.relative(process.cwd(), file) || file} ━━\n`);
    const report = await runWithProgress(file, { backend: opts.backend, timeoutS: opts.timeoutS }, io);
    io.stdout.write(summarize(report) + '\n');
    code = Math.max(code, report.exitCode);
  }
  return code;
}
