import * as tf from '@tensorflow/tfjs-core';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { registerFastMatMulGradient } from './matmul-grad.js';
import { registerSharingIdentity } from './wasm-identity.js';
import { registerFastTranspose } from './wasm-transpose.js';
import { registerFastTrig } from './wasm-trig.js';
import { registerHeapSlice } from './wasm-slice.js';
import { setWasmPaths, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { startThreadedWasm, threadedFiles } from './wasm-threads.js';

export type BackendName = 'wasm' | 'cpu';

export interface BackendInfo {
  readonly name: BackendName;
  readonly simd: boolean;
  /** Threads the WASM backend's pool runs matmuls and other XNNPACK ops on (1: no pool). */
  readonly threads: number;
  /** Why the preferred backend (or its threads) was not used, if it was not. */
  readonly fallbackReason?: string;
}

let current: BackendInfo | null = null;

/** The report's name for a backend: `wasm-simd`, `wasm-simd ×2 threads`, `cpu`. */
export function backendLabel(b: BackendInfo): string {
  if (b.name !== 'wasm') return b.name;
  return `wasm${b.simd ? '-simd' : ''}${b.threads > 1 ? ` ×${b.threads} threads` : ''}`;
}

/** Where the tfjs WASM binaries are: next to our bundle (dist/) or in node_modules. */
function wasmDir(): string | null {
  const candidates: string[] = [];
  if (typeof __dirname === 'string') candidates.push(__dirname, path.join(__dirname, 'wasm'));
  try {
    const req = createRequire(typeof __filename === 'string' ? __filename : path.join(process.cwd(), 'x.js'));
    candidates.push(path.dirname(req.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')));
  } catch {
    /* not installed next to us */
  }
  for (const c of candidates) if (existsSync(path.join(c, 'tfjs-backend-wasm-simd.wasm'))) return c + path.sep;
  return null;
}

/**
 * Pick the TensorFlow.js backend: WASM (SIMD when the engine has it) by default, the pure-JS CPU
 * backend as fallback or on request. tfjs-node is not used: its installer downloads a native
 * library. With `threads` > 1 the WASM backend is tfjs's multi-threaded build (wasm-threads.ts):
 * its pool starts 8 worker threads (≈ 250 ms), worth it for numeric runs of more than a few
 * GFLOP. The first call decides for the process (tfjs can hold one WASM backend only); later
 * calls return what is running.
 */
export async function initBackend(prefer: BackendName = 'wasm', threads = 1): Promise<BackendInfo> {
  if (current && current.name === prefer) return current;
  // referenced so bundlers keep the CPU backend's registration (its package claims no side effects)
  if (!version_cpu) throw new Error('the TensorFlow.js CPU backend is missing');
  registerFastMatMulGradient();
  registerSharingIdentity();
  registerFastTranspose();
  registerFastTrig();
  registerHeapSlice();
  let fallbackReason: string | undefined;
  if (prefer === 'wasm') {
    const dir = wasmDir();
    if (!dir) fallbackReason = 'tfjs WASM binaries not found';
    else {
      if (threads > 1 && !current) {
        const files = threadedFiles(dir);
        if (!files) fallbackReason = 'the threaded WASM build was not found: running on one thread';
        else {
          try {
            const n = await startThreadedWasm(files, Math.min(threads, 8));
            current = { name: 'wasm', simd: true, threads: n };
            return current;
          } catch (e) {
            fallbackReason = `WASM threads: ${(e as Error).message}; running on one thread`;
          }
        }
      }
      try {
        setWasmPaths(dir);
        setThreadsCount(1);
        if (await tf.setBackend('wasm')) {
          await tf.ready();
          current = { name: 'wasm', simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT') as boolean, threads: 1, fallbackReason };
          return current;
        }
        fallbackReason = 'the WASM backend failed to initialise';
      } catch (e) {
        fallbackReason = `WASM backend: ${(e as Error).message}`;
      }
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  current = { name: 'cpu', simd: false, threads: 1, fallbackReason };
  return current;
}

export function backendInfo(): BackendInfo | null {
  return current;
}
