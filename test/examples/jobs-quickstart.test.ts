import { describe, expect, it } from 'vitest';
import { quickstart } from '../../examples/jobs-quickstart.js';

describe("the README's job-system quickstart", () => {
  it('prints what the README says it prints', async () => {
    const lines: string[] = [];
    await quickstart((line) => lines.push(line));
    expect([...lines].sort()).toEqual(
      [
        'rejected at enqueue: PayloadValidationError',
        'job bad #3: malformed input (discard)',
        'job email #2: smtp timeout for ada@example.com (failure)',
        'completed: resize={"width":400} email={"sent":true}',
        'dead letters: bad (malformed input)',
        'stats: enqueued 3, completed 2, failed 2, discarded 1; email handler ran 2 times',
      ].sort(),
    );
  });
});
