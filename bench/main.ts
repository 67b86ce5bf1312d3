/**
 * `npm run bench`: every speed target as a ratio measured side by side in this one run, or as an
 * absolute figure where the issue sets one. Prints one line per benchmark and a summary table.
 * Filter: `npm run bench -- allreduce meta70b`.
 */
import { initBackend } from '../src/runner/backend.js';
import { BENCHES, type BenchResult } from './suite.js';

async function main(): Promise<void> {
  const filters = process.argv.slice(2);
  const backend = await initBackend((process.env.AUTODIST_BACKEND as 'wasm' | 'cpu' | undefined) ?? 'wasm');
  console.log(`AutoDist benchmarks — backend ${backend.name}${backend.simd ? ' (SIMD)' : ''}, node ${process.version}, ${new Date().toISOString()}`);
  const results: BenchResult[] = [];
  for (const b of BENCHES) {
    if (filters.length && !filters.some((f) => b.id.includes(f))) continue;
    // each benchmark starts from a collected heap, not the previous one's garbage (npm run bench passes --expose-gc)
    (globalThis as { gc?: () => void }).gc?.();
    const t0 = performance.now();
    try {
      const r = await b.run();
      results.push(r);
      console.log(`${r.pass ? 'PASS' : 'FAIL'}  ${b.id}: ${r.summary}  (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      for (const d of r.details ?? []) console.log(`      ${d}`);
    } catch (e) {
      results.push({ id: b.id, pass: false, summary: `error: ${(e as Error).message}` });
      console.log(`FAIL  ${b.id}: error: ${(e as Error).stack}`);
    }
  }
  const failed = results.filter((r) => !r.pass).length;
  console.log(`\n${results.length - failed} passed, ${failed} failed`);
}

void main();
