/**
 * What is open right now in this process: started job systems, store connections, thread pools.
 * Each registers when it starts and leaves when it stops, so a test's afterEach can fail when a
 * test leaked one (graphile-worker's leak check) and close it, rather than let it hold timers,
 * files or threads into the next test. A Map with one entry per resource: no cost that matters.
 */

/** One open resource: what it is, and how to close it. */
export interface LiveResource {
  readonly label: string;
  readonly close: () => Promise<void>;
}

const live = new Map<object, LiveResource>();

/** Registers `resource` as open. */
export function opened(resource: object, label: string, close: () => Promise<void>): void {
  live.set(resource, { label, close });
}

/** Registers `resource` as closed. */
export function closed(resource: object): void {
  live.delete(resource);
}

/** The resources open now. */
export function liveResources(): ReadonlyMap<object, LiveResource> {
  return live;
}
