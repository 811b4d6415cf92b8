import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, nsgwatch } from '../support/built-cli.js';

const ROOT = process.cwd();
const NSG_GET = resolve(ROOT, '../shared/corpus/rest-api-examples/2021-02-01/NetworkSecurityGroupGet.json');
const dir = mkdtempSync(join(tmpdir(), 'nsgwatch-flow-built-'));

/** `npm test` builds first; a run of this file alone rebuilds when what it runs on is newer than dist/. */
beforeAll(() => ensureBuilt('dist/lib/cli/flow.js', ['lib/cli', 'lib/estate', 'lib/nsg', 'lib/rules']), 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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
