import { b } from './_cycle-b';
export const a = 2;
export const both = a + b;
