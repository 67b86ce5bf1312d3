import { a } from './_cycle-a';
export const b = a.toFixed(0).length; // a is not set yet: _cycle-a.ts is still loading
