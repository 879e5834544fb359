/**
 * Runs drills 1–5 one after another: the main job until the job system lands.
 * Each drill also runs on its own: npx tsx examples/<file>.ts
 */
import { main as drill1 } from './drill1-tasks.js';
import { main as drill2 } from './drill2-metrics-reporter.js';
import { main as drill3 } from './drill3-job-processor.js';
import { main as drill4 } from './drill4-counter.js';
import { main as drill5 } from './drill5-stack.js';

const drills: [string, () => Promise<void>][] = [
  ['Drill 1: awaited tasks', () => drill1(1000)],
  ['Drill 2: a supervised periodic reporter', () => drill2(300)],
  ['Drill 3: dynamic task supervision', () => drill3(2000)],
  ['Drill 4: a counter in an Agent', drill4],
  ['Drill 5: Agent vs a hand-written server', drill5],
];

for (const [title, run] of drills) {
  console.log(`\n== ${title}`);
  await run();
}
