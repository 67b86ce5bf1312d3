import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { examplesDir } from './examples.js';
import { DECLARATIONS_FILE, declarations } from './types-emit.js';

export const EXAMPLE_FILE = 'ffn_tp4.ts';

/** tsconfig for a scripts folder: type-check only, the "autodist" module from autodist.d.ts. */
export const INIT_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'preserve',
    moduleResolution: 'bundler',
    lib: ['ES2022', 'DOM'],
    types: [],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    esModuleInterop: true,
  },
  include: ['**/*.ts'],
};

/**
 * `autodist init [dir]`: an example script, the "autodist" type declarations (one
 * self-contained .d.ts) and a tsconfig.json, so that an editor — or `tsc --noEmit` — type-checks
 * `import { simulation, … } from "autodist"` with no node_modules in the folder. Existing
 * scripts and tsconfig.json are kept unless `force`; the declarations are always refreshed.
 */
export function initCommand(dir: string, force: boolean, out: NodeJS.WritableStream = process.stdout): number {
  const abs = path.resolve(dir);
  mkdirSync(abs, { recursive: true });
  const wrote: string[] = [];
  const kept: string[] = [];
  const put = (name: string, text: string, always = false) => {
    const f = path.join(abs, name);
    if (existsSync(f) && !force && !always) {
      kept.push(name);
      return;
    }
    writeFileSync(f, text);
    wrote.push(name);
  };
  put(EXAMPLE_FILE, readFileSync(path.join(examplesDir(), EXAMPLE_FILE), 'utf8'));
  out.write(`writing the type declarations of "autodist"…\n`);
  put(DECLARATIONS_FILE, declarations(), true);
  put('tsconfig.json', JSON.stringify(INIT_TSCONFIG, null, 2) + '\n');
  out.write(`initialized ${abs}\n`);
  if (wrote.length) out.write(`  wrote ${wrote.join(', ')}\n`);
  if (kept.length) out.write(`  kept ${kept.join(', ')} (use --force to overwrite)${kept.includes('tsconfig.json') ? `; make sure it includes ${DECLARATIONS_FILE}` : ''}\n`);
  const rel = path.relative(process.cwd(), path.join(abs, EXAMPLE_FILE)) || EXAMPLE_FILE;
  out.write(`next: npx autodist simulate ${rel}\n`);
  return 0;
}
