/**
 * Errors raised by `Table`. All extend `TableError`, so `catch (e) { if (e instanceof TableError) ... }`
 * separates table misuse from other failures; each subclass carries the facts a caller needs
 * (the table's name, the verb, the offending value) as fields as well as in its message.
 */
import { describeValue } from '../validate.js';

/** Renders a value for a table error message (the runtime's one describer). */
export const describeTableValue = describeValue;

/** Base class of every error a Table raises. */
export class TableError extends Error {
  override readonly name: string = 'TableError';
}

/**
 * Raised when a handle lacks the rights a verb needs: a write through a protected table's shared
 * handle, `share()`/`whereis()` of a private table, or an owner-only verb from a non-owner.
 */
export class TableAccessError extends TableError {
  override readonly name: string = 'TableAccessError';
  /** The table's name (or its generated label for unnamed tables). */
  readonly table: string;
  /** The verb that was refused, e.g. `"insert"`. */
  readonly verb: string;
  /** Builds the error; `why` finishes the sentence, e.g. `"the table is protected: only its owner may write"`. */
  constructor(table: string, verb: string, why: string) {
    super(`Table ${JSON.stringify(table)}: \`${verb}\` is not allowed: ${why}`);
    this.table = table;
    this.verb = verb;
  }
}

/** Raised by any verb on any handle of a table that has been dropped (ETS's `badarg` on a deleted table). */
export class TableDroppedError extends TableError {
  override readonly name: string = 'TableDroppedError';
  /** The dropped table's name (or its generated label). */
  readonly table: string;
  /** The verb that was attempted, if known. */
  readonly verb: string | undefined;
  /** Builds the error; `verb`, when given, names the call that was attempted. */
  constructor(table: string, verb?: string) {
    super(
      `Table ${JSON.stringify(table)} has been dropped${verb === undefined ? '' : ` (called \`${verb}\`)`}`,
    );
    this.table = table;
    this.verb = verb;
  }
}

/**
 * Raised for a bad argument to a table verb: an invalid key, a row too short for the key position,
 * a malformed pattern, a non-number counter, an out-of-range position. The table is unchanged.
 * Message format follows validate.ts: "Expected `what` to be ..., got `value` (type)".
 */
export class TableBadArgError extends TableError {
  override readonly name: string = 'TableBadArgError';
  /** The offending value itself, for programmatic inspection. */
  readonly value: unknown;
  /**
   * Builds the error. `what` is a phrase naming the thing checked, e.g. "`key`" or "the key of row 2";
   * `detail` is appended, e.g. "at index 1 of the key".
   */
  constructor(what: string, expected: string, value: unknown, detail?: string) {
    super(
      `Expected ${what} to be ${expected}, got ${describeTableValue(value)}${detail ? ` ${detail}` : ''}`,
    );
    this.value = value;
  }
}
