// A helper module that throws while loading (a file starting with "_" is not a case itself).
export const size = 4;

export function broken(): number {
  throw new Error('the helper fails at its own line');
}
export const value = broken();
