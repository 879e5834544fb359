/** The program as a whole: version, help, usage errors and the one-line error format. */
import { describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.js';
import { run } from './helpers.js';

const COMMANDS = [
  'start',
  'add',
  'jobs',
  'job',
  'stats',
  'top',
  'retry',
  'cancel',
  'pause',
  'resume',
  'migrate',
];

describe('steward CLI', () => {
  it('prints the package version', async () => {
    const { code, out } = await run(['--version']);
    expect(code).toBe(0);
    expect(out.trim()).toBe(VERSION);
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('prints help listing every command, the stores and the exit codes, and exits 0', async () => {
    const { code, out } = await run(['--help']);
    expect(code).toBe(0);
    expect(out).toContain('Usage: steward');
    for (const name of [...COMMANDS, 'demo']) expect(out).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    expect(out).toContain('STEWARD_STORE');
    expect(out).toMatch(/Exit codes:\n\s+0\s+ok\n\s+1\s+failure.*\n\s+2\s+usage error.*\n\s+3\s+not found/);
  });

  it.each(COMMANDS)('gives `%s --help` with a description and an example', async (name) => {
    const { code, out } = await run([name, '--help']);
    expect(code).toBe(0);
    expect(out).toContain(`Usage: steward ${name}`);
    expect(out).toMatch(/Examples?:\n\s+\$ steward /);
  });

  it('exits 2 with a one-line error and a hint on an unknown command', async () => {
    const { code, out, err } = await run(['frobnicate']);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toBe(`steward: unknown command 'frobnicate' — run "steward --help" for usage\n`);
  });

  it("points an unknown option's hint at the sub-command's help", async () => {
    const { code, err } = await run(['jobs', '--colour']);
    expect(code).toBe(2);
    expect(err.split('\n').filter(Boolean)).toHaveLength(1);
    expect(err).toMatch(/^steward: unknown option '--colour'.* — run "steward jobs --help" for usage\n$/);
  });

  it('exits 2 when a required argument is missing', async () => {
    const { code, err } = await run(['job']);
    expect(code).toBe(2);
    expect(err).toMatch(/^steward: missing required argument 'id' — run "steward job --help"/);
  });
});
