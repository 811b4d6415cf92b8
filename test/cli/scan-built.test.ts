/** The built command, as a user runs it: `node bin/nsgwatch.js scan ...` in a child process. */
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, nsgwatch } from '../support/built-cli.js';

const SAMPLES = ['gateways-and-groups', 'network-interfaces', 'network-security-groups', 'virtual-networks'].map((f) => `samples/estate/${f}.json`);

/** `npm test` builds first; a run of this file alone rebuilds when what it runs on is newer than dist/. */
beforeAll(() => ensureBuilt('dist/lib/cli/scan.js', ['lib']), 120_000);

describe('the built CLI: node bin/nsgwatch.js scan', () => {
  it('scans the sample estate to JSON and exits 1 on its findings', async () => {
    const result = await nsgwatch(['scan', ...SAMPLES, '--format', 'json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    const json = JSON.parse(result.stdout) as { findings: { ruleId: string }[]; summary: { findings: number } };
    expect(json.summary.findings).toBe(17);
    expect(new Set(json.findings.map((f) => f.ruleId))).toEqual(new Set(['NAT-001', 'NSG-001', 'NSG-005', 'BAS-002', 'NSG-003', 'NSG-010', 'BAS-003', 'NSG-004', 'NSG-011', 'NSG-013', 'NSG-012']));
  });

  it('exits 0 with --fail-on critical and 2 on a usage error', async () => {
    expect((await nsgwatch(['scan', ...SAMPLES, '--fail-on', 'critical'])).code).toBe(0);
    const usage = await nsgwatch(['scan', '--format', 'sarif']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^nsgwatch scan: give estate files/);
  });
});
