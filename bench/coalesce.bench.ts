/**
 * A deployment's burst of events against the coalescing guard and queue on Azurite: how many
 * evaluations 1,000 events on 10 NSGs cause, and what one event costs to coalesce.
 */
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { createCoalescer, type Coalescer } from '../lib/azure/coalesce.js';
import type { Scope } from '../lib/azure/scopes.js';
import { startAzurite } from '../lib/local/azurite.js';
import type { Measurement } from './run.js';

const SUBSCRIPTION = '5b0e1c9a-7d3f-4e2a-9b8c-1f2e3d4c5b6a';
const EVENTS = 1000;
const NSGS = 10;
/** Event Grid delivers to several Functions instances at once. */
const INSTANCES = 4;
const IN_FLIGHT = 40;

export async function run(): Promise<Measurement[]> {
  const azurite = await startAzurite();
  try {
    const clients = () => ({
      table: TableClient.fromConnectionString(azurite.connectionString, 'benchPending', { allowInsecureConnection: true }),
      queue: new QueueClient(azurite.connectionString, 'bench-evaluate'),
    });
    // A real window (10 s) outlasts the burst, as in production; the queue counts invisible messages too.
    const instances: Coalescer[] = Array.from({ length: INSTANCES }, () => createCoalescer({ ...clients(), delaySeconds: 10 }));
    await instances[0]?.ensureResources();
    const scopes: Scope[] = Array.from({ length: NSGS }, (_, i) => ({
      kind: 'nsg',
      id: `/subscriptions/${SUBSCRIPTION}/resourcegroups/app/providers/microsoft.network/networksecuritygroups/nsg-${i}`,
      subscriptionId: SUBSCRIPTION,
    }));
    const latencies: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async (_, worker) => {
        while (next < EVENTS) {
          const n = next++;
          const t0 = performance.now();
          await (instances[worker % INSTANCES] as Coalescer).enqueueScope(scopes[n % NSGS] as Scope, {
            eventId: `event-${n}`,
            correlationId: `deployment-${Math.floor(n / 100)}`,
            operationName: 'Microsoft.Network/networkSecurityGroups/securityRules/write',
            eventTime: new Date().toISOString(),
            resourceId: `${(scopes[n % NSGS] as Scope).id}/securityrules/rule-${n}`,
            changedBy: 'deployer@contoso.com',
          });
          latencies.push(performance.now() - t0);
        }
      }),
    );
    const elapsedMs = performance.now() - started;
    const evaluations = (await clients().queue.getProperties()).approximateMessagesCount ?? Number.NaN;
    latencies.sort((a, b) => a - b);
    const p95 = latencies[Math.floor(latencies.length * 0.95)] ?? Number.NaN;
    return [
      { name: `burst of ${EVENTS} events on ${NSGS} NSGs → evaluations`, value: evaluations, unit: 'evaluations', target: '≤ 20', ok: evaluations <= 20 },
      { name: `enqueue latency p95 (${INSTANCES} instances, ${IN_FLIGHT} in flight, Azurite)`, value: p95, unit: 'ms' },
      { name: `burst throughput`, value: (EVENTS / elapsedMs) * 1000, unit: 'events/s' },
    ];
  } finally {
    await azurite.stop();
  }
}
