/**
 * CPython in WebAssembly (Pyodide), loaded once per worker and kept warm: the first run pays
 * its start-up (~2–3 s), later runs in the same worker reuse it. AutoDist's `torch` (src/python,
 * copied to dist/python by the build) is mounted read-only at /autodist; the bridge to the core
 * is registered as the JS module `_autodist`.
 *
 * Ranks are concurrent Python calls on this one interpreter, each suspended inside its
 * collective (JavaScript Promise Integration: WebAssembly stack switching). Node < 24 needs
 * `--experimental-wasm-stack-switching`, which the parent sets before starting the worker
 * (see run-in-worker.ts); `pythonAvailable()` says whether this thread has it.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { TorchBridge } from '../../bridge/torch-bridge.js';

/** The subset of Pyodide's interface AutoDist uses. */
export interface Py {
  runPython(code: string): unknown;
  globals: { get(name: string): PyFn };
  registerJsModule(name: string, mod: object): void;
  setStdout(o: { batched?: (s: string) => void; raw?: (c: number) => void; write?: (b: Uint8Array) => number }): void;
  setStderr(o: { batched?: (s: string) => void; raw?: (c: number) => void; write?: (b: Uint8Array) => number }): void;
  setInterruptBuffer(b: Int32Array): void;
  checkInterrupt(): void;
  pyimport(name: string): PyModule;
  FS: { mkdirTree(p: string): void; mount(fs: unknown, opts: object, where: string): void; unmount(where: string): void; filesystems: { NODEFS: unknown }; analyzePath(p: string): { exists: boolean } };
  version: string;
}

export interface PyFn {
  callPromising(...args: unknown[]): Promise<unknown>;
  (...args: unknown[]): unknown;
  destroy?(): void;
}

export interface PyModule {
  [k: string]: PyFn;
}

export interface Interpreter {
  readonly py: Py;
  readonly bridge: TorchBridge;
  /** Interpreter start-up, ms (0 when it was already warm). */
  readonly startMs: number;
  readonly runtime: PyModule;
  /** Where stdout/stderr go now (the running job's sink). */
  sink: (stream: 'stdout' | 'stderr', text: string) => void;
  /** The folders of the person's files mounted so far (their real paths inside the interpreter). */
  readonly mounted: Set<string>;
}

let loading: Promise<Interpreter> | null = null;

/** True when this thread can suspend WebAssembly on a promise (JSPI). */
export function pythonAvailable(): boolean {
  const w = (globalThis as unknown as { WebAssembly: Record<string, unknown> }).WebAssembly;
  return typeof w.Suspending === 'function' || typeof w.Suspender === 'function';
}

/** Where the pyodide package's files are: dist/pyodide (bundled) or node_modules/pyodide. */
export function pyodideDir(): string {
  const here = __dirname;
  const bundled = path.join(here, 'pyodide');
  if (existsSync(path.join(bundled, 'pyodide.asm.wasm'))) return bundled;
  const req = createRequire(path.join(here, 'x.js'));
  return path.dirname(req.resolve('pyodide/pyodide.asm.wasm'));
}

/** AutoDist's Python package root (holds torch/ and autodist_runtime.py). */
export function pythonDir(): string {
  const here = __dirname;
  for (const c of [path.join(here, 'python'), path.join(here, '..', '..', 'python'), path.join(here, '..', '..', '..', 'src', 'python')]) {
    if (existsSync(path.join(c, 'torch', '__init__.py'))) return c;
  }
  throw new Error(`AutoDist's Python package was not found next to ${here}`);
}

// esbuild turns import() into require() in the CommonJS bundle; Pyodide's loader is an ES module
const importEsm = new Function('u', 'return import(u)') as (u: string) => Promise<{ loadPyodide(o: object): Promise<Py> }>;

export function getInterpreter(): Promise<Interpreter> {
  if (!loading) loading = start();
  return loading;
}

async function start(): Promise<Interpreter> {
  if (!pythonAvailable()) {
    throw new Error('this JavaScript engine cannot suspend WebAssembly (no JSPI): run AutoDist on Node ≥ 24, or Node 20–23 with --experimental-wasm-stack-switching');
  }
  const t0 = performance.now();
  const dir = pyodideDir();
  const { loadPyodide } = await importEsm(pathToFileURL(path.join(dir, 'pyodide.mjs')).href);
  const py = await loadPyodide({ indexURL: dir + path.sep, stdout: () => {}, stderr: () => {}, checkAPIVersion: true, env: { HOME: '/home/pyodide', PYTHONHASHSEED: '0' } });
  const bridge = new TorchBridge();
  py.registerJsModule('_autodist', bridge);
  py.FS.mkdirTree('/autodist');
  py.FS.mount(py.FS.filesystems.NODEFS, { root: pythonDir() }, '/autodist');
  const it: Interpreter = {
    py,
    bridge,
    startMs: performance.now() - t0,
    runtime: undefined as unknown as PyModule,
    sink: () => {},
    mounted: new Set(),
  };
  const decoder = new TextDecoder();
  py.setStdout({ write: (b) => (it.sink('stdout', decoder.decode(b)), b.length) });
  py.setStderr({ write: (b) => (it.sink('stderr', decoder.decode(b)), b.length) });
  py.runPython(`import sys\nsys.path.insert(0, '/autodist')\nsys.dont_write_bytecode = True`);
  (it as { runtime: PyModule }).runtime = py.pyimport('autodist_runtime');
  return it;
}

/** Mount the person's folder at its own path, so tracebacks and sources name their real files. */
export function mountUserDir(it: Interpreter, dir: string): void {
  if (it.mounted.has(dir)) return;
  for (const m of it.mounted) if (dir.startsWith(m + path.sep)) return; // under a mounted folder
  it.py.FS.mkdirTree(dir);
  it.py.FS.mount(it.py.FS.filesystems.NODEFS, { root: dir }, dir);
  it.mounted.add(dir);
}

/** The .py files next to a script (for the per-rank import of the person's own modules). */
export function siblingModules(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.py') && statSync(path.join(dir, f)).isFile());
  } catch {
    return [];
  }
}
