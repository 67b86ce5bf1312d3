import * as tf from '@tensorflow/tfjs-core';
import { BackendWasm, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/**
 * TensorFlow.js's multi-threaded WASM build (XNNPACK on an Emscripten pthread pool), started in
 * Node. tfjs's own loader cannot start it there: it hands Emscripten a `blob:` URL for the
 * pthread worker script, which Node's worker_threads refuse. So we instantiate the Emscripten
 * module ourselves, from files on disk, and register it as the `wasm` backend:
 *
 *   tfjs-backend-wasm-threaded-simd.js          the Emscripten module (main thread and pthreads)
 *   tfjs-backend-wasm-threaded-simd.worker.js   the pthread worker script (tfjs ships it as a
 *                                               string; scripts/build.mjs writes it to dist/)
 *   tfjs-backend-wasm-threaded-simd.wasm        the binary
 *
 * The C++ side sizes its pool as min(requested, logical cores / 2, 4…8), assuming two
 * hyperthreads per core; on a machine whose cores are what `os.availableParallelism()` says,
 * that halves the pool. We answer the module's `emscripten_num_logical_cores` import with twice
 * the threads we want, so the pool gets exactly the count asked for.
 *
 * Only one WASM backend may ever be initialised in a process: tfjs's WASM kernels keep the
 * module's functions in module-level variables, set when a backend starts. The caller decides
 * threaded or not once, before any tensor exists (backend.ts).
 */

const JS = 'tfjs-backend-wasm-threaded-simd.js';
const WORKER = 'tfjs-backend-wasm-threaded-simd.worker.js';
const WASM = 'tfjs-backend-wasm-threaded-simd.wasm';
const START_TIMEOUT_S = 30;

interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: unknown[]) => unknown;
  PThread: { runningWorkers: { unref(): void }[]; unusedWorkers: { unref(): void }[] };
  tfjs?: unknown;
}
/** The part of the WebAssembly JS API used here (Node has it; the project's type libs do not declare it). */
const wasmApi = (globalThis as unknown as { WebAssembly: { instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: unknown; module: unknown }> } }).WebAssembly;
type Factory = (config: Record<string, unknown>) => Promise<EmscriptenModule>;

/** The three files of the threaded build: next to our bundle, else from node_modules. */
export function threadedFiles(bundleDir: string): { js: string; worker: string; wasm: string } | null {
  if ([JS, WORKER, WASM].every((f) => existsSync(path.join(bundleDir, f)))) {
    return { js: path.join(bundleDir, JS), worker: path.join(bundleDir, WORKER), wasm: path.join(bundleDir, WASM) };
  }
  try {
    // running from the sources (tests, tsx): the package's wasm-out/, and the worker script
    // written once to a temporary directory
    const req = createRequire(typeof __filename === 'string' ? __filename : path.join(process.cwd(), 'x.js'));
    const out = path.dirname(req.resolve(`@tensorflow/tfjs-backend-wasm/wasm-out/${JS}`));
    const dir = path.join(tmpdir(), `autodist-tfjs-wasm-${process.getuid?.() ?? 'u'}`);
    const worker = path.join(dir, WORKER);
    const contents = workerScript(readFileSync(path.join(out, WORKER), 'utf8'));
    if (!existsSync(worker) || readFileSync(worker, 'utf8') !== contents) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(worker, contents);
    }
    return { js: path.join(out, JS), worker, wasm: path.join(out, WASM) };
  } catch {
    return null;
  }
}

/**
 * The pthread worker script out of tfjs's `wasm-out/…worker.js`, which exports it as a template
 * literal: evaluated, that literal turns the script's own `"\n"` escapes into raw newlines, which
 * tfjs undoes before it makes its blob (`.replace(/\n/g, '\\n')`); we do the same.
 */
export function workerScript(moduleSource: string): string {
  const m: { exports: { wasmWorkerContents?: string } } = { exports: {} };
  new Function('module', 'exports', moduleSource)(m, m.exports);
  const s = m.exports.wasmWorkerContents;
  if (typeof s !== 'string') throw new Error('tfjs pthread worker script not found');
  return s.replace(/\n/g, '\\n');
}

