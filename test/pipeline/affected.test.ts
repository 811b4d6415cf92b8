import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadEstateFiles } from '../../lib/local/files.js';
import type { Estate } from '../../lib/estate/model.js';
import { affectedResources } from '../../lib/pipeline/affected.js';
import type { ScopeKind } from '../../lib/azure/scopes.js';
import { readdirSync } from 'node:fs';

const SUB = '0b5e7a1c-9d2f-4e6b-8a3c-1f2d3e4c5b6a';
const NET = `/subscriptions/${SUB}/resourcegroups/rg-nsgwatch-demo/providers/microsoft.network`;
const dir = join(process.cwd(), 'samples', 'estate');

async function sample(): Promise<Estate> {
  const loaded = await loadEstateFiles(readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => join(dir, f)));
  if (!loaded.ok) throw new Error(loaded.problems.map((p) => p.message).join('; '));
  return loaded.estate;
}

const names = (ids: Set<string>): string[] => [...ids].map((id) => id.split('/').at(-1) ?? id).sort();

describe('affectedResources on the sample estate', () => {
  const cases: { kind: ScopeKind; id: string; expected: string[]; deleted?: boolean }[] = [
    // The NSG, its subnet, the subnet's NICs and the NIC's own NSG (the other layer).
    { kind: 'nsg', id: `${NET}/networksecuritygroups/nsg-app`, expected: ['nic-vm-app-1', 'nsg-app', 'nsg-vm-app', 'snet-app'] },
    // A NIC NSG: the NIC, its subnet and the subnet's NSG.
    { kind: 'nsg', id: `${NET}/networksecuritygroups/nsg-vm-app`, expected: ['nic-vm-app-1', 'nsg-app', 'nsg-vm-app', 'snet-app'] },
    // A subnet with no NSG behind the NAT gateway, plus the NSG attached to nothing.
    { kind: 'subnet', id: `${NET}/virtualnetworks/vnet-spoke-data/subnets/snet-batch`, expected: ['nic-vm-batch-1', 'nsg-orphan', 'snet-batch'] },
    { kind: 'natGateway', id: `${NET}/natgateways/natgw-data`, expected: ['nic-vm-batch-1', 'nsg-egress', 'snet-batch', 'snet-egress'] },
    { kind: 'asg', id: `${NET}/applicationsecuritygroups/asg-web`, expected: ['nic-vm-app-1', 'nic-vm-web-1', 'nic-vm-web-2', 'nsg-app', 'nsg-vm-app', 'nsg-web', 'snet-app', 'snet-web'] },
    { kind: 'nsg', id: `${NET}/networksecuritygroups/nsg-gone`, expected: ['nsg-gone'], deleted: true },
  ];
  it.each(cases)('$kind $id', async ({ kind, id, expected, deleted }) => {
    const result = affectedResources(await sample(), { kind, id, subscriptionId: SUB });
    expect(names(result.resources)).toEqual(expected);
    expect(result.scopeDeleted).toBe(deleted ?? false);
  });

  it('a Bastion host reaches every subnet of its VNet and of the VNets peered with it', async () => {
    const result = affectedResources(await sample(), { kind: 'bastionHost', id: `${NET}/bastionhosts/bas-hub`, subscriptionId: SUB });
    for (const subnet of ['azurebastionsubnet', 'snet-shared', 'snet-web', 'snet-app', 'snet-db', 'snet-egress', 'snet-batch']) {
      expect(names(result.resources)).toContain(subnet);
    }
  });

  it('a subscription scope covers every NSG, subnet and NIC of that subscription only', async () => {
    const estate = await sample();
    const all = affectedResources(estate, { kind: 'subscription', id: `/subscriptions/${SUB}`, subscriptionId: SUB });
    expect(all.resources.size).toBe(estate.networkSecurityGroups.size + estate.subnets.size + estate.networkInterfaces.size);
    const other = affectedResources(estate, { kind: 'subscription', id: '/subscriptions/other', subscriptionId: 'other' });
    expect(other.resources.size).toBe(0);
  });
});
