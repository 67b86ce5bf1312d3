/**
 * What the DOM cannot show, checked inside code-server's extension host with the real `vscode`
 * API: the commands are registered, the extension host stays responsive while a simulation
 * runs, Stop really ends the simulation's worker thread, and nothing logged an error.
 * Runs on its own copy of the workspace the suite prepared (test-results/e2e/work-host).
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { RunState } from '../../../src/extension/api.js';
import { autodistLogErrors } from '../lib/logs.js';

const EXTENSION_ID = 'autodist.autodist';
/** The seed-003 FFN at full size (B=8, S=128, d=1024, TP=4): a numeric run of ~30 s here. */
const FFN = 'examples/ffn_tp4.ts';

/** The documented API `activate()` returns (test/e2e/README.md; src/extension/api.ts). */
type Api = import('../../../src/extension/api.js').AutoDistApi;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(ms: number, what: string, probe: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`${what} — not within ${ms / 1000} s`);
    await sleep(50);
  }
}

/** OS threads of the extension host process (a simulation's worker thread is one of them). */
const threads = (): number => readdirSync('/proc/self/task').length;

/** The thread count once it has not changed for a second (at most 15 s). */
async function steadyThreads(): Promise<number> {
  const end = Date.now() + 15_000;
  let n = threads();
  let since = Date.now();
  while (Date.now() < end && Date.now() - since < 1000) {
    await sleep(100);
    const m = threads();
    if (m !== n) {
      n = m;
      since = Date.now();
    }
  }
  return n;
}

interface Drift {
  /** Largest lateness of the timer, whatever its cause. */
  readonly max: number;
  readonly p99: number;
  readonly ticks: number;
  /** Largest lateness during which the main thread itself was on the CPU (its own work blocked it). */
  readonly blocked: number;
  /** The five latest ticks: lateness, when, and the main thread's CPU time in that interval. */
  readonly worst: string;
}

/** Main-thread CPU time in ms (Node ≥ 23.9; the process's on older Node). */
const threadCpuMs = (): number => {
  const p = process as unknown as { threadCpuUsage?: () => NodeJS.CpuUsage };
  const u = p.threadCpuUsage ? p.threadCpuUsage() : process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * A 10 ms timer on this (the extension host's) event loop: how late each tick fires, and how much
 * of each late interval the main thread spent on the CPU. A tick late because the event loop was
 * busy has the thread on the CPU for the whole gap; a tick late because the OS ran other
 * processes (a loaded 2-core machine) has it off the CPU.
 */
function driftProbe(periodMs = 10): { stop(): Drift } {
  const late: number[] = [];
  const spikes: { at: number; ms: number; cpu: number }[] = [];
  let blocked = 0;
  const t0 = performance.now();
  let last = t0;
  let lastCpu = threadCpuMs();
  let timer: NodeJS.Timeout;
  const tick = () => {
    const now = performance.now();
    const cpu = threadCpuMs();
    const l = Math.max(0, now - last - periodMs);
    const onCpu = cpu - lastCpu;
    late.push(l);
    blocked = Math.max(blocked, Math.min(l, Math.max(0, onCpu - periodMs)));
    if (l > 20) spikes.push({ at: now - t0, ms: l, cpu: onCpu });
    last = now;
    lastCpu = cpu;
    timer = setTimeout(tick, periodMs);
  };
  timer = setTimeout(tick, periodMs);
  return {
    stop() {
      clearTimeout(timer);
      const s = [...late].sort((a, b) => a - b);
      const worst = [...spikes].sort((a, b) => b.ms - a.ms).slice(0, 5).map((x) => `${x.ms.toFixed(0)} ms late at ${(x.at / 1000).toFixed(2)} s (main thread on CPU ${x.cpu.toFixed(0)} ms)`).join(', ');
      return { max: s[s.length - 1] ?? 0, p99: s[Math.floor(s.length * 0.99)] ?? 0, ticks: s.length, blocked, worst };
    },
  };
}

/** Wait until the event loop has been free of 20 ms blocks for `quietMs`; returns the time waited. */
async function settle(quietMs: number, maxMs: number): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < maxMs) {
    const probe = driftProbe(10);
    await sleep(quietMs);
    if (probe.stop().blocked < 20) break;
  }
  return performance.now() - t0;
}

