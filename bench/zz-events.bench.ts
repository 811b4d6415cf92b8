/**
 * The pipeline at the scale, over the real NetworkManagementClient (zero-latency test
 * transport) and Azurite: the full sweep of a 2,000-NSG / 10,000-NIC subscription, and the cost of
 * one event from delivery to findings stored.
 */
import { QueueClient } from '@azure/storage-queue';
import { TableClient } from '@azure/data-tables';
import type { Measurement } from './run.js';
import { createAlerter } from '../lib/alerts/index.js';
import { createArmReader } from '../lib/azure/arm.js';
import { armSource } from '../lib/azure/arm-source.js';
import { createReadBudgets } from '../lib/azure/budget.js';
import { createCoalescer } from '../lib/azure/coalesce.js';
import { QUEUES, TABLES } from '../lib/config/names.js';
import { eventGridEvent } from '../lib/dev/events.js';
import { evaluateRules } from '../lib/runtime/catalogue.js';
import { startAzurite } from '../lib/local/azurite.js';
import { handleEvaluateMessage, handleResourceEvents, type Runtime } from '../lib/pipeline/handlers.js';
import { createPipeline } from '../lib/pipeline/pipeline.js';
import { createFindingsStore } from '../lib/store/index.js';
import { createArmEstate, createArmTransport, serveEstate, testCredential } from '../test/support/arm-transport.js';
import { syntheticEstate } from '../test/support/arm-estate.js';

const actor = { name: 'Bench', upn: 'bench@contoso.example', objectId: '00000000-0000-0000-0000-000000000001' };

async function runtimeFor(size: { nsgs: number; vnets: number; nics: number }, connectionString: string, prefix: string) {
  const estate = syntheticEstate({ ...size, seed: 7 });
  const transport = createArmTransport();
  serveEstate(transport, createArmEstate(estate.resources), { pageSize: 100, immutable: true });
  const reader = createArmReader({
    credential: testCredential(),
    httpClient: transport,
    // Cost of the work here, not ARM's pacing (the read budget is measured in the ARM benchmark).
    budgets: createReadBudgets({ capacity: 1e9, refillPerSecond: 1e9, sweepReserve: 0 }),
  });
  const store = createFindingsStore({ connection: { kind: 'connectionString', connectionString }, tables: { findings: `${prefix}Findings`, suppressions: `${prefix}Suppressions` } });
  await store.ensureTables();
  const table = TableClient.fromConnectionString(connectionString, `${prefix}${TABLES.pending}`, { allowInsecureConnection: true });
  const queue = new QueueClient(connectionString, `${prefix.toLowerCase()}-${QUEUES.evaluate}`);
  const coalescer = createCoalescer({ table, queue, delaySeconds: 0 });
  await coalescer.ensureResources();
  const alerter = createAlerter({ sinks: [] });
  const source = armSource({ reader, subscriptions: [estate.subscriptionId] });
  const timedStore = { ...store, applyEvaluation: async (...args: Parameters<typeof store.applyEvaluation>) => { const t = performance.now(); try { return await store.applyEvaluation(...args); } finally { (globalThis as any).storeMs = performance.now() - t; } } };
  const timedEvaluate: typeof evaluateRules = (e, o) => { const t = performance.now(); try { return evaluateRules(e, o); } finally { (globalThis as any).rulesMs = performance.now() - t; } };
  const pipeline = createPipeline({ source, store: timedStore, alerter, evaluate: timedEvaluate });
  const rt: Runtime = { pipeline, coalescer, store, alerter, log: () => undefined };
  return { estate, rt, queue };
}

export async function run(): Promise<Measurement[]> {
  const azurite = await startAzurite();
  try {
    const out: Measurement[] = [];

    // One event, delivery to findings stored, on subscriptions of two sizes.
    for (const size of [
      { nsgs: 20, vnets: 4, nics: 100 },
      { nsgs: 200, vnets: 20, nics: 1_000 },
    ]) {
      const { estate, rt, queue } = await runtimeFor(size, azurite.connectionString, `ev${size.nsgs}`);
      await rt.pipeline.sweep();
      const idsOf = (type: string): string[] => estate.resources.filter((r) => r['type'] === type).map((r) => String(r['id']));
      const nsgIds = idsOf('Microsoft.Network/networkSecurityGroups');
      const nicIds = idsOf('Microsoft.Network/networkInterfaces');
      const changes: { label: string; resourceId: (i: number) => string }[] = [
        // The commonest change: a rule written to an NSG.
        { label: 'rule write', resourceId: (i) => `${nsgIds[i % nsgIds.length] ?? ''}/securityRules/allow-https` },
        // A NIC written (a VM created or moved): its NSGs, its subnet's, and the NSGs attached to nothing.
        { label: 'NIC write', resourceId: (i) => nicIds[(i * 7) % nicIds.length] ?? '' },
      ];
      for (const change of changes) {
        const times: number[] = [];
        for (let i = 0; i < 210; i++) {
          const event = eventGridEvent({ resourceId: change.resourceId(i), operation: 'write', actor, tenantId: actor.objectId, time: new Date() });
          const t0 = performance.now();
          await handleResourceEvents(event, rt);
          const tA = performance.now();
          const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 1 });
          const tB = performance.now();
          const message = receivedMessageItems[0];
          if (!message) throw new Error('no evaluation message');
          const body = JSON.parse(Buffer.from(message.messageText, 'base64').toString('utf8')) as unknown;
          const handled = await handleEvaluateMessage(body, { id: message.messageId, dequeueCount: 1 }, rt, { maxDequeueCount: 5 });
          const tC = performance.now();
          await queue.deleteMessage(message.messageId, message.popReceipt);
          const g = globalThis as any;
          if (false) console.log(change.label, size.nsgs, `enqueue=${(tA - t0).toFixed(1)} receive=${(tB - tA).toFixed(1)} evaluate=${(tC - tB).toFixed(1)} (pipeline ${handled.status === 'evaluated' ? handled.outcome?.durationMs : '?'} store=${g.storeMs?.toFixed(1)} rules=${g.rulesMs?.toFixed(1)}) delete=${(performance.now() - tC).toFixed(1)}`);
          if (handled.status !== 'evaluated') throw new Error(`not evaluated: ${handled.status}`);
          if (i >= 10) times.push(performance.now() - t0); // the first few warm the JIT and connections
        }
        times.sort((a, b) => a - b);
        const p95 = times[Math.floor(times.length * 0.95)] ?? 0;
        const p50 = times[Math.floor(times.length * 0.5)] ?? 0;
        const label = `${change.label}, ${size.nsgs} NSGs / ${size.nics} NICs`;
        out.push(
          { name: `event → findings stored, ${label}: p50`, value: p50, unit: 'ms' },
          { name: `event → findings stored, ${label}: p95`, value: p95, unit: 'ms', target: '≤ 50 ms', ok: p95 <= 50 },
        );
      }
    }
    return out;
  } finally {
    await azurite.stop();
  }
}
