import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { Script } from 'node:vm';
import { models } from '../../src/index.js';
import { threadsFor, THREADS_MIN_FLOPS } from '../../src/runner/threads.js';
import { workerScript } from '../../src/runner/wasm-threads.js';
import type { SimulationSpec } from '../../src/parallel/simulation/spec.js';

const root = path.resolve(__dirname, '../..');

describe('the threaded WASM backend', () => {
  test('threads go to numeric runs of a few GFLOP or more, and to what the person asks', () => {
    const ffn = models.ffn({ hidden: 1024 }); // 8.4 M parameters
    const seed003: SimulationSpec = { mesh: { tp: 4 }, model: ffn, input: { batch: 8, seq: 128 } }; // 6·P·B·S = 51.5 GFLOP
    assert.ok(6 * ffn.paramCount() * 8 * 128 > THREADS_MIN_FLOPS);
    assert.equal(threadsFor(seed003, 4), 4);
    assert.equal(threadsFor({ ...seed003, mode: 'meta' }, 4), 1, 'meta mode does no arithmetic');
    assert.equal(threadsFor({ ...seed003, input: { batch: 1, seq: 8 } }, 4), 1, '0.4 GFLOP: not worth the pool');
    assert.equal(threadsFor({ mesh: { tp: 2 }, program: async () => undefined }, 4), 1, 'a custom program: work unknown');
    assert.equal(threadsFor(seed003, 4, 1), 1, '--threads 1 turns threads off');
    assert.equal(threadsFor({ ...seed003, mode: 'meta' }, 4, 3), 3, 'what the person asks for');
    assert.equal(threadsFor(seed003, 4, undefined, 3), 3, 'the editor keeps a core for VS Code');
    assert.equal(threadsFor(seed003, 2, undefined, 1), 1, '… so on 2 cores it runs on one thread');
    assert.equal(threadsFor({ ...seed003, mode: 'meta' }, 8, undefined, 7), 1, 'a cap is not a request');
  });

  test("the pthread worker script is tfjs's, with its \\n escapes restored, and compiles", () => {
    const req = createRequire(path.join(root, 'package.json'));
    const src = readFileSync(req.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js'), 'utf8');
    const script = workerScript(src);
    assert.match(script, /^"use strict";/);
    assert.ok(script.includes('text+"\\n"'), 'the newline escape of threadPrintErr is an escape again');
    assert.doesNotThrow(() => new Script(script, { filename: 'worker.js' }));
    // the unescaped template value does not compile: the escape step is what makes it a script
    const raw = (new Function('module', 'exports', `${src}; return module.exports.wasmWorkerContents`) as (m: object, e: object) => string)({ exports: {} }, {});
    assert.throws(() => new Script(raw, { filename: 'raw.js' }), SyntaxError);
  });

  test('computes what one thread computes, with 2 threads, and lets its process exit', () => {
    // a child process: tfjs holds one WASM backend per process, and the pool's threads must not
    // keep a finished process alive (a hang here fails on the timeout)
    const child = `
      const tf = require('@tensorflow/tfjs-core');
      const { initBackend, backendLabel } = require('./src/runner/backend.ts');
      (async () => {
        const b = await initBackend('wasm', 2);
        const a = tf.randomNormal([192, 320], 0, 1, 'float32', 1);
        const w = tf.randomNormal([320, 256], 0, 1, 'float32', 2);
        const y = tf.matMul(a, w);
        const c = tf.clone(y); // the buffer-sharing Identity
        y.dispose();
        const g = tf.grads((p) => tf.sum(tf.tanh(tf.matMul(a, p))))([w])[0];
        const pt = tf.backend().wasm.PThread;
        console.log(JSON.stringify({ pool: pt.unusedWorkers.length + pt.runningWorkers.length, label: backendLabel(b), a: Array.from(a.dataSync()), w: Array.from(w.dataSync()), y: Array.from(c.dataSync()), g: Array.from(g.dataSync()), tensors: tf.memory().numTensors }));
      })();`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', child], { cwd: root, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, `child exited ${r.status} (signal ${r.signal}): ${r.stderr.slice(-1500)}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { pool: number; label: string; a: number[]; w: number[]; y: number[]; g: number[]; tensors: number };
    assert.equal(out.label, 'wasm-simd ×2 threads');
    assert.equal(out.pool, 2, 'Emscripten started the workers asked for, not its 8');
    // dense float64 reference of y = a·w and of d/dw Σ tanh(a·w) = aᵀ·(1 − tanh²(a·w))
    const [m, k, n] = [192, 320, 256];
    let errY = 0;
    let errG = 0;
    const dz = new Float64Array(m * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += out.a[i * k + p] * out.w[p * n + j];
        errY = Math.max(errY, Math.abs(out.y[i * n + j] - s));
        dz[i * n + j] = 1 - Math.tanh(s) ** 2;
      }
    }
    for (let p = 0; p < k; p++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let i = 0; i < m; i++) s += out.a[i * k + p] * dz[i * n + j];
        errG = Math.max(errG, Math.abs(out.g[p * n + j] - s));
      }
    }
    assert.ok(errY < 1e-3, `matmul max |Δ| ${errY}`);
    assert.ok(errG < 1e-3, `gradient max |Δ| ${errG}`);
    assert.equal(out.tensors, 4, 'a, w, the clone and the gradient: nothing leaked');
  });
});
