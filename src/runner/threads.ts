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
 * known in advance).
 */
export function threadsFor(spec: SimulationSpec, cores: number, requested?: number): number {
  if (requested !== undefined && requested > 0) return Math.floor(requested);
  if ((spec.mode ?? 'numeric') !== 'numeric' || !spec.model || !spec.input) return 1;
  const flops = 6 * spec.model.paramCount() * spec.input.batch * spec.input.seq;
  return flops >= THREADS_MIN_FLOPS ? cores : 1;
}
