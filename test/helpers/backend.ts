import { initBackend, type BackendName } from '../../src/runner/backend.js';
import { installSourceMaps } from '../../src/runner/sourcemaps.js';

/** Tests run on the backend named by AUTODIST_BACKEND (default wasm), with source-mapped lines. */
export async function useBackend(): Promise<void> {
  installSourceMaps();
  const name = (process.env.AUTODIST_BACKEND as BackendName | undefined) ?? 'wasm';
  await initBackend(name);
}
