import { describe, expect, it } from 'vitest';
import { createArmReader } from '../../lib/azure/arm.js';
import { createReadBudgets, type ReadBudgetConfig } from '../../lib/azure/budget.js';
import {
  createArmEstate,
  createArmTransport,
  createVirtualClock,
  serveEstate,
  testCredential,
} from '../support/arm-transport.js';
import { syntheticEstate } from '../support/arm-estate.js';

describe('the ARM read budget through the SDK', () => {
  it('a sweep in progress does not starve event reads, and stays within the bucket', async () => {
    const config: ReadBudgetConfig = { capacity: 50, refillPerSecond: 10, sweepReserve: 20 };
    const clock = createVirtualClock(0);
    const transport = createArmTransport({ clock });
    const estate = syntheticEstate({ nsgs: 200, vnets: 4, nics: 120, seed: 3 });
    serveEstate(transport, createArmEstate(estate.resources), { pageSize: 2 });
    const budgets = createReadBudgets(config, clock);
    // Two readers (say, the timer's sweep and an event handler) share the process's buckets.
    const sweeper = createArmReader({ credential: testCredential(), httpClient: transport, clock, budgets, identity: 'mi' });
    const handler = createArmReader({ credential: testCredential(), httpClient: transport, clock, budgets, identity: 'mi' });
    const nsgs = estate.resources.filter((r) => r['type'] === 'Microsoft.Network/networkSecurityGroups');
    const nsgIds = nsgs.map((r) => String(r['id']));
    const subnetNsgIds = nsgs.filter((r) => (r['properties'] as { subnets?: unknown[] }).subnets?.length).map((r) => String(r['id']));

    let sweepDone = false;
    // The sweep: the inventory's six paged lists, and a re-read of every NSG eight at a time.
    const sweep = Promise.all([
      sweeper.readInventory(estate.subscriptionId),
      sweeper.readScopeResources(nsgIds, { lane: 'sweep', maxDepth: 0 }),
    ]).finally(() => {
      sweepDone = true;
    });
    // Every 2 s an event evaluates one NSG's scope: the NSG, its subnet's VNet, NICs, their NSGs.
    const eventDurations: number[] = [];
    let eventReads = 0;
    const events = (async () => {
      for (let i = 0; !sweepDone; i += 1) {
        await clock.sleep(2_000);
        const id = subnetNsgIds[(i * 7) % subnetNsgIds.length] as string;
        const started = clock.now();
        const scope = await handler.readScopeResources([id]);
        expect(scope.failures).toEqual([]);
        eventReads += scope.reads;
        eventDurations.push(clock.now() - started);
      }
    })();
    const [[inventory, reread]] = await Promise.all([sweep, events]);

    expect(inventory.failures).toEqual([]);
    expect(inventory.resources).toHaveLength(estate.resources.length);
    expect(reread.resources).toHaveLength(nsgIds.length);
    expect(eventDurations.length).toBeGreaterThan(5);
    expect(eventReads / eventDurations.length).toBeGreaterThan(3);
    // The reserve the sweep leaves covers each evaluation's reads: none waits behind the sweep.
    expect(Math.max(...eventDurations)).toBeLessThanOrEqual(100);
    // The sweep was paced by the bucket: no more requests by time t than capacity + refill × t.
    const sweepStart = transport.requests[0]?.at ?? 0;
    transport.requests.forEach((request, index) => {
      const seconds = (request.at - sweepStart) / 1000;
      expect(index + 1).toBeLessThanOrEqual(config.capacity + config.refillPerSecond * seconds + 1);
    });
    // And it took the time the budget implies, not less.
    const duration = (transport.requests.at(-1)?.at ?? 0) - sweepStart;
    expect(duration).toBeGreaterThanOrEqual(((transport.requests.length - config.capacity) / config.refillPerSecond) * 1000 - 100);
  });
});
