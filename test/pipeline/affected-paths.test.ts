/** A public IP or load balancer change reaches the attachment points it gives a public path (DESIGN §7). */
import { describe, expect, it } from 'vitest';
import { loadEstate } from '../../lib/estate/load.js';
import { affectedResources } from '../../lib/pipeline/affected.js';
import { scopesForChange } from '../../lib/azure/scopes.js';
import { ids, loadBalancer, nic, nsg, publicIp, scaleSet, vnet } from '../rules/fixtures/build.js';

const estate = loadEstate([
  {
    source: 'x',
    json: [
      vnet('vnet-app', ['10.0.0.0/16'], [{ name: 'snet-app', prefix: '10.0.1.0/24', nsg: 'nsg-subnet' }, { name: 'snet-pool', prefix: '10.0.2.0/24' }]),
      nsg('nsg-subnet'),
      nsg('nsg-pool'),
      nsg('nsg-other'),
      nic('nic-web', { vnet: 'vnet-app', subnet: 'snet-app', ip: '10.0.1.4', publicIp: 'pip-web' }),
      nic('nic-lb', { vnet: 'vnet-app', subnet: 'snet-app', ip: '10.0.1.5', natRules: [{ lb: 'lb-web', rule: 'ssh' }] }),
      nic('nic-alone', { vnet: 'vnet-app', subnet: 'snet-app', ip: '10.0.1.6', nsg: 'nsg-other' }),
      scaleSet('vmss-pool', { vnet: 'vnet-app', subnet: 'snet-pool', nsg: 'nsg-pool', natPools: [{ lb: 'lb-web', pool: 'ssh-pool' }] }),
      loadBalancer('lb-web', { publicIp: 'pip-lb', natRules: [{ name: 'ssh', frontendPort: 50001, backendPort: 22 }], natPools: [{ name: 'ssh-pool', from: 50100, to: 50199, backendPort: 22 }] }),
      publicIp('pip-web', '20.1.2.3'),
      publicIp('pip-lb', '20.1.2.5'),
    ],
  },
]);

const scopeOf = (id: string, type: string) => {
  const result = scopesForChange({ resourceId: id, resourceType: type });
  if (!result.ok || !result.scopes[0]) throw new Error('no scope');
  return result.scopes[0];
};
const names = (keys: Set<string>) => [...keys].map((k) => k.split('/').pop()).sort();

describe('affected resources of a public path change', () => {
  it('a public IP on a NIC: the NIC and the NSGs composed there', () => {
    const affected = affectedResources(estate, scopeOf(ids.publicIp('pip-web'), 'Microsoft.Network/publicIPAddresses'));
    expect(names(affected.resources)).toEqual(['nic-web', 'nsg-subnet', 'snet-app']);
  });

  it('a load balancer (or its NAT rule): the NICs and scale sets it sends traffic to, with their NSGs', () => {
    for (const [id, type] of [
      [ids.lb('lb-web'), 'Microsoft.Network/loadBalancers'],
      [`${ids.lb('lb-web')}/inboundNatRules/ssh`, 'Microsoft.Network/loadBalancers/inboundNatRules'],
    ] as const) {
      const affected = affectedResources(estate, scopeOf(id, type));
      expect(names(affected.resources)).toEqual(['nic-lb', 'nsg-pool', 'nsg-subnet', 'snet-app', 'snet-pool', 'vmss-pool']);
    }
  });

  it('the public IP of a load balancer frontend reaches what the load balancer reaches', () => {
    const affected = affectedResources(estate, scopeOf(ids.publicIp('pip-lb'), 'Microsoft.Network/publicIPAddresses'));
    expect(names(affected.resources)).toContain('nic-lb');
    expect(names(affected.resources)).toContain('vmss-pool');
  });

  it('a scale set (or one of its instances): its instance NICs, its profile\'s NSG and subnet', () => {
    const vmss = ids.scaleSet('aks-pool');
    const withInstances = loadEstate([
      {
        source: 'y',
        json: [
          vnet('vnet-aks', ['10.224.0.0/12'], [{ name: 'nodes', prefix: '10.224.0.0/16', nsg: 'nsg-nodes' }]),
          nsg('nsg-nodes'),
          nsg('nsg-pool'),
          scaleSet('aks-pool', { vnet: 'vnet-aks', subnet: 'nodes', nsg: 'nsg-pool' }),
          {
            id: `${vmss}/virtualMachines/0/networkInterfaces/nic0`,
            properties: { networkSecurityGroup: { id: ids.nsg('nsg-pool') }, ipConfigurations: [{ name: 'ipconfig1', properties: { privateIPAddress: '10.224.0.4', subnet: { id: ids.subnet('vnet-aks', 'nodes') } } }] },
          },
        ],
      },
    ]);
    for (const [id, type] of [
      [vmss, 'Microsoft.Compute/virtualMachineScaleSets'],
      [`${vmss}/virtualMachines/0`, 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines'],
    ] as const) {
      const affected = affectedResources(withInstances, scopeOf(id, type));
      expect(names(affected.resources)).toEqual(['aks-pool', 'nic0', 'nodes', 'nsg-nodes', 'nsg-pool']);
      expect(affected.scopeDeleted).toBe(false);
    }
  });
});
