/**
 * first/next over a hash engine's Map. A Map cannot find "the entry after key k" without walking
 * from the start, so the cursor keeps the iterator of the last walk: `next(k)` with the key it last
 * returned continues in O(1), making a full first/next walk O(n) rather than O(n²). Any other
 * `next(k)` walks from the start to find `k` (O(n)). A Map iterator stays valid while entries are
 * deleted or added (deleted ones are skipped, added ones are visited), so deleting the current key
 * during a walk is safe, as ETS allows for a fixed table.
 */
import { TableBadArgError } from './errors.js';

/** The remembered position of the last first/next walk over one Map. */
export class HashCursor<V> {
  #id: unknown;
  #it: Iterator<[unknown, V]> | undefined;

  /** Forgets the walk (the Map was replaced). */
  reset(): void {
    this.#it = undefined;
  }

  /** The first key of `map`, starting a new walk. */
  first(map: Map<unknown, V>, keyOf: (value: V) => unknown): unknown {
    return this.#step(map.entries(), keyOf);
  }

  /** The key after the one whose id is `id`; throws TableBadArgError when `key` is not stored. */
  next(map: Map<unknown, V>, id: unknown, key: unknown, keyOf: (value: V) => unknown): unknown {
    if (this.#it !== undefined && this.#id === id) return this.#step(this.#it, keyOf);
    const it = map.entries();
    for (let e = it.next(); !e.done; e = it.next()) {
      if (e.value[0] === id) return this.#step(it, keyOf);
    }
    throw new TableBadArgError('`key`', 'a key stored in the table (or the key a walk last returned)', key);
  }

  #step(it: Iterator<[unknown, V]>, keyOf: (value: V) => unknown): unknown {
    const e = it.next();
    if (e.done) {
      this.#it = undefined;
      return undefined;
    }
    this.#id = e.value[0];
    this.#it = it;
    return keyOf(e.value[1]);
  }
}
