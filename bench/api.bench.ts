/**
 * The HTTP API over real HTTP on loopback, with the findings store on an in-memory Azurite: a page
 * of 500 findings out of 1,000, one finding with its history, the dashboard's summary, 400 flow
 * questions (about what a 64 KiB body holds) in one request over the sample estate; and local
 * mode's event-to-transition time (an Event Grid event POSTed to the webhook until the transition
 * is announced, with the 1 s coalescing window).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import type { Measurement } from './run.js';
import { startAzurite } from '../lib/local/azurite.js';
import { createCoalescer } from '../lib/azure/coalesce.js';
import { createFindingsStore } from '../lib/store/index.js';
import { fileSource } from '../lib/pipeline/file-source.js';
import { createApi, localAccess } from '../lib/api/index.js';
import { createEstateFlowChecker } from '../lib/api/flow-check.js';
import { createQueueScanStarter } from '../lib/api/scan.js';
import { startDevServer } from '../lib/dev/server.js';
import { createEventGridWebhook } from '../lib/dev/webhook.js';
import { startDevRuntime } from '../lib/dev/runtime.js';
import { copyEstate } from '../lib/dev/estate-files.js';
import { evaluateRules, ruleInfos } from '../lib/runtime/catalogue.js';
import { DEMO_SCRIPT, DEMO_TENANT } from '../lib/dev/script.js';
import { eventGridEvent } from '../lib/dev/events.js';
import { fingerprint, type Finding } from '../lib/verdicts/finding.js';

const SUB = '00000000-0000-4000-8000-0000000000ab';
const SAMPLE = path.resolve(process.cwd(), 'samples/estate');

function finding(i: number, ruleId: string): Finding {
  const resourceId = `/subscriptions/${SUB}/resourceGroups/rg-${i % 10}/providers/Microsoft.Network/networkSecurityGroups/nsg-${i}`;
  return {
    ruleId,
    severity: ruleId === 'NSG-012' ? 'info' : 'high',
    resourceId,
    resourceName: `nsg-${i}`,
    scope: '',
    fingerprint: fingerprint(ruleId, resourceId, ''),
    title: `${ruleId} title`,
    message: `nsg-${i}: ${ruleId}`,
    evidence: {
      witness: { direction: 'Inbound', protocol: 'Tcp', source: '203.0.113.9', sourcePort: 40000, destination: '10.0.0.4', destinationPort: 22 },
      decidedBy: [{ nsg: resourceId, nsgName: `nsg-${i}`, rule: 'allow-any', priority: 100, access: 'Allow' }],
      attachments: Array.from({ length: 5 }, (_, n) => `${resourceId}/nic-${n}`),
    },
    remediation: { az: `az network nsg rule delete -g rg -n allow-any --nsg-name nsg-${i}`, bicep: '' },
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function timedFetch(url: string, init?: RequestInit): Promise<number> {
  const start = performance.now();
  const response = await fetch(url, init);
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return performance.now() - start;
}

async function apiFigures(): Promise<Measurement[]> {
  const azurite = await startAzurite();
  try {
    const store = createFindingsStore({ connection: { kind: 'connectionString', connectionString: azurite.connectionString } });
    const read = Array.from({ length: 250 }, (_, i) => finding(i, 'NSG-001').resourceId.toLowerCase());
    const findings = Array.from({ length: 250 }, (_, i) => ['NSG-001', 'NSG-002', 'NSG-005', 'NSG-012'].map((r) => finding(i, r))).flat();
    await store.applyEvaluation({ read, findings, errors: [], unreadable: [], deleted: [] }, { operation: 'bench' });
    const source = fileSource({ directory: SAMPLE });
    const queue = new QueueClient(azurite.connectionString, 'bench-evaluate');
    const coalescer = createCoalescer({ table: TableClient.fromConnectionString(azurite.connectionString, 'benchpending', { allowInsecureConnection: true }), queue, delaySeconds: 60 });
    const api = createApi({ access: localAccess(), store, rules: ruleInfos, flow: createEstateFlowChecker(source), scan: createQueueScanStarter({ coalescer, subscriptions: () => source.subscriptions() }) });
    const webhook = createEventGridWebhook({ functionName: 'onResourceChange', deliver: () => Promise.resolve() });
    const server = await startDevServer({ api, webhook, port: 0 });
    try {
      const base = `${server.url}/api`;
      const pages: number[] = [];
      for (let i = 0; i < 10; i++) pages.push(await timedFetch(`${base}/findings?status=open&limit=500`));
      const list = (await (await fetch(`${base}/findings?limit=20`)).json()) as { items: { id: string }[] };
      const details: number[] = [];
      for (const item of list.items) details.push(await timedFetch(`${base}/findings/${encodeURIComponent(item.id)}`));
      const summaries: number[] = [];
      for (let i = 0; i < 5; i++) summaries.push(await timedFetch(`${base}/summary`));
      const queries = Array.from({ length: 400 }, (_, i) => ({
        nic: 'nic-vm-app-1',
        direction: 'inbound',
        protocol: 'Tcp',
        source: `203.0.${(i >> 8) & 255}.${i & 255}`,
        sourcePort: 40000,
        destination: '10.1.2.4',
        destinationPort: [22, 8080, 3389, 443][i % 4],
      }));
      const flows: number[] = [];
      for (let i = 0; i < 3; i++) {
        flows.push(await timedFetch(`${base}/flow`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ queries }) }));
      }
      const page = median(pages);
      const detail = median(details);
      const summary = median(summaries);
      const flow = median(flows);
      return [
        { name: 'GET /api/findings, 500 of 1,000 open (median of 10)', value: page, unit: 'ms', target: '≤ 250 ms', ok: page <= 250 },
        { name: 'GET /api/findings/{id} with history (median of 20)', value: detail, unit: 'ms', target: '≤ 50 ms', ok: detail <= 50 },
        { name: 'GET /api/summary over 1,000 open findings (median of 5)', value: summary, unit: 'ms', target: '≤ 1000 ms', ok: summary <= 1000 },
        { name: 'POST /api/flow, 400 NIC queries in one body (median of 3)', value: flow, unit: 'ms', target: '≤ 1000 ms', ok: flow <= 1000 },
      ];
    } finally {
      await server.close();
    }
  } finally {
    await azurite.stop();
  }
}

/** Local mode: the first scripted change, from the webhook POST to the transition being announced. */
async function eventToTransition(): Promise<Measurement[]> {
  const scratch = await mkdtemp(path.join(tmpdir(), 'nsgwatch-bench-'));
  const lines: { at: number; text: string }[] = [];
  await copyEstate(SAMPLE, path.join(scratch, 'estate'));
  const runtime = await startDevRuntime({
    estateDir: path.join(scratch, 'estate'),
    port: 0,
    evaluate: evaluateRules,
    rules: ruleInfos,
    print: (text) => void lines.push({ at: performance.now(), text }),
  }).catch(async (error: unknown) => {
    await rm(scratch, { recursive: true, force: true });
    throw error;
  });
  try {
    await runtime.sweep();
    const step = DEMO_SCRIPT[0];
    if (!step) throw new Error('the demo script is empty');
    const changes = await step.apply(path.join(scratch, 'estate'));
    const events = changes.map((c) => eventGridEvent({ resourceId: c.resourceId, operation: c.operation, actor: step.actor, tenantId: DEMO_TENANT, time: new Date() }));
    const start = performance.now();
    const response = await fetch(`${runtime.url}/runtime/webhooks/eventgrid?functionName=onResourceChange`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
      body: JSON.stringify(events),
    });
    if (!response.ok) throw new Error(`webhook answered ${response.status}`);
    await runtime.waitForIdle();
    const announced = lines.find((l) => l.at >= start && /OPENED\s+high\s+NSG-002/.test(l.text));
    if (!announced) throw new Error('the transition was not announced');
    const ms = announced.at - start;
    return [{ name: 'local mode: event POST → transition announced (1 s window)', value: ms, unit: 'ms', target: '≤ 3000 ms', ok: ms <= 3000 }];
  } finally {
    await runtime.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

export async function run(): Promise<Measurement[]> {
  return [...(await apiFigures()), ...(await eventToTransition())];
}
