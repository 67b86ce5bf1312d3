import * as tf from '@tensorflow/tfjs-core';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { registerFastMatMulGradient } from './matmul-grad.js';
import { setWasmPaths, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

export type BackendName = 'wasm' | 'cpu';

export interface BackendInfo {
  readonly name: BackendName;
  readonly simd: boolean;
  readonly threads: boolean;
  /** Why the preferred backend was not used, if it was not. */
  readonly fallbackReason?: string;
}

let current: BackendInfo | null = null;



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
 * library. Idempotent.
 */
export async function initBackend(prefer: BackendName = 'wasm'): Promise<BackendInfo> {
  if (current && current.name === prefer) return current;
  // referenced so bundlers keep the CPU backend's registration (its package claims no side effects)
  if (!version_cpu) throw new Error('the TensorFlow.js CPU backend is missing');
  registerFastMatMulGradient();
  let fallbackReason: string | undefined;
  if (prefer === 'wasm') {
    const dir = wasmDir();
    if (!dir) fallbackReason = 'tfjs WASM binaries not found';
    else {
      try {
        setWasmPaths(dir);
        setThreadsCount(1);
        if (await tf.setBackend('wasm')) {
          await tf.ready();
          current = { name: 'wasm', simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT') as boolean, threads: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') as boolean };
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
  current = { name: 'cpu', simd: false, threads: false, fallbackReason };
  return current;
}

export function backendInfo(): BackendInfo | null {
  return current;
}