/** The pool Emscripten starts: 8 workers, fixed when tfjs was built (each a V8 isolate to boot). */
const POOL = 'var pthreadPoolSize=8;';

/**
 * The module's factory, evaluated from its file with the pool made `Module.pthreadPoolSize`
 * workers: XNNPACK's pool of n threads needs n − 1 of them, and booting 8 isolates costs ~250 ms
 * of CPU on every core — while the panel is being painted. Only the main thread runs this code
 * path; the pthreads load the file as it is. If tfjs's file ever differs, it runs unchanged.
 */
function loadFactory(file: string): Factory {
  const source = readFileSync(file, 'utf8').replace(POOL, 'var pthreadPoolSize=Module["pthreadPoolSize"]||8;');
  const m: { exports: unknown } = { exports: {} };
  new Function('module', 'exports', 'require', '__filename', '__dirname', source)(m, m.exports, createRequire(file), file, path.dirname(file));
  return m.exports as Factory;
}

/**
 * Register the threaded build as tfjs's `wasm` backend with `threads` threads (≥ 2). Resolves
 * once the backend is the active one; rejects (and leaves `wasm` unregistered) if it fails.
 */
export async function startThreadedWasm(files: { js: string; worker: string; wasm: string }, threads: number): Promise<number> {
  if (typeof SharedArrayBuffer === 'undefined') throw new Error('no SharedArrayBuffer: WASM threads are unavailable');
  const factory = loadFactory(files.js);
  const original = tf.findBackendFactory('wasm');
  tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      let fail: (e: unknown) => void = () => undefined;
      const failed = new Promise<never>((_, reject) => (fail = reject));
      const timer = setTimeout(() => fail(new Error(`the pthread pool did not start in ${START_TIMEOUT_S} s`)), START_TIMEOUT_S * 1000);
      const module = await Promise.race([
        factory({
          pthreadPoolSize: threads,
          locateFile: (p: string) => (p.endsWith('.worker.js') ? files.worker : p.endsWith('.wasm') ? files.wasm : path.join(path.dirname(files.js), p)),
          // the pthreads load the module from this file (tfjs passes a Blob here, for browsers)
          mainScriptUrlOrBlob: files.js,
          onAbort: (what: unknown) => fail(new Error(`the threaded WASM module aborted: ${String(what)}`)),
          instantiateWasm: (imports: { env: Record<string, unknown> }, receive: (instance: unknown, module: unknown) => void) => {
            const env = { ...imports.env, emscripten_num_logical_cores: () => 2 * threads };
            wasmApi.instantiate(readFileSync(files.wasm), { ...imports, env }).then((r) => receive(r.instance, r.module), fail);
            return {};
          },
        }),
        failed,
      ]).finally(() => clearTimeout(timer));
      module.tfjs = {
        init: module.cwrap('init', null, []),
        initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
        getThreadsCount: module.cwrap('get_threads_count', 'number', []),
        registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
        disposeData: module.cwrap('dispose_data', null, ['number']),
        dispose: module.cwrap('dispose', null, []),
      };
      setThreadsCount(threads);
      const backend = new BackendWasm(module as unknown as ConstructorParameters<typeof BackendWasm>[0]);
      // the pool's threads wait for work forever: they must not keep the process alive
      for (const w of [...module.PThread.runningWorkers, ...module.PThread.unusedWorkers]) w.unref();
      return backend;
    },
    2,
  );
  if (!(await tf.setBackend('wasm'))) {
    // give `wasm` back to tfjs's own (single-threaded) loader
    tf.removeBackend('wasm');
    if (original) tf.registerBackend('wasm', original, 2);
    throw new Error('the threaded WASM backend failed to initialise');
  }
  await tf.ready();
  return (tf.backend() as unknown as { wasm: { tfjs: { getThreadsCount(): number } } }).wasm.tfjs.getThreadsCount();
}
