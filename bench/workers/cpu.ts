/** CPU-bound work for the ThreadPool benchmark: a pure loop with no I/O to hide behind. */

/** Sums a cheap hash over `n` iterations; the result keeps the loop from being optimised away. */
export function spin(n: number): number {
  let h = 0;
  for (let i = 0; i < n; i++) h = (Math.imul(h ^ i, 0x9e3779b1) + i) | 0;
  return h;
}

/** The same work, called with one argument object per item of an asyncStream. */
export function spinChunk(arg: { n: number }): number {
  return spin(arg.n);
}
