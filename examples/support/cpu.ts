/** CPU-bound functions for the examples' ThreadPool. */

/** Naive Fibonacci: deliberately slow, pure CPU. */
export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/** Never returns and never yields: only killing the thread stops it. */
export function forever(): never {
  for (;;) {
    // spin
  }
}
