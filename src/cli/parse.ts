/**
 * Parsers for option and argument values. Each throws commander's InvalidArgumentError, so a bad
 * value ends as a usage error (exit 2) whose line names the option, the value and what was expected.
 */
import { InvalidArgumentError } from 'commander';
import { JOB_STATES, Priority } from '../index.js';
import type { JobState } from '../index.js';

/** A whole number ≥ `min` (`--limit`, `--max-attempts`, `--iterations`). */
export function intAtLeast(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min) {
      throw new InvalidArgumentError(`Expected a whole number of at least ${min}.`);
    }
    return n;
  };
}

/** A duration in milliseconds: a whole number ≥ 0 (`--delay`, `--grace`). */
export const parseMs = (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0) {
    throw new InvalidArgumentError('Expected a whole number of milliseconds (0 or more).');
  }
  return n;
};

/** A positive duration in milliseconds (`--interval`, `--monitor`, `--timeout`). */
export const parsePositiveMs = (value: string): number => {
  const n = parseMs(value);
  if (n === 0) throw new InvalidArgumentError('Expected a positive number of milliseconds.');
  return n;
};

const PRIORITY_NAMES = Object.keys(Priority) as (keyof typeof Priority)[];

/** A priority: 0–9, or a level name (critical 1, high 3, normal 5, low 7, background 9). */
export const parsePriority = (value: string): number => {
  const name = value.trim().toLowerCase();
  if ((PRIORITY_NAMES as string[]).includes(name)) return Priority[name as keyof typeof Priority];
  if (/^[0-9]$/.test(name)) return Number(name);
  throw new InvalidArgumentError(`Expected 0-9 (lower runs first) or one of ${PRIORITY_NAMES.join(', ')}.`);
};

/** The level name of a priority, for display (`5 (normal)`, `4`). */
export function priorityName(priority: number): string {
  const name = PRIORITY_NAMES.find((n) => Priority[n] === priority);
  return name === undefined ? String(priority) : `${priority} (${name})`;
}

/** An ISO time (`--run-at 2030-01-01T09:00:00Z`), as ms since the epoch. */
export const parseTime = (value: string): number => {
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw new InvalidArgumentError('Expected an ISO time such as 2030-01-01T09:00:00Z.');
  return at;
};

/** Job states, repeatable or comma-separated (`--state discarded,cancelled --state retryable`). */
export function collectStates(value: string, previous: readonly JobState[] = []): JobState[] {
  const states = [...previous];
  for (const part of value.split(',')) {
    const state = part.trim().toLowerCase();
    if (!(JOB_STATES as readonly string[]).includes(state)) {
      throw new InvalidArgumentError(`Expected job states from: ${JOB_STATES.join(', ')}.`);
    }
    if (!states.includes(state as JobState)) states.push(state as JobState);
  }
  return states;
}

/** Repeatable string options (`--tag a --tag b`). */
export function collect(value: string, previous: readonly string[] = []): string[] {
  return [...previous, value];
}

/** `--queue name=concurrency`, repeatable: queue names to their concurrency. */
export function collectQueues(
  value: string,
  previous: Readonly<Record<string, number>> = {},
): Record<string, number> {
  const match = /^([^=\s]+)=(\d+)$/.exec(value.trim());
  const concurrency = match ? Number(match[2]) : 0;
  if (!match || concurrency < 1) {
    throw new InvalidArgumentError('Expected name=concurrency with a concurrency of at least 1 (email=2).');
  }
  return { ...previous, [match[1] as string]: concurrency };
}

/** Parses a job's payload argument: JSON text, or a usage error naming it. */
export function parsePayload(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InvalidArgumentError(
      `It is not JSON (${(err as Error).message}); quote it for the shell: '{"to":"ada@example.com"}'.`,
    );
  }
}
