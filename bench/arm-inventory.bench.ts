/**
 * The ARM read path at the scale of the sweep target: the full inventory of a 2,000-NSG /
 * 10,000-NIC subscription read through the real NetworkManagementClient (paging, deserialising,
 * read policy, budget) over a zero-latency test transport, and targeted scope reads of NSGs.
 */
import type { Measurement } from './run.js';
import { createArmReader } from '../lib/azure/arm.js';
import { createReadBudgets } from '../lib/azure/budget.js';
import { createArmEstate, createArmTransport, serveEstate, testCredential } from '../test/support/arm-transport.js';
import { syntheticEstate } from '../test/support/arm-estate.js';

export async function run(): Promise<Measurement[]> {
  const estate = syntheticEstate({ nsgs: 2_000, vnets: 200, nics: 10_000, seed: 1 });
  const transport = createArmTransport();
  serveEstate(transport, createArmEstate(estate.resources), { pageSize: 100 });
  // ARM's own numbers; a bucket of its own so the figures do not depend on other benchmarks.
  const budgets = createReadBudgets({ capacity: 250, refillPerSecond: 25, sweepReserve: 100 });
  const reader = createArmReader({ credential: testCredential(), httpClient: transport, budgets });

  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 20);
  const started = performance.now();
  const inventory = await reader.readInventory(estate.subscriptionId);
  const sweepMs = performance.now() - started;
  clearInterval(sampler);
  const heapAfter = process.memoryUsage().heapUsed;
  if (inventory.failures.length > 0 || inventory.resources.length !== estate.resources.length) {
    throw new Error(`inventory incomplete: ${inventory.resources.length}/${estate.resources.length}, ${inventory.failures.length} failures`);
  }

  // Scope reads on a bucket too large to wait on: what a read costs here, not ARM's pacing.
  const unthrottled = createArmReader({
    credential: testCredential(),
    httpClient: transport,
    budgets: createReadBudgets({ capacity: 1e9, refillPerSecond: 1e9, sweepReserve: 0 }),
  });
  const nsgIds = estate.resources.filter((r) => r['type'] === 'Microsoft.Network/networkSecurityGroups').map((r) => String(r['id']));
  const scopeMs: number[] = [];
  let scopeReads = 0;
  for (let i = 0; i < 200; i += 1) {
    const t0 = performance.now();
    const scope = await unthrottled.readScopeResources([nsgIds[(i * 9) % nsgIds.length] as string], { maxDepth: 3 });
    scopeMs.push(performance.now() - t0);
    scopeReads += scope.reads;
  }
  scopeMs.sort((a, b) => a - b);
  const p95 = scopeMs[Math.floor(scopeMs.length * 0.95)] ?? 0;

  return [
    { name: 'inventory 2,000 NSGs / 10,000 NICs through the SDK: time', value: sweepMs, unit: 'ms', target: '≤ 60000 ms', ok: sweepMs <= 60_000 },
    { name: 'inventory: ARM requests (100 per page)', value: inventory.reads, unit: 'requests' },
    { name: 'inventory: heap held by the result', value: (heapAfter - heapBefore) / 2 ** 20, unit: 'MiB' },
    { name: 'inventory: peak RSS', value: peakRss / 2 ** 20, unit: 'MiB', target: '≤ 1024 MiB', ok: peakRss <= 2 ** 30 },
    { name: 'scope read of one NSG (depth 3, budget not limiting), p95', value: p95, unit: 'ms' },
    { name: 'scope read of one NSG (depth 3), mean ARM requests', value: scopeReads / scopeMs.length, unit: 'requests' },
  ];
}
