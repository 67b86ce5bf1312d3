import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPlanSearch, searchInWorker } from '../../src/runner/plan-search.js';

const job = { model: 'llama-3-8b', gpus: 16, gpu: 'h100', seq: 4096, globalBatch: 64, top: 5 } as const;

test('the search in a worker thread gives what it gives in this thread', async () => {
  const here = runPlanSearch(job);
  const there = await searchInWorker(job);
  assert.equal(there.modelId, 'llama-3-8b');
  assert.equal(there.examined, here.examined);
  assert.deepEqual(there.shown.map((e) => e.plan), here.shown.map((e) => e.plan));
  assert.match(there.text, /Searched [\d,]+ plans/);
});

test('bad input comes back as the planner\'s message', async () => {
  await assert.rejects(searchInWorker({ ...job, gpus: 12 }), /12 GPUs do not fill whole nodes of 8/);
});
