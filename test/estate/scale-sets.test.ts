/**
 * Scale sets, scale-set NICs, public IPs and load balancers: the REST examples of
 * ../shared/corpus parsed in place (their upstream quirks kept), and the relations they give.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadEstate, type EstateDocument } from '../../lib/estate/load.js';
import { guardsOfNetworkInterface, relateEstate, type NsgSlot } from '../../lib/estate/relations.js';
import { CORPUS, readJson } from './corpus.js';

const NETWORK = resolve(CORPUS, 'rest-api-examples/2024-07-01');
const COMPUTE = resolve(CORPUS, 'rest-api-examples/compute-2025-04-01');

function bodies(folder: string, file: string): EstateDocument[] {
  const example = readJson(resolve(folder, file)) as { responses: Record<string, { body?: unknown }> };
  return Object.entries(example.responses).flatMap(([status, r]) => (r.body === undefined ? [] : [{ source: `${file}#${status}`, json: r.body }]));
}

const slotName = (slot: NsgSlot) => (slot.state === 'present' ? slot.nsg.name : slot.state === 'missing' ? `missing:${slot.id.split('/').pop() ?? ''}` : slot.state);

describe('scale-set NICs from the REST examples', () => {
  it.each(['VmssVmNetworkInterfaceList.json', 'VmssNetworkInterfaceList.json', 'VmssNetworkInterfaceGet.json'])('%s loads as NICs of their scale set', (file) => {
    const estate = loadEstate(bodies(NETWORK, file));
    expect(estate.errors).toEqual([]);
    expect(estate.networkInterfaces.size).toBeGreaterThan(0);
    for (const nic of estate.networkInterfaces.values()) {
      expect(nic.scaleSet?.id).toMatch(/\/virtualMachineScaleSets\/[^/]+$/);
      expect(nic.ipConfigurations.length).toBeGreaterThan(0);
    }
    expect(estate.sources[0]?.ignoredTypes).toEqual({});
  });

  it('keeps the NSG, subnet, public IP, pool and NAT rule of an instance NIC', () => {
    const estate = loadEstate(bodies(NETWORK, 'VmssVmNetworkInterfaceList.json'));
    const [nic] = [...estate.networkInterfaces.values()];
    expect(nic?.networkSecurityGroup?.id).toMatch(/networkSecurityGroups\/nsg1$/);
    const config = nic?.ipConfigurations[0];
    expect(config?.privateIpAddresses).toEqual(['10.0.0.5']);
    expect(config?.subnet?.id).toMatch(/subnets\/subnet1$/);
    expect(config?.publicIpAddress?.id).toMatch(/ipConfigurations\/ip1\/publicIPAddresses\/pub1$/);
    expect(config?.loadBalancerBackendAddressPools.map((p) => p.id.split('/').pop())).toEqual(['addressPool1']);
    expect(config?.loadBalancerInboundNatRules.map((p) => p.id.split('/').pop())).toEqual(['natPool1.1']);
  });

  it('reads az vmss nic list output (type says networkInterfaces, the id lies under the scale set)', () => {
    const nicId = '/subscriptions/s/resourceGroups/mc_rg/providers/Microsoft.Compute/virtualMachineScaleSets/aks-pool1-123-vmss/virtualMachines/0/networkInterfaces/aks-pool1-123-vmss';
    const estate = loadEstate([
      {
        source: 'az-vmss-nic-list.json',
        json: [
          {
            id: nicId,
            name: 'aks-pool1-123-vmss',
            type: 'Microsoft.Network/networkInterfaces',
            networkSecurityGroup: { id: '/subscriptions/s/resourceGroups/mc_rg/providers/Microsoft.Network/networkSecurityGroups/aks-agentpool-nsg' },
            ipConfigurations: [{ id: `${nicId}/ipConfigurations/ipconfig1`, name: 'ipconfig1', privateIPAddress: '10.224.0.4', subnet: { id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/nodes' } }],
          },
        ],
      },
    ]);
    expect(estate.errors).toEqual([]);
    expect([...estate.networkInterfaces.values()].map((n) => n.scaleSet?.id.split('/').pop())).toEqual(['aks-pool1-123-vmss']);
  });
});

describe('scale sets from the compute REST examples', () => {
  it.each(['VirtualMachineScaleSet_Get_WithUserData.json', 'VirtualMachineScaleSet_Get_AutoPlacedOnDedicatedHostGroup.json'])('%s: the profile names NSG and subnet', (file) => {
    const estate = loadEstate(bodies(COMPUTE, file));
    expect(estate.errors).toEqual([]);
    const [scaleSet] = [...estate.scaleSets.values()];
    expect(scaleSet?.capacity).toBe(4);
    const config = scaleSet?.networkInterfaceConfigurations[0];
    expect(config?.networkSecurityGroup?.id).toMatch(/networkSecurityGroups\/myNetworkSecurityGroup$/);
    expect(config?.ipConfigurations[0]?.subnet?.id).toMatch(/subnets\/mySubnet$/);
  });

  it('the minimal list loads; the generated one reports its bad fields and goes on', () => {
    const minimal = loadEstate(bodies(COMPUTE, 'VirtualMachineScaleSet_List_MinimumSet_Gen.json'));
    expect(minimal.errors).toEqual([]);
    const generated = loadEstate(bodies(COMPUTE, 'VirtualMachineScaleSet_List_MaximumSet_Gen.json'));
    for (const error of generated.errors) {
      expect(error.resourceId).not.toBe('');
      expect(error.field).not.toBe('');
    }
  });
});

describe('public IPs and load balancers from the REST examples', () => {
  it.each([
    'PublicIpAddressCreateCustomizedValues.json',
    'PublicIpAddressCreateDefaults.json',
    'PublicIpAddressGet.json',
    'PublicIpAddressListAll.json',
  ])('%s loads', (file) => {
    const estate = loadEstate(bodies(NETWORK, file));
    expect(estate.errors).toEqual([]);
    expect(estate.publicIpAddresses.size).toBeGreaterThan(0);
  });

  it('reads SKU and attachment of public IPs', () => {
    const list = loadEstate(bodies(NETWORK, 'PublicIpAddressListAll.json'));
    const attached = [...list.publicIpAddresses.values()].find((p) => p.ipConfiguration !== undefined);
    expect(attached?.ipConfiguration?.id).toMatch(/networkInterfaces\/testDNS649\/ipConfigurations\/ipconfig1$/);
    const custom = loadEstate(bodies(NETWORK, 'PublicIpAddressCreateCustomizedValues.json'));
    expect([...custom.publicIpAddresses.values()].map((p) => p.sku)).toContain('Standard');
  });

  it.each([
    'LoadBalancerCreate.json',
    'LoadBalancerCreateWithInboundNatPool.json',
    'LoadBalancerCreateWithOutboundRules.json',
    'LoadBalancerGet.json',
    'LoadBalancerList.json',
  ])('%s loads', (file) => {
    const estate = loadEstate(bodies(NETWORK, file));
    expect(estate.errors).toEqual([]);
    expect(estate.loadBalancers.size).toBeGreaterThan(0);
  });

  it('reads NAT pools with their ranges and floating IP, and outbound rules', () => {
    const pools = loadEstate(bodies(NETWORK, 'LoadBalancerCreateWithInboundNatPool.json'));
    const [lb] = [...pools.loadBalancers.values()];
    expect(lb?.inboundNatPools[0]).toMatchObject({ name: 'test', protocol: 'Tcp', frontendPorts: { from: 8080, to: 8085 }, backendPort: 8888, floatingIp: true });
    expect(lb?.frontends[0]?.publicIpAddress).toBeUndefined();
    const outbound = loadEstate(bodies(NETWORK, 'LoadBalancerCreateWithOutboundRules.json'));
    const [withOutbound] = [...outbound.loadBalancers.values()];
    expect(withOutbound?.outboundRules.length).toBeGreaterThan(0);
    expect(withOutbound?.rules.length).toBeGreaterThan(0);
  });

  it('a bad port is an error naming the load balancer and field; the rest loads', () => {
    const lbId = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb';
    const estate = loadEstate([
      {
        source: 'lb.json',
        json: {
          value: [
            { id: lbId, type: 'Microsoft.Network/loadBalancers', properties: { loadBalancingRules: [{ name: 'r', properties: { protocol: 'Tcp', frontendPort: 70000, backendPort: 80 } }] } },
            { id: `${lbId}2`, type: 'Microsoft.Network/loadBalancers', properties: {} },
          ],
        },
      },
    ]);
    expect(estate.errors).toEqual([{ resourceId: lbId, field: 'loadBalancingRules[0].frontendPort', message: expect.stringContaining("'70000' is not a port") }]);
    expect(estate.loadBalancers.size).toBe(1);
  });
});

describe('load balancer parts read as resources of their own', () => {
  it('the inbound NAT rules of a list (`az network lb inbound-nat-rule list`) are their load balancer\'s, not unused types', () => {
    const estate = loadEstate(bodies(NETWORK, 'InboundNatRuleList.json'));
    expect(estate.errors).toEqual([]);
    expect(estate.sources[0]?.ignoredTypes).toEqual({});
    const lb = estate.loadBalancers.get('/subscriptions/subid/resourcegroups/testrg/providers/microsoft.network/loadbalancers/lb1');
    expect(lb?.inboundNatRules.map((r) => [r.name, r.frontendPorts.from, r.backendPort])).toEqual([
      ['natRule1.1', 3390, 3389],
      ['natRule1.3', 3392, 3389],
    ]);
    expect(lb?.inboundNatRules[0]?.backendIpConfiguration?.id).toMatch(/virtualMachineScaleSets\/vmss1\/virtualMachines\/1\/networkInterfaces\/nic1\/ipConfigurations\/ip1$/);
  });

  it('a backend pool read alone joins its load balancer and relates its NICs to it', () => {
    const estate = loadEstate(bodies(NETWORK, 'LoadBalancerBackendAddressPoolGet.json'));
    expect(estate.errors).toEqual([]);
    expect(estate.sources[0]?.ignoredTypes).toEqual({});
    const [lb] = [...estate.loadBalancers.values()];
    expect(lb?.name).toBe('lb');
    expect(lb?.backendPools.map((p) => [p.name, p.backendIpConfigurations.map((c) => c.id.split('/').slice(-3).join('/'))])).toEqual([['backend', ['nic/ipConfigurations/default-ip-config']]]);
  });

  it('a part newer than its load balancer replaces the inline one; an older one the load balancer no longer lists is gone', () => {
    const [natRule] = (readJson(resolve(NETWORK, 'InboundNatRuleList.json')) as { responses: { 200: { body: { value: Record<string, unknown>[] } } } }).responses[200].body.value;
    const lbId = '/subscriptions/subid/resourceGroups/testrg/providers/Microsoft.Network/loadBalancers/lb1';
    const lb = (rules: unknown[]) => ({ id: lbId, name: 'lb1', type: 'Microsoft.Network/loadBalancers', properties: { inboundNatRules: rules } });
    const changed = { ...natRule, properties: { ...(natRule?.['properties'] as object), frontendPort: 50001 } };
    const newer = loadEstate([{ source: 'lb.json', json: lb([natRule]) }, { source: 'rule.json', json: changed }]);
    expect([...newer.loadBalancers.values()][0]?.inboundNatRules.map((r) => r.frontendPorts.from)).toEqual([50001]);
    const deleted = loadEstate([{ source: 'rule.json', json: changed }, { source: 'lb.json', json: lb([]) }]);
    expect([...deleted.loadBalancers.values()][0]?.inboundNatRules).toEqual([]);
  });

  it('a bad part is an error naming the part and its own field', () => {
    const [natRule] = (readJson(resolve(NETWORK, 'InboundNatRuleList.json')) as { responses: { 200: { body: { value: Record<string, unknown>[] } } } }).responses[200].body.value;
    const bad = { ...natRule, properties: { ...(natRule?.['properties'] as object), backendPort: 70000 } };
    const estate = loadEstate([{ source: 'rule.json', json: bad }]);
    expect(estate.errors).toEqual([{ resourceId: natRule?.['id'], field: 'backendPort', message: expect.stringContaining("'70000' is not a port") }]);
  });
});

describe('an empty list', () => {
  it.each([{ value: [] }, []])('%j is an empty resource group, not a bad file', (json) => {
    const estate = loadEstate([{ source: 'empty.json', json }]);
    expect(estate.sources[0]).toMatchObject({ resources: 0, emptyLists: 1 });
  });
});

describe('relations: an AKS node pool', () => {
  const S = '/subscriptions/s/resourceGroups/rg/providers';
  const subnetId = `${S}/Microsoft.Network/virtualNetworks/aks-vnet/subnets/nodes`;
  const poolNsg = `${S}/Microsoft.Network/networkSecurityGroups/aks-agentpool-nsg`;
  const subnetNsg = `${S}/Microsoft.Network/networkSecurityGroups/nodes-nsg`;
  const vmss = `${S}/Microsoft.Compute/virtualMachineScaleSets/aks-pool1-vmss`;
  const nicOf = (i: number) => `${vmss}/virtualMachines/${i}/networkInterfaces/aks-pool1-vmss`;
  const nsg = (id: string, extra: Record<string, unknown> = {}) => ({ id, name: id.split('/').pop(), type: 'Microsoft.Network/networkSecurityGroups', properties: { securityRules: [], ...extra } });
  const vnet = (ipConfigurations: string[]) => ({
    id: `${S}/Microsoft.Network/virtualNetworks/aks-vnet`,
    type: 'Microsoft.Network/virtualNetworks',
    properties: {
      addressSpace: { addressPrefixes: ['10.224.0.0/12'] },
      subnets: [{ name: 'nodes', id: subnetId, properties: { addressPrefix: '10.224.0.0/16', networkSecurityGroup: { id: subnetNsg }, ipConfigurations: ipConfigurations.map((id) => ({ id })) } }],
    },
  });
  const scaleSet = {
    id: vmss,
    type: 'Microsoft.Compute/virtualMachineScaleSets',
    sku: { capacity: 3 },
    properties: {
      orchestrationMode: 'Uniform',
      virtualMachineProfile: {
        networkProfile: {
          networkInterfaceConfigurations: [
            { name: 'aks-pool1-vmss', properties: { networkSecurityGroup: { id: poolNsg }, ipConfigurations: [{ name: 'ipconfig1', properties: { subnet: { id: subnetId } } }] } },
          ],
        },
      },
    },
  };

  it('judges the pool NSG with the subnet NSG at the scale set when no instance NIC is known', () => {
    const relations = relateEstate(loadEstate([{ source: 'x', json: [vnet([]), nsg(poolNsg), nsg(subnetNsg), scaleSet] }]));
    const points = relations.attachments.filter((p) => p.kind === 'scaleSet');
    expect(points.map((p) => [p.name, slotName(p.subnetNsg), slotName(p.nicNsg)])).toEqual([['aks-pool1-vmss', 'nodes-nsg', 'aks-agentpool-nsg']]);
    expect(relations.attachments.some((p) => p.kind === 'unattached')).toBe(false);
    expect(relations.attachments.some((p) => p.kind === 'subnet')).toBe(false);
  });

  it('ties instance NICs known only by back-references to subnet and NSG', () => {
    const ipConfigs = [0, 1].map((i) => `${nicOf(i)}/ipConfigurations/ipconfig1`);
    const relations = relateEstate(loadEstate([{ source: 'x', json: [vnet(ipConfigs), nsg(poolNsg, { networkInterfaces: [{ id: nicOf(0) }] }), nsg(subnetNsg), scaleSet] }]));
    const points = relations.attachments.filter((p) => p.kind === 'networkInterface');
    expect(points.map((p) => [p.id.split('/')[10], slotName(p.subnetNsg), slotName(p.nicNsg), p.scaleSetId?.split('/').pop()])).toEqual([
      ['0', 'nodes-nsg', 'aks-agentpool-nsg', 'aks-pool1-vmss'],
      ['1', 'nodes-nsg', 'aks-agentpool-nsg', 'aks-pool1-vmss'],
    ]);
    expect(relations.attachments.some((p) => p.kind === 'scaleSet' || p.kind === 'subnet')).toBe(false);
  });

  it('finds an instance NIC of the instance list by its id', () => {
    const nic = {
      id: nicOf(2),
      properties: { networkSecurityGroup: { id: poolNsg }, ipConfigurations: [{ id: `${nicOf(2)}/ipConfigurations/ipconfig1`, name: 'ipconfig1', properties: { privateIPAddress: '10.224.0.6', subnet: { id: subnetId } } }] },
    };
    const relations = relateEstate(loadEstate([{ source: 'x', json: [vnet([]), nsg(poolNsg), nsg(subnetNsg), scaleSet] }, { source: 'nics', json: { value: [nic] } }]));
    const [point] = guardsOfNetworkInterface(relations, nicOf(2).toUpperCase());
    expect([slotName(point?.subnetNsg ?? { state: 'unknown' }), slotName(point?.nicNsg ?? { state: 'unknown' })]).toEqual(['nodes-nsg', 'aks-agentpool-nsg']);
    expect(relations.attachments.some((p) => p.kind === 'scaleSet')).toBe(false);
  });
});

describe('relations: a Flexible scale set', () => {
  const S = '/subscriptions/s/resourceGroups/rg/providers';
  const subnetId = `${S}/Microsoft.Network/virtualNetworks/v/subnets/web`;
  const flexible = {
    id: `${S}/Microsoft.Compute/virtualMachineScaleSets/web-flex`,
    type: 'Microsoft.Compute/virtualMachineScaleSets',
    properties: {
      orchestrationMode: 'Flexible',
      virtualMachineProfile: { networkProfile: { networkInterfaceConfigurations: [{ name: 'nic', properties: { ipConfigurations: [{ name: 'ip', properties: { subnet: { id: subnetId } } }] } }] } },
    },
  };
  const vnet = { id: `${S}/Microsoft.Network/virtualNetworks/v`, type: 'Microsoft.Network/virtualNetworks', properties: { addressSpace: { addressPrefixes: ['10.1.0.0/16'] }, subnets: [{ name: 'web', properties: { addressPrefix: '10.1.0.0/24' } }] } };
  const nicId = `${S}/Microsoft.Network/networkInterfaces/web-flex_1234-nic`;
  const vmNic = { id: nicId, type: 'Microsoft.Network/networkInterfaces', properties: { ipConfigurations: [{ name: 'ip', properties: { privateIPAddress: '10.1.0.4', subnet: { id: subnetId } } }] } };

  it('stands for its VMs with its profile while the estate holds no NIC in its subnet', () => {
    const relations = relateEstate(loadEstate([{ source: 'x', json: [vnet, flexible] }]));
    expect(relations.attachments.map((p) => [p.kind, p.name])).toEqual([['scaleSet', 'web-flex']]);
  });

  it('gives way to the NICs of its VMs, which are ordinary NICs of the NIC list', () => {
    const relations = relateEstate(loadEstate([{ source: 'x', json: [vnet, flexible, vmNic] }]));
    expect(relations.attachments.map((p) => [p.kind, p.name])).toEqual([['networkInterface', 'web-flex_1234-nic']]);
  });
});
