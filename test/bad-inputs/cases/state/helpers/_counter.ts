// A helper module with state of its own (each rank gets its own copy of it too).
let n = 0;
export function next(): number {
  n += 1;
  return n;
}
