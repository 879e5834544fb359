/**
 * Runs every exercise of the chapter one after another (drills 1–7, exercises 1–4):
 * the main job until the job system's demo lands. Each also runs on its own:
 * npx tsx examples/<file>.ts
 */
import { main as drill1 } from './drill1-tasks.js';
import { main as drill2 } from './drill2-metrics-reporter.js';
import { main as drill3 } from './drill3-job-processor.js';
import { main as drill4 } from './drill4-counter.js';
import { main as drill5 } from './drill5-stack.js';
import { main as drill6 } from './drill6-ets-tour.js';
import { main as drill7 } from './drill7-kv-benchmark.js';
import { main as exercise1 } from './exercise1-data-pipeline.js';
import { main as exercise2 } from './exercise2-cached-api-client.js';
import { main as exercise3 } from './exercise3-traffic-light.js';
import { main as exercise4 } from './exercise4-leaderboard.js';

const steps: [string, () => Promise<void>][] = [
  ['Drill 1: awaited tasks', () => drill1(1000)],
  ['Drill 2: a supervised periodic reporter', () => drill2(300)],
  ['Drill 3: dynamic task supervision', () => drill3(2000)],
  ['Drill 4: a counter in an Agent', drill4],
  ['Drill 5: Agent vs a hand-written server', drill5],
  ['Drill 6: the ETS tour on Table', () => drill6()],
  ['Drill 7: the key-value benchmark (small run)', () => drill7(20_000)],
  ['Exercise 1: a parallel data pipeline', () => exercise1(100_000)],
  ['Exercise 2: a cached API client', () => exercise2()],
  ['Exercise 3: a traffic light', () => exercise3()],
  ['Exercise 4: a leaderboard', () => exercise4()],
];

for (const [title, run] of steps) {
  console.log(`\n== ${title}`);
  await run();
}
