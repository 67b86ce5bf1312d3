import { availableParallelism, cpus } from 'node:os';
import type { SimulationSpec } from '../parallel/simulation/spec.js';

/**
 * Below this many FLOPs of training work (6 · parameters · tokens, what one forward + backward
 * of the whole model costs) a numeric run stays on one thread: starting the threaded WASM
 * backend's pool costs ≈ 250 ms, and a run this small takes about that long on one thread.
 */
export const THREADS_MIN_FLOPS = 2e9;

/**
 * How many threads the WASM backend gets for a run: `requested` when the person set it (1 turns
 * threads off), else all cores for a numeric run with a model of at least THREADS_MIN_FLOPS of
 * work, and one thread otherwise (meta mode does no arithmetic; a custom program's work is not
 * known in advance), at most `max`.
 */
export function threadsFor(spec: SimulationSpec, cores: number, requested?: number, max = Infinity): number {
  if (requested !== undefined && requested > 0) return Math.floor(requested);
  if ((spec.mode ?? 'numeric') !== 'numeric' || !spec.model || !spec.input) return 1;
  const flops = 6 * spec.model.paramCount() * spec.input.batch * spec.input.seq;
  return flops >= THREADS_MIN_FLOPS ? Math.max(1, Math.min(cores, Math.floor(max))) : 1;
}

/** The cores this process may use (what the threaded backend's pool is sized to by default). */
export function cores(): number {
  return Math.max(1, typeof availableParallelism === 'function' ? availableParallelism() : cpus().length);
}

/**
 * Threads for a run started from the editor: all cores but one, which stays with VS Code (its
 * window paints the panel while the run starts); none on a 2-core machine.
 */
export function editorThreads(): number {
  return Math.max(1, cores() - 1);
}
