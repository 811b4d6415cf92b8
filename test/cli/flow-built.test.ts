import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = process.cwd();
const BUILT = resolve(ROOT, 'dist/lib/cli/flow.js');
const NSG_GET = resolve(ROOT, '../shared/corpus/rest-api-examples/2021-02-01/NetworkSecurityGroupGet.json');
const dir = mkdtempSync(join(tmpdir(), 'nsgwatch-flow-built-'));

function newestSource(path: string): number {
  return readdirSync(path, { withFileTypes: true }).reduce((newest, entry) => {
    const full = join(path, entry.name);
    return Math.max(newest, entry.isDirectory() ? newestSource(full) : statSync(full).mtimeMs);
  }, 0);
}

/** `npm test` builds first; a run of this file alone rebuilds when what `flow` runs on is newer than dist/. */
beforeAll(async () => {
  const sources = ['lib/cli', 'lib/estate', 'lib/nsg', 'lib/rules'].map((d) => newestSource(resolve(ROOT, d)));
  if (existsSync(BUILT) && statSync(BUILT).mtimeMs >= Math.max(...sources)) return;
  await run(process.execPath, [resolve(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT }).catch(
    (error: unknown) => {
      // tsc emits even with type errors elsewhere in the tree; the assertions below decide.
      if (!existsSync(BUILT)) throw error;
    },
  );
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function nsgwatch(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/nsgwatch.js', ...args], { cwd: ROOT });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('the built CLI: node bin/nsgwatch.js flow', () => {
  it('answers one flow', async () => {
    const result = await nsgwatch(['flow', NSG_GET, '--nsg', 'testnsg', '--direction', 'inbound', '--protocol', 'tcp', '--source', '198.51.100.7:1234', '--destination', '10.0.0.4:80', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      access: 'Allow',
      decidedBy: [{ nsg: '/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/testnsg', rule: 'rule1', priority: 130 }],
    });
  });

  it('answers a JSONL file line by line', async () => {
    const queries = join(dir, 'q.jsonl');
    writeFileSync(
      queries,
      [
        { nsg: 'testnsg', direction: 'outbound', protocol: 'tcp', source: '10.2.0.4', sourcePort: 80, destination: '121.10.1.1', destinationPort: 80 },
        { nsg: 'nope', direction: 'inbound', protocol: 'tcp', source: '1.2.3.4', sourcePort: 1, destination: '10.0.0.4', destinationPort: 80 },
      ]
        .map((q) => JSON.stringify(q))
        .join('\n'),
    );
    const result = await nsgwatch(['flow', NSG_GET, '--queries', queries]);
    expect(result.code).toBe(0);
    expect(result.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([
      { access: 'Allow', decidedBy: [{ nsg: expect.stringContaining('/testnsg'), rule: 'AllowInternetOutBound', priority: 65001 }] },
      { error: "line 2: no NSG named 'nope' in the estate (1 loaded)" },
    ]);
  });

  it('exits 2 on a usage error', async () => {
    const result = await nsgwatch(['flow', NSG_GET, '--nsg', 'testnsg']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('nsgwatch flow: missing --direction, --protocol, --source, --destination');
  });
});
