/**
 * Findings store and alerts on a local Azurite: a full sweep of 1,000 findings (open, unchanged,
 * resolved), the event path (one NSG re-evaluated among them), listing, and a 300-finding storm
 * published as digests. Azurite is in memory on loopback, so the figures are the store's own
 * overhead plus Azurite's, not Azure's network latency.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Measurement } from './run.js';
import { startAzurite } from '../lib/local/azurite.js';
import { LAST_SEEN_RESOLUTION_MS } from '../lib/store/lifecycle.js';
import { createFindingsStore } from '../lib/store/index.js';
import { createAlerter, createWebhookSink } from '../lib/alerts/index.js';
import { fingerprint, type EvaluationResult, type Finding } from '../lib/verdicts/finding.js';

const SUB = '00000000-0000-0000-0000-0000000000be';
const NSGS = 250;
const RULES = ['NSG-001', 'NSG-002', 'NSG-005', 'NSG-007'];

function nsg(i: number): string {
  return `/subscriptions/${SUB}/resourceGroups/rg-${i % 10}/providers/Microsoft.Network/networkSecurityGroups/nsg-${i}`;
}

function finding(i: number, ruleId: string): Finding {
  const resourceId = nsg(i);
  return {
    ruleId,
    severity: 'high',
    resourceId,
    resourceName: `nsg-${i}`,
    scope: '',
    fingerprint: fingerprint(ruleId, resourceId, ''),
    title: `${ruleId} on nsg-${i}`,
    message: `nsg-${i} lets the Internet in (${ruleId})`,
    evidence: {
      witness: { direction: 'Inbound', protocol: 'Tcp', source: '203.0.113.9', sourcePort: 40000, destination: '10.0.0.4', destinationPort: 22 },
      decidedBy: [{ nsg: resourceId, nsgName: `nsg-${i}`, rule: 'allow-any', priority: 100, access: 'Allow' }],
      attachments: Array.from({ length: 5 }, (_, n) => `${resourceId}/nic-${n}`),
    },
    remediation: { az: `az network nsg rule delete -g rg -n allow-any --nsg-name nsg-${i}`, bicep: '' },
  };
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

export async function run(): Promise<Measurement[]> {
  const azurite = await startAzurite();
  const hook = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('{}'));
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  try {
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const store = createFindingsStore({
      connection: { kind: 'connectionString', connectionString: azurite.connectionString },
      now: () => new Date((clock += 1)),
    });
    await store.ensureTables();
    const all = Array.from({ length: NSGS }, (_, i) => i);
    const sweep = (present: (i: number) => boolean): EvaluationResult => ({
      read: all.map(nsg),
      findings: all.filter(present).flatMap((i) => RULES.map((r) => finding(i, r))),
      errors: [],
      unreadable: [],
      deleted: [],
    });
    const count = NSGS * RULES.length;
    const out: Measurement[] = [];

    let opened = 0;
    const openMs = await timed(async () => (opened = (await store.applyEvaluation(sweep(() => true))).length));
    out.push({ name: `full sweep, ${count} findings opened (${opened})`, value: openMs, unit: 'ms' });
    const quietMs = await timed(() => store.applyEvaluation(sweep(() => true)));
    out.push({ name: `full sweep, ${count} findings unchanged, seen within 5 min (nothing written)`, value: quietMs, unit: 'ms' });
    clock += LAST_SEEN_RESOLUTION_MS;
    const sameMs = await timed(() => store.applyEvaluation(sweep(() => true)));
    out.push({ name: `full sweep, ${count} findings unchanged (lastSeen only)`, value: sameMs, unit: 'ms', target: '≤ 2000 ms', ok: sameMs <= 2000 });

    // The event path: one NSG re-read and re-judged while 1,000 findings are stored.
    const targeted: number[] = [];
    for (let k = 0; k < 20; k++) {
      const i = (k * 37) % NSGS;
      const present = k % 2 === 0 ? [] : RULES.map((r) => finding(i, r));
      targeted.push(await timed(() => store.applyEvaluation({ read: [nsg(i)], findings: present, errors: [], unreadable: [], deleted: [] })));
    }
    const targetedMs = median(targeted);
    out.push({ name: 'one NSG re-evaluated (4 transitions), median of 20', value: targetedMs, unit: 'ms', target: '≤ 100 ms', ok: targetedMs <= 100 });

    const listMs = median(await Promise.all(Array.from({ length: 5 }, () => timed(() => store.listFindings({ limit: 100, status: 'open' })))));
    out.push({ name: 'listFindings, first page of 100 open', value: listMs, unit: 'ms' });

    const resolveMs = await timed(() => store.applyEvaluation(sweep(() => false)));
    out.push({ name: `full sweep, ${count} findings resolved`, value: resolveMs, unit: 'ms' });

    const historyMs = await timed(() => store.listHistory());
    out.push({ name: 'listHistory, every transition (> 2,000 rows)', value: historyMs, unit: 'ms' });

    const alerter = createAlerter({ sinks: [createWebhookSink({ url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/` })] });
    const storm = await store.applyEvaluation(sweep((i) => i < 75));
    const publishMs = await timed(() => alerter.publish(storm));
    out.push({ name: `publish a storm of ${storm.length} transitions (one digest)`, value: publishMs, unit: 'ms', target: '≤ 100 ms', ok: publishMs <= 100 });
    return out;
  } finally {
    hook.close();
    await azurite.stop();
  }
}
