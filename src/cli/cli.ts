/**
 * The `autodist` command line. Simulations run in a worker thread (src/runner/run-in-worker.ts);
 * this thread parses flags, shows progress, prints the summary and writes report files.
 * Returns the exit code.
 */
import { VERSION } from '../parallel/simulation/report-build.js';
import { parseArgs, UsageError, USAGE, type CliCommand } from './args.js';
import { compareCommand } from './compare.js';
import { demoCommand } from './demo.js';
import { initCommand } from './init.js';
import { simulateCommand } from './simulate.js';
import { planCommand } from './plan-command.js';

export async function main(argv: readonly string[]): Promise<number> {
  // `plan` has its own options (the planner's), so it is routed before the simulate parser
  if (argv[0] === 'plan') return planCommand(argv.slice(1), { stdout: (s) => void process.stdout.write(s), stderr: (s) => void process.stderr.write(s) });
  let cmd: CliCommand;
  try {
    cmd = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`autodist: ${e.message}\n\n${USAGE}\n`);
    return 2;
  }
  switch (cmd.command) {
    case 'help':
      process.stdout.write(USAGE + '\n');
      return 0;
    case 'version':
      process.stdout.write(`autodist ${VERSION}\n`);
      return 0;
    case 'simulate':
      return simulateCommand(cmd);
    case 'compare':
      return compareCommand(cmd);
    case 'init':
      return initCommand(cmd.dir, cmd.force);
    case 'demo':
      return demoCommand(cmd);
  }
}
