/**
 * `npm run bench`: every benchmark, one after another, with the machine they ran on.
 * `npm run bench -- runtime` runs only the named suites.
 */
import { machineLine } from './harness.js';

const suites: Record<string, () => Promise<{ run(): Promise<void> }>> = {
  runtime: () => import('./runtime.bench.js'),
  table: () => import('./table.bench.js'),
  queue: () => import('./queue.bench.js'),
  store: () => import('./store.bench.js'),
  sqlite: () => import('./sqlite.bench.js'),
  'sqlite-jobs': () => import('./sqlite-jobs.bench.js'),
  'sqlite-floor': () => import('./sqlite-floor.bench.js'),
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !(w in suites));
if (unknown.length > 0) {
  console.error(
    `unknown benchmark suite(s): ${unknown.join(', ')}; expected one of: ${Object.keys(suites).join(', ')}`,
  );
  process.exit(2);
}
console.log(`Steward benchmarks on ${machineLine()}`);
for (const name of wanted.length > 0 ? wanted : Object.keys(suites)) {
  console.log(`\n### ${name}`);
  const suite = await suites[name]!();
  await suite.run();
}
