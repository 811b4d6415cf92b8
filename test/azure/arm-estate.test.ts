import { describe, expect, it } from 'vitest';
import { createArmReader } from '../../lib/azure/arm.js';
import { loadEstate } from '../../lib/estate/index.js';
import {
  cassetteResources,
  createArmEstate,
  createArmTransport,
  createVirtualClock,
  serveEstate,
  testCredential,
} from '../support/arm-transport.js';
import { syntheticEstate } from '../support/arm-estate.js';

/** What the SDK hands over feeds the same estate model as the file loaders, losing nothing. */
describe('inventory read through the SDK → estate model', () => {
  function harness() {
    const clock = createVirtualClock();
    const transport = createArmTransport({ clock });
    return { transport, reader: createArmReader({ credential: testCredential(), httpClient: transport, clock }) };
  }

  it('the synthetic estate loads whole: every VNet, subnet, peering, NSG, NIC, NAT gateway, Bastion host and ASG', async () => {
    const estate = syntheticEstate({ nsgs: 60, vnets: 6, nics: 90, seed: 5 });
    const { reader, transport } = harness();
    serveEstate(transport, createArmEstate(estate.resources), { pageSize: 25 });

    const inventory = await reader.readInventory(estate.subscriptionId);
    const loaded = loadEstate([{ source: `arm:${estate.subscriptionId}`, json: inventory.resources }]);

    expect(inventory.failures).toEqual([]);
    expect(loaded.errors).toEqual([]);
    expect(loaded.networkSecurityGroups.size).toBe(estate.counts['networkSecurityGroups']);
    expect(loaded.virtualNetworks.size).toBe(estate.counts['virtualNetworks']);
    expect(loaded.subnets.size).toBe(estate.counts['subnets']);
    expect(loaded.networkInterfaces.size).toBe(estate.counts['networkInterfaces']);
    expect(loaded.natGateways.size).toBe(estate.counts['natGateways']);
    expect(loaded.bastionHosts.size).toBe(estate.counts['bastionHosts']);
    expect(loaded.applicationSecurityGroups.size).toBe(estate.counts['applicationSecurityGroups']);
    expect(loaded.peerings.size).toBe(2 * (estate.counts['virtualNetworks'] ?? 0) - 2);
  });

  it('the 43 recorded NSGs of a real subscription load without an error', async () => {
    const recorded = cassetteResources('NetworkSecurityGroupTest.test_cidr_and_ingress_no_match.json', 'Microsoft.Network/networkSecurityGroups');
    const subscriptionId = String(recorded[0]?.['id']).split('/')[2] ?? '';
    const { reader, transport } = harness();
    serveEstate(transport, createArmEstate(recorded), { pageSize: 10 });

    const inventory = await reader.readInventory(subscriptionId);
    const loaded = loadEstate([{ source: `arm:${subscriptionId}`, json: inventory.resources }]);

    expect(loaded.errors).toEqual([]);
    expect(loaded.networkSecurityGroups.size).toBe(43);
  });
});
