import { describe, expect, it } from 'vitest';
import { createArmReader, type InventoryRead } from '../../lib/azure/arm.js';
import { normalizeId } from '../../lib/arm/index.js';
import {
  createArmEstate,
  createArmTransport,
  createVirtualClock,
  mulberry32,
  serveEstate,
  testCredential,
  type ArmFault,
} from '../support/arm-transport.js';
import { syntheticEstate } from '../support/arm-estate.js';

/** 429 with Retry-After, 5xx with and without, a hang (timeout), a reset connection. */
const FAULTS: ArmFault[] = [
  { kind: 'status', status: 429, headers: { 'retry-after': '1' } },
  { kind: 'status', status: 500 },
  { kind: 'status', status: 503 },
  { kind: 'hang' },
  { kind: 'network', code: 'ECONNRESET' },
];

const estate = syntheticEstate({ nsgs: 500, vnets: 40, nics: 1_000, seed: 7 });

function setup(seed: number, maxAttempts: number) {
  const clock = createVirtualClock();
  const transport = createArmTransport({ clock });
  serveEstate(transport, createArmEstate(estate.resources), { pageSize: 20 });
  transport.failRandomly({ rate: 0.2, seed, faults: FAULTS });
  const reader = createArmReader({
    credential: testCredential(),
    httpClient: transport,
    clock,
    random: mulberry32(seed + 1000),
    retry: { maxAttempts, attemptTimeoutMs: 10, baseDelayMs: 500 },
  });
  return { reader, transport };
}

/** Every served resource is read, or its type is reported incomplete; nothing extra, nothing twice. */
function expectNothingSilentlyMissing(inventory: InventoryRead): void {
  const readIds = inventory.resources.map((r) => normalizeId(String((r as { id: string }).id)));
  expect(new Set(readIds).size).toBe(readIds.length);
  const served = new Map(estate.resources.map((r) => [normalizeId(String(r['id'])), String(r['type'])]));
  for (const id of readIds) expect(served.has(id)).toBe(true);
  const incomplete = new Set(inventory.failures.map((f) => f.resourceType));
  const readSet = new Set(readIds);
  for (const [id, type] of served) {
    if (!readSet.has(id)) expect(incomplete, `${id} is neither read nor reported`).toContain(type);
  }
  for (const failure of inventory.failures) {
    expect(['throttled', 'server-error', 'timeout', 'network']).toContain(failure.cause);
    expect(failure.message).toMatch(/page\(s\)/);
  }
}

describe('20% of ARM calls fail (429, 5xx, timeouts, resets) on a 500-NSG estate', () => {
  const seeds = [1, 2, 3, 4, 5];

  it.each(seeds)('seed %i: the inventory completes through retries, every resource read', async (seed) => {
    const { reader, transport } = setup(seed, 6);

    const inventory = await reader.readInventory(estate.subscriptionId);

    expectNothingSilentlyMissing(inventory);
    expect(inventory.failures).toEqual([]);
    expect(inventory.resources).toHaveLength(estate.resources.length);
    expect(inventory.reads).toBe(transport.requests.length);
    expect(transport.requests.filter((r) => r.fault).length).toBeGreaterThan(0);
  });

  it('with only two attempts some lists fail: each is reported, and nothing is silently missing', async () => {
    let failures = 0;
    for (const seed of seeds) {
      const { reader } = setup(seed, 2);
      const inventory = await reader.readInventory(estate.subscriptionId);
      expectNothingSilentlyMissing(inventory);
      failures += inventory.failures.length;
    }
    // The seeds above do exercise the failure path.
    expect(failures).toBeGreaterThan(0);
  });

  it('targeted reads of all 500 NSGs: each is found or failed, none is taken as deleted', async () => {
    const { reader, transport } = setup(11, 3);
    const nsgIds = estate.resources.filter((r) => r['type'] === 'Microsoft.Network/networkSecurityGroups').map((r) => String(r['id']));

    const reads = [];
    for (let i = 0; i < nsgIds.length; i += 50) {
      reads.push(...(await Promise.all(nsgIds.slice(i, i + 50).map((id) => reader.readResource(id)))));
    }

    expect(reads).toHaveLength(500);
    const statuses = reads.map((r) => r.status);
    expect(statuses).not.toContain('deleted');
    const failed = reads.filter((r) => r.status === 'failed');
    expect(statuses.filter((s) => s === 'found').length + failed.length).toBe(500);
    for (const read of failed) {
      if (read.status === 'failed') expect(['throttled', 'server-error', 'timeout', 'network']).toContain(read.failure.cause);
    }
    // 3 attempts at 20% each: some reads do fail, and each failed read made exactly 3 requests.
    expect(failed.length).toBeGreaterThan(0);
    for (const read of failed) {
      expect(transport.requests.filter((r) => r.path.toLowerCase() === read.id.toLowerCase())).toHaveLength(3);
    }
  });

  it('scope reads under faults report failures and never invent deletions', async () => {
    const { reader } = setup(21, 2);
    const roots = estate.resources.filter((r) => r['type'] === 'Microsoft.Network/networkSecurityGroups').slice(0, 40);
    let failures = 0;
    for (const root of roots) {
      const scope = await reader.readScopeResources([String(root['id'])], { maxDepth: 2 });
      expect(scope.deleted).toEqual([]);
      failures += scope.failures.length;
    }
    expect(failures).toBeGreaterThan(0);
  });
});
