// A NaN among the input values: refused where the spec is read, at the line, before anything runs.
// exit: 2
// message: input.data holds NaN at flat index 5 (1 non-finite of 32 values)
// message: nan-in-input.ts:10
// message: fix: replace NaN and ±Infinity
import { simulation, models } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  model: models.ffn({ hidden: 8 }),
  input: { batch: 2, seq: 2, data: { shape: [2, 2, 8], data: Array.from({ length: 32 }, (_, i) => (i === 5 ? NaN : 0.1)) } },
  plan: { fc1: 'colwise', fc2: 'rowwise' },
});
