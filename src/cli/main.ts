/** Entry of the `autodist` command (bundled as dist/cli.js; bin/autodist.js requires it). */
import { main } from './cli.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`autodist: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 3; // AutoDist's own failure: never 1 (verification failed) nor 2 (bad input)
  },
);