/**
 * E2E_PROFILE_DIR set: a CPU profile of the extension host's main thread during the run (open
 * it in Chrome DevTools) — to find what held the event loop when the drift check fails.
 */
async function startProfile(): Promise<{ stop(): Promise<void> } | undefined> {
  const dir = process.env.E2E_PROFILE_DIR;
  if (!dir) return undefined;
  const inspector = await import('node:inspector');
  const { writeFileSync } = await import('node:fs');
  const session = new inspector.Session();
  session.connect();
  const post = (method: string, params?: object) => new Promise<unknown>((resolve, reject) => session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 500 });
  await post('Profiler.start');
  return {
    async stop() {
      const { profile } = (await post('Profiler.stop')) as { profile: unknown };
      writeFileSync(`${dir}/exthost-during-run.cpuprofile`, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

export function defineHostTests(): void {
  let api: Api;
  let ws: vscode.Uri;

  describe('AutoDist in the extension host', () => {
    before(async () => {
      const ext = vscode.extensions.getExtension<Api>(EXTENSION_ID);
      assert.ok(ext, `the extension ${EXTENSION_ID} is installed`);
      api = await ext.activate();
      assert.equal(api?.apiVersion, 1, 'activate() returns the documented API (apiVersion 1)');
      const folder = vscode.workspace.workspaceFolders?.[0];
      assert.ok(folder, 'a workspace folder is open');
      ws = folder.uri;
      // The window has just opened, and VS Code activates its own extensions a few seconds later
      // (TypeScript and JSON, on the workspace's tsconfig.json: ~300 ms of module loading on this
      // event loop). In a person's window they are long active — they edit a .ts script — so
      // activate them now, then measure AutoDist on a settled extension host (3 quiet seconds).
      await vscode.workspace.openTextDocument(vscode.Uri.joinPath(ws, 'tsconfig.json'));
      await vscode.workspace.openTextDocument(vscode.Uri.joinPath(ws, FFN));
      for (const id of ['vscode.typescript-language-features', 'vscode.json-language-features']) await vscode.extensions.getExtension(id)?.activate();
      const quiet = await settle(3000, 60_000);
      console.log(`    extension host settled after ${(quiet / 1000).toFixed(1)} s`);
    });

    it('registers every command its manifest contributes, among them Simulate, Simulate in Meta Mode, Stop, New Simulation Script, Export Trace, Open Report and Show Panel', async () => {
      const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
      const declared = (ext.packageJSON.contributes.commands as { command: string; title: string; category?: string }[]).map((c) => `${c.category ?? ''}: ${c.title} (${c.command})`);
      const wanted = ['AutoDist: Simulate (autodist.simulate)', 'AutoDist: Simulate in Meta Mode (autodist.simulateMeta)', 'AutoDist: Stop (autodist.stop)', 'AutoDist: New Simulation Script (autodist.newScript)', 'AutoDist: Export Trace (autodist.exportTrace)', 'AutoDist: Open Report (autodist.openReport)', 'AutoDist: Show Panel (autodist.showPanel)'];
      const absent = wanted.filter((w) => !declared.includes(w));
      assert.deepEqual(absent, [], `package.json does not contribute: ${absent.join(', ')} (it has ${declared.join(', ')})`);
      const registered = new Set(await vscode.commands.getCommands(true));
      const ids = (ext.packageJSON.contributes.commands as { command: string }[]).map((c) => c.command);
      const missing = ids.filter((c) => !registered.has(c));
      assert.deepEqual(missing, [], `commands the manifest contributes but activate() did not register: ${missing.join(', ')}`);
    });

    it("stays responsive while the seed-003 FFN simulates: a 10 ms timer's drift stays under 50 ms wherever the extension host was busy (and under 1 s even while the OS ran other processes)", async () => {
      const profile = await startProfile();
      const probe = driftProbe(10);
      const t0 = performance.now();
      await vscode.commands.executeCommand('autodist.simulate', vscode.Uri.joinPath(ws, FFN));
      const took = performance.now() - t0;
      const d = probe.stop();
      await profile?.stop();
      const last = api.last;
      assert.equal(last?.verdict.status, 'verified', `the run ends verified (it says: ${last?.verdict.text})`);
      assert.equal(api.run?.status, 'finished');
      assert.equal(last.report.collectives.length, 2, 'its report: the forward and the backward all-reduce');
      console.log(`    run ${(took / 1000).toFixed(1)} s; timer drift max ${d.max.toFixed(1)} ms (of it on-CPU ${d.blocked.toFixed(1)} ms), p99 ${d.p99.toFixed(1)} ms over ${d.ticks} ticks; worst: ${d.worst || 'none over 20 ms'}`);
      assert.ok(d.ticks > took / 30, `the timer fired only ${d.ticks} times in ${(took / 1000).toFixed(1)} s`);
      // Lateness while the main thread was on the CPU is the extension host's own work (the
      // simulation must run in its worker thread). Lateness with the main thread off the CPU is
      // the OS running other processes on this shared 2-core machine: bounded loosely, logged.
      assert.ok(d.blocked < 50, `the extension host's event loop was busy for ${d.blocked.toFixed(0)} ms: a 10 ms timer fired that late while the main thread ran (worst ticks: ${d.worst})`);
      assert.ok(d.max < 1000, `a 10 ms timer fired ${d.max.toFixed(0)} ms late (worst ticks: ${d.worst})`);
    });

    it('Stop ends a running simulation: the command returns, the worker thread is gone, the CPU goes quiet, the panel says stopped', async () => {
      const before = await steadyThreads(); // the previous run's worker may still be exiting
      const ended = new Promise<RunState>((resolve) => {
        const d = api.onDidEndRun((r) => (d.dispose(), resolve(r)));
      });
      const run = vscode.commands.executeCommand('autodist.simulate', vscode.Uri.joinPath(ws, FFN));
      await waitFor(20_000, 'the simulation starts (its worker thread appears)', () => api.running && threads() > before);
      await sleep(3000); // well into the numeric run
      assert.ok(api.running, 'still running 3 s in');
      assert.equal(api.run?.status, 'running');
      const t0 = performance.now();
      await vscode.commands.executeCommand('autodist.stop');
      await Promise.race([run, sleep(5000).then(() => Promise.reject(new Error('"AutoDist: Simulate" did not return within 5 s of "AutoDist: Stop"')))]);
      const stopMs = performance.now() - t0;
      assert.equal(api.running, false, 'no longer running');
      const state = await Promise.race([ended, sleep(5000).then(() => undefined)]);
      assert.equal(state?.status, 'failed', 'onDidEndRun fired: the run failed');
      assert.deepEqual(state?.failure?.reason, 'cancelled', 'the run was stopped (reason "cancelled")');
      await waitFor(5000, `the worker thread ends (threads: ${threads()}, before the run: ${before})`, () => threads() <= before);
      const c0 = process.cpuUsage();
      await sleep(1000);
      const c = process.cpuUsage(c0);
      const busy = (c.user + c.system) / 1000; // ms of CPU in 1000 ms
      assert.ok(busy < 400, `the extension host still burns CPU after Stop: ${busy.toFixed(0)} ms in 1 s`);
      const failed = api.controller.replay(null).find((m) => m.type === 'runFailed');
      assert.equal(failed && failed.type === 'runFailed' && failed.reason, 'cancelled', 'the panel is told the run was stopped (runFailed, reason "cancelled")');
      console.log(`    stopped in ${stopMs.toFixed(0)} ms; CPU after stop ${busy.toFixed(0)} ms/s`);
    });

    it('logs no error: neither the AutoDist log nor the extension host logs hold an error from AutoDist', async () => {
      const dir = process.env.AUTODIST_E2E_LOGS_DIR;
      assert.ok(dir, 'the suite tells where code-server keeps its logs (AUTODIST_E2E_LOGS_DIR)');
      await sleep(1500); // let the log files flush
      const { own, scanned, errors } = autodistLogErrors(dir);
      assert.ok(own.length > 0, `the AutoDist output channel writes a log file (none among ${scanned} under ${dir})`);
      assert.deepEqual(errors, [], `error lines:\n${errors.join('\n')}`);
    });
  });
}
