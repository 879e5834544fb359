/**
 * The undo log behind `Table.transaction`. Before a verb changes a key's rows during a transaction,
 * the Table records that key's rows as they were (once per key per transaction level: the first
 * snapshot is the one that matters); `deleteAllObjects` records the whole previous container, which
 * `clear` hands over untouched. Undo replays the records newest first, so a whole-table record and
 * later per-key records compose correctly. Outside a transaction there is no log and writes pay
 * one `undefined` check.
 */
import { keyId } from './keys.js';
import type { Row, Store } from './store.js';

type Entry =
  | { readonly all: false; readonly key: unknown; readonly rows: unknown }
  | { readonly all: true; readonly state: unknown };

/** Records of one transaction, nested levels included. */
export class UndoLog<R extends Row> {
  readonly #store: Store<R>;
  readonly #entries: Entry[] = [];
  /** Keys recorded in the current level; a nested level starts empty so its own undo is complete. */
  #seen = new Set<unknown>();
  readonly #levels: { readonly mark: number; readonly seen: Set<unknown> }[] = [];

  /** Starts a log over `store`. */
  constructor(store: Store<R>) {
    this.#store = store;
  }

  /** Records `key`'s rows before the first change to it in this level. */
  saveKey(key: unknown): void {
    const id = keyId(key);
    if (this.#seen.has(id)) return;
    this.#seen.add(id);
    this.#entries.push({ all: false, key, rows: this.#store.snapshot(key) });
  }

  /** Records whole contents that `clear` returned. */
  saveAll(state: unknown): void {
    this.#entries.push({ all: true, state });
  }

  /** How many levels deep the log is (0: the outermost transaction). */
  get depth(): number {
    return this.#levels.length;
  }

  /** Opens a nested level. */
  begin(): void {
    this.#levels.push({ mark: this.#entries.length, seen: this.#seen });
    this.#seen = new Set();
  }

  /** Closes a nested level whose changes stand: its records now belong to the enclosing level. */
  commit(): void {
    const level = this.#levels.pop();
    if (level === undefined) return;
    for (const id of this.#seen) level.seen.add(id);
    this.#seen = level.seen;
  }

  /** Undoes the current level's changes (the whole log at depth 0) and closes that level. */
  rollback(): void {
    const level = this.#levels.pop();
    const mark = level?.mark ?? 0;
    for (let i = this.#entries.length - 1; i >= mark; i--) {
      const e = this.#entries[i] as Entry;
      if (e.all) this.#store.restoreAll(e.state);
      else this.#store.restore(e.key, e.rows);
    }
    this.#entries.length = mark;
    this.#seen = level?.seen ?? new Set();
  }
}
