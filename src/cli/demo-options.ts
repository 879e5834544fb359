/**
 * The demo's options: their defaults (the seed's sizes) and the one check that both the command
 * line and `runDemo` callers go through, so a bad value is refused the same way from both.
 */

/** What `steward demo` runs. */
export interface DemoOptions {
  /** A store URL. @default env STEWARD_STORE, else `sqlite:./steward.db` */
  readonly store: string;
  /** Scenario jobs of random priority and type. @default 1000 (the seed's) */
  readonly jobs: number;
  /** Jobs that fail: half flaky (retried, then complete), half broken (dead letters). @default 20 */
  readonly failing: number;
  /** Concurrent submitters of the stress test. @default 10 (the seed's) */
  readonly submitters: number;
  /** Jobs each stress submitter enqueues, one at a time. @default 1000 (the seed's) */
  readonly perSubmitter: number;
  /** Jobs running at once (the handlers sleep on timers, so hundreds cost little). @default 500 */
  readonly concurrency: number;
  /** Divides every sleep and backoff (100: a hundred times faster). @default 1 */
  readonly speed: number;
  /** Run the stress test after the scenario. @default true */
  readonly stress: boolean;
  /** Print the final summary as JSON on stdout (live output goes to stderr). @default false */
  readonly json: boolean;
  /** No live output (no progress bar or status lines). @default false */
  readonly quiet: boolean;
}

/** The store the demo uses when none is given and STEWARD_STORE is unset. */
export const DEFAULT_DEMO_STORE = 'sqlite:./steward.db';

/**
 * The default concurrency. The default run sleeps 1,200 s in all (1,000 seed jobs averaging
 * 200 ms, 10,000 stress jobs of 100 ms): 2.4 s at 500 at once, so the store sets the pace (on the
 * memory store the run takes ~3 s at 500, ~7 s at 200). On SQLite with its default fsync per
 * commit, 9–24 s on 2 busy cores; more concurrency no longer helps there, but costs nothing.
 */
export const DEFAULT_DEMO_CONCURRENCY = 500;

/** The defaults, except the store (which depends on the environment). */
export const DEMO_DEFAULTS: Omit<DemoOptions, 'store'> = Object.freeze({
  jobs: 1000,
  failing: 20,
  submitters: 10,
  perSubmitter: 1000,
  concurrency: DEFAULT_DEMO_CONCURRENCY,
  speed: 1,
  stress: true,
  json: false,
  quiet: false,
});

const COUNTS = ['jobs', 'failing', 'submitters', 'perSubmitter'] as const;

/**
 * Fills in defaults and checks every option, throwing a TypeError that names the option, the
 * value and what was expected. `env` supplies STEWARD_STORE.
 */
export function resolveDemoOptions(
  input: Partial<DemoOptions>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): DemoOptions {
  if (typeof input !== 'object' || input === null) {
    throw new TypeError(`Expected demo options to be an object, got ${String(input)}`);
  }
  const store = input.store ?? nonEmpty(env.STEWARD_STORE) ?? DEFAULT_DEMO_STORE;
  if (typeof store !== 'string' || store.trim() === '') {
    throw new TypeError(
      `Expected \`store\` to be a store URL such as ${DEFAULT_DEMO_STORE}, got ${show(store)}`,
    );
  }
  const options: DemoOptions = { ...DEMO_DEFAULTS, ...definedOnly(input), store };
  for (const name of COUNTS) {
    const value = options[name];
    if (!Number.isInteger(value) || value < 0) {
      throw new TypeError(`Expected \`${name}\` to be a whole number (0 or more), got ${show(value)}`);
    }
  }
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
    throw new TypeError(
      `Expected \`concurrency\` to be a whole number of at least 1, got ${show(options.concurrency)}`,
    );
  }
  if (typeof options.speed !== 'number' || !Number.isFinite(options.speed) || options.speed <= 0) {
    throw new TypeError(
      `Expected \`speed\` to be a positive number (100: a hundred times faster), got ${show(options.speed)}`,
    );
  }
  for (const name of ['stress', 'json', 'quiet'] as const) {
    if (typeof options[name] !== 'boolean') {
      throw new TypeError(`Expected \`${name}\` to be true or false, got ${show(options[name])}`);
    }
  }
  return options;
}

/** The number of jobs a fresh run enqueues. */
export function plannedTotal(options: DemoOptions): number {
  return options.jobs + options.failing + (options.stress ? options.submitters * options.perSubmitter : 0);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** Drops keys given as undefined, so they take their default instead of erasing it. */
function definedOnly(input: Partial<DemoOptions>): Partial<DemoOptions> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<DemoOptions>;
}

function show(value: unknown): string {
  return `\`${typeof value === 'string' ? JSON.stringify(value) : String(value)}\` (${typeof value})`;
}
