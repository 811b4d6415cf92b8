/** The built command, as a user runs it: `node bin/nsgwatch.js scan ...` in a child process. */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = process.cwd();
const BUILT = resolve(ROOT, 'dist/lib/cli/scan.js');
const SAMPLES = ['gateways-and-groups', 'network-interfaces', 'network-security-groups', 'virtual-networks'].map((f) => `samples/estate/${f}.json`);

function newestSource(path: string): number {
  return readdirSync(path, { withFileTypes: true }).reduce((newest, entry) => {
    const full = join(path, entry.name);
    return Math.max(newest, entry.isDirectory() ? newestSource(full) : statSync(full).mtimeMs);
  }, 0);
}

/** `npm test` builds first; a run of this file alone rebuilds when lib/ is newer than dist/. */
beforeAll(async () => {
  if (existsSync(BUILT) && statSync(BUILT).mtimeMs >= newestSource(resolve(ROOT, 'lib'))) return;
  await run(process.execPath, [resolve(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT }).catch((error: unknown) => {
    // tsc emits even with type errors elsewhere in the tree; the assertions below decide.
    if (!existsSync(BUILT)) throw error;
  });
}, 120_000);

async function nsgwatch(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/nsgwatch.js', ...args], { cwd: ROOT, maxBuffer: 64 * 2 ** 20 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('the built CLI: node bin/nsgwatch.js scan', () => {
  it('scans the sample estate to JSON and exits 1 on its findings', async () => {
    const result = await nsgwatch(['scan', ...SAMPLES, '--format', 'json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    const json = JSON.parse(result.stdout) as { findings: { ruleId: string }[]; summary: { findings: number } };
    expect(json.summary.findings).toBe(19);
    expect(new Set(json.findings.map((f) => f.ruleId))).toEqual(new Set(['NAT-001', 'NSG-001', 'NSG-005', 'BAS-002', 'NSG-003', 'NSG-010', 'BAS-003', 'NSG-004', 'NSG-011', 'NSG-013', 'NSG-012']));
  });

  it('exits 0 with --fail-on critical and 2 on a usage error', async () => {
    expect((await nsgwatch(['scan', ...SAMPLES, '--fail-on', 'critical'])).code).toBe(0);
    const usage = await nsgwatch(['scan', '--format', 'sarif']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^nsgwatch scan: give estate files/);
  });
});
