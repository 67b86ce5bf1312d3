import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryTracker } from '../../src/core/memory.js';
import { Rng } from '../../src/core/rng.js';

/**
 * The tracker against a model written out the slow way: each tensor's op of birth and last use,
 * live bytes summed op by op. Random programs of ticks, allocations, uses, pins and releases, in
 * both spellings (tick + alloc / make, tick + use / read).
 */
class Reference {
  clock = 0;
  born: number[] = [];
  last: number[] = [];
  bytes: number[] = [];
  pinned: boolean[] = [];
  tick(): void {
    this.clock++;
  }
  alloc(b: number, pinned: boolean): number {
    this.born.push(this.clock);
    this.last.push(this.clock);
    this.bytes.push(b);
    this.pinned.push(pinned);
    return this.born.length - 1;
  }
  use(i: number): void {
    if (i >= 0) this.last[i] = Math.max(this.last[i], this.clock);
  }
  pin(i: number): void {
    this.pinned[i] = true;
  }
  release(i: number): void {
    this.pinned[i] = false;
    this.use(i);
  }
  report() {
    let persistent = 0;
    for (let i = 0; i < this.born.length; i++) if (this.pinned[i]) persistent += this.bytes[i];
    let peak = 0;
    for (let t = 0; t <= this.clock; t++) {
      let live = 0;
      for (let i = 0; i < this.born.length; i++) if (!this.pinned[i] && this.born[i] <= t && t <= this.last[i]) live += this.bytes[i];
      peak = Math.max(peak, live);
    }
    return { peakBytes: peak + persistent, persistentBytes: persistent, peakTransientBytes: peak, tensors: this.born.length };
  }
}

test('memory: report() equals live bytes summed op by op, for random programs in both spellings', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const rng = new Rng(seed);
    const rnd = () => rng.uniform();
    const m = new MemoryTracker();
    const ref = new Reference();
    const ids: number[] = [];
    const steps = 20 + Math.floor(rnd() * 300); // past the first growth of the tracker's arrays (64)
    for (let s = 0; s < steps; s++) {
      const r = rnd();
      const pick = () => (ids.length ? ids[Math.floor(rnd() * ids.length)] : -1);
      const bytes = 4 * (1 + Math.floor(rnd() * 1000));
      if (r < 0.2) {
        m.tick();
        ref.tick();
      } else if (r < 0.35) {
        const pinned = rnd() < 0.1;
        ids.push(m.alloc(bytes, pinned));
        ref.alloc(bytes, pinned);
      } else if (r < 0.55) {
        const pinned = rnd() < 0.1;
        ids.push(m.make(bytes, pinned));
        ref.tick();
        ref.alloc(bytes, pinned);
      } else if (r < 0.7) {
        const i = pick();
        m.use(i);
        ref.use(i);
      } else if (r < 0.85) {
        const i = rnd() < 0.1 ? -1 : pick(); // −1: a view that owns no memory
        m.read(i);
        ref.tick();
        ref.use(i);
      } else if (r < 0.93) {
        const i = pick();
        if (i >= 0) {
          m.pin(i);
          ref.pin(i);
        }
      } else {
        const i = pick();
        if (i >= 0) {
          m.release(i);
          ref.release(i);
        }
      }
    }
    assert.deepEqual(m.report(), ref.report(), `seed ${seed}, ${steps} steps`);
  }
});

test('memory: hand-worked peaks — a tensor read after later births stays live, pinned bytes count once', () => {
  const m = new MemoryTracker();
  const a = m.make(100); // op 1: a born
  const b = m.make(10); // op 2: b born (a live: 110)
  m.read(a); // op 3: a read (a + b live: 110)
  const c = m.make(1000); // op 4: c born; a and b are dead (never read after op 3)
  const w = m.make(7, true); // op 5: a parameter, pinned
  m.read(b); // op 6: b read again — b was live from op 2 to op 6, so with c at op 4: 1010
  assert.deepEqual(m.report(), { peakBytes: 1017, persistentBytes: 7, peakTransientBytes: 1010, tensors: 4 });
  void c;
  void w;
});

test('memory: a stretch recorder hears make() and read() as the ticks, allocations and uses they are', () => {
  const heard: string[] = [];
  const m = new MemoryTracker();
  m.recorder = {
    tick: () => heard.push('tick'),
    alloc: (b, p) => heard.push(`alloc ${b}${p ? ' pinned' : ''}`),
    use: (i) => heard.push(`use ${i}`),
    pin: (i) => heard.push(`pin ${i}`),
    release: (i) => heard.push(`release ${i}`),
  };
  const a = m.make(8);
  m.read(a);
  m.read(-1);
  m.make(4, true);
  assert.deepEqual(heard, ['tick', 'alloc 8', 'tick', 'use 0', 'tick', 'tick', 'alloc 4 pinned']);
});
