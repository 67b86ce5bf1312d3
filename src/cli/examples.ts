import { existsSync } from 'node:fs';
import * as path from 'node:path';

/** The examples/ folder that ships with AutoDist (next to dist/ or src/, found upwards). */
export function examplesDir(): string {
  let dir = typeof __dirname === 'string' ? __dirname : process.cwd();
  for (;;) {
    const f = path.join(dir, 'examples', 'ffn_tp4.ts');
    if (existsSync(f)) return path.dirname(f);
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the examples/ folder that ships with AutoDist');
    dir = up;
  }
}
