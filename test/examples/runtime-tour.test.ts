import { describe, expect, it } from 'vitest';
import { tour } from '../../examples/runtime-tour.js';

describe("the README's runtime tour", () => {
  it('prints what the README says it prints', async () => {
    const lines: string[] = [];
    await tour((line) => lines.push(line));
    expect(lines).toEqual([
      'Task: 42',
      'asyncStream: 1 4 error(three) 16',
      'Agent: 1000',
      'Table: over 28: alice carol; engineers: 1',
      'Registry: counter is registered: true',
      'TaskSupervisor: a child crashed (bad job)',
      'report: task_supervisor child.crashed (bad job)',
      'TaskSupervisor: sibling says fine',
      'report: supervisor child.crashed (first run fails)',
      'Supervisor: flaky ran 2 times; children counter:running flaky:running jobs:running',
      'Registry: after the tree stopped, counter is registered: false',
      'Table: dropped with its owner: true',
      'ThreadPool: fib(25) = 75025',
      'ThreadPool: the runaway call ended with TaskTimeoutError',
    ]);
  });
});
