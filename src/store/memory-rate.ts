/**
 * A per-queue sliding log of start times for rate limits: starts are appended in time order and
 * dropped from the front once they fall out of the window, so counting the starts in the window
 * costs O(1) amortised (a fixed window would admit twice the limit around its boundary).
 */

/** Start times of one queue, oldest first. */
export class RateLog {
  #times: number[] = [];
  #head = 0;

  /** How many starts are in the log. */
  get size(): number {
    return this.#times.length - this.#head;
  }

  /** Appends a start (times must not go backwards; an earlier time is recorded as the latest). */
  push(time: number): void {
    const last = this.#times[this.#times.length - 1];
    this.#times.push(last !== undefined && last > time ? last : time);
  }

  /** Drops every start at or before `cutoff`. */
  dropUpTo(cutoff: number): void {
    const times = this.#times;
    let head = this.#head;
    while (head < times.length && (times[head] as number) <= cutoff) head++;
    // Compact once the dead prefix dominates, so memory stays proportional to the window.
    if (head > 1024 && head * 2 > times.length) {
      this.#times = times.slice(head);
      head = 0;
    }
    this.#head = head;
  }
}
