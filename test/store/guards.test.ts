/** The guard memory on Azurite: what subnets and NICs were last judged with, and when it is complete. */
import { describe, expect, it } from 'vitest';
import { useAzurite } from '../support/azurite.js';
import { createFindingsStore, type FindingsStore, type GuardRecord } from '../../lib/store/index.js';
import { evaluation, freshTables, makeFinding, nsgId, steppingClock, SUB_A, SUB_B } from './support.js';

const azurite = useAzurite();

function newStore(label: string): FindingsStore {
  return createFindingsStore({
    connection: { kind: 'connectionString', connectionString: azurite.connectionString },
    tables: freshTables(label),
    now: steppingClock('2025-03-01T00:00:00.000Z').now,
    retry: { maxRetries: 1, retryDelayInMs: 10, maxRetryDelayInMs: 20 },
  });
}

const NET = `/subscriptions/${SUB_A}/resourceGroups/RG-Net/providers/Microsoft.Network`;
const vnet = (name: string): string => `${NET}/virtualNetworks/${name}`;
const subnet = (v: string, name: string): string => `${vnet(v)}/subnets/${name}`;
const nic = (name: string): string => `${NET}/networkInterfaces/${name}`;
const key = (id: string): string => id.toLowerCase();

/** A subnet's or NIC's record: its NSG ('' for none) and, for a NIC, its ASG memberships. */
const guard = (nsg: string, asgs = ''): GuardRecord => ({ nsg: nsg === '' ? '' : key(nsg), asgs });

describe('guard memory', () => {
  it('recalls what was recorded, by id and by virtual network, and forgets what is gone', async () => {
    const store = newStore('guards');
    const membership = `${key(`${NET}/applicationSecurityGroups/asg-web`)}|10.0.1.4`;
    await store.rememberGuards(
      SUB_A,
      new Map([
        [key(subnet('hub', 'web')), guard(nsgId('nsg-web'))],
        [key(subnet('hub', 'db')), guard('')],
        [key(subnet('hub2', 'app')), guard(nsgId('nsg-app'))],
        [key(nic('vm1')), guard(nsgId('nsg-vm1'), membership)],
      ]),
    );

    const byVnet = await store.recallGuards({ subscriptionId: SUB_A, underVirtualNetwork: key(vnet('hub')) });
    // 'hub2' shares the prefix 'hub' but is another network.
    expect(byVnet).toEqual({
      records: new Map([
        [key(subnet('hub', 'db')), guard('')],
        [key(subnet('hub', 'web')), guard(nsgId('nsg-web'))],
      ]),
      complete: false,
    });
    const byId = await store.recallGuards({ subscriptionId: SUB_A, resources: [nic('vm1'), nic('vm2')] });
    expect(byId.records).toEqual(new Map([[key(nic('vm1')), guard(nsgId('nsg-vm1'), membership)]]));

    // Forgetting a resource twice (a redelivered evaluation) is harmless.
    for (let i = 0; i < 2; i++) await store.rememberGuards(SUB_A, new Map([[key(nic('vm1')), undefined], [key(nic('vm3')), guard('')]]));
    expect((await store.recallGuards({ subscriptionId: SUB_A, resources: [nic('vm1'), nic('vm3')] })).records).toEqual(new Map([[key(nic('vm3')), guard('')]]));
  });

  it('is complete after a sweep, which also drops the rows of resources it did not see', async () => {
    const store = newStore('guardsweep');
    await store.rememberGuards(SUB_A, new Map([[key(nic('old')), guard(nsgId('nsg-old'))]]));
    expect((await store.recallGuards({ subscriptionId: SUB_A, resources: [nic('old')] })).complete).toBe(false);

    await store.rememberGuards(SUB_A, new Map([[key(nic('vm1')), guard('')], [key(subnet('hub', 'web')), guard(nsgId('nsg-web'))]]), { sweep: true });

    const recalled = await store.recallGuards({ subscriptionId: SUB_A, resources: [nic('old'), nic('vm1')] });
    expect(recalled).toEqual({ records: new Map([[key(nic('vm1')), guard('')]]), complete: true });
    // Completeness is per subscription.
    expect((await store.recallGuards({ subscriptionId: SUB_B, resources: [] })).complete).toBe(false);
  });

  it('lives beside the findings without showing up among them', async () => {
    const store = newStore('guardsquiet');
    await store.applyEvaluation(evaluation({ read: [nsgId('nsg-web')], findings: [makeFinding('NSG-002', nsgId('nsg-web'))] }));
    await store.rememberGuards(SUB_A, new Map([[key(subnet('hub', 'web')), guard(nsgId('nsg-web'))]]), { sweep: true });
    const page = await store.listFindings({ subscription: SUB_A });
    expect(page.items.map((f) => f.ruleId)).toEqual(['NSG-002']);
    expect(await store.listHistory({})).toHaveLength(1);
  });
});
