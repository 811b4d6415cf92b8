import { describe, expect, it } from 'vitest';
import { loadEstate } from '../../lib/estate/load.js';
import {
  attachmentsOfNsg,
  bastionsServing,
  contextInputs,
  guardsOfNetworkInterface,
  natGatewaysOfSubnet,
  nsgVirtualNetworkScope,
  relateEstate,
  subnetRole,
  subnetsOfNatGateway,
  type AttachmentPoint,
  type NsgSlot,
  type VirtualNetworkScope,
  virtualNetworkScope,
} from '../../lib/estate/relations.js';
import { normalizeId } from '../../lib/arm/index.js';
import { cassetteDocuments, seedJsonOutputs } from './corpus.js';

const P = '/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Network';
const id = {
  vnet: (v: string) => `${P}/virtualNetworks/${v}`,
  subnet: (v: string, s: string) => `${P}/virtualNetworks/${v}/subnets/${s}`,
  nsg: (n: string) => `${P}/networkSecurityGroups/${n}`,
  nic: (n: string) => `${P}/networkInterfaces/${n}`,
  asg: (n: string) => `${P}/applicationSecurityGroups/${n}`,
  nat: (n: string) => `${P}/natGateways/${n}`,
};

const subnet = (vnet: string, name: string, prefix: string, extra: Record<string, unknown> = {}) => ({
  name,
  id: id.subnet(vnet, name),
  properties: { addressPrefix: prefix, ...extra },
});

const peering = (vnet: string, remote: string, state: string, remoteSpace?: string[]) => ({
  name: `${vnet}-to-${remote}`,
  id: `${id.vnet(vnet)}/virtualNetworkPeerings/${vnet}-to-${remote}`,
  properties: {
    peeringState: state,
    remoteVirtualNetwork: { id: id.vnet(remote) },
    ...(remoteSpace ? { remoteAddressSpace: { addressPrefixes: remoteSpace } } : {}),
  },
});

const vnet = (name: string, space: string, subnets: unknown[], peerings: unknown[] = []) => ({
  name,
  id: id.vnet(name),
  type: 'Microsoft.Network/virtualNetworks',
  properties: { addressSpace: { addressPrefixes: [space] }, subnets, virtualNetworkPeerings: peerings },
});

const nsg = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  id: id.nsg(name),
  type: 'Microsoft.Network/networkSecurityGroups',
  properties: { securityRules: [], ...extra },
});

const nic = (name: string, vnetName: string, subnetName: string, ip: string | undefined, extra: { nsg?: string; asgs?: string[] } = {}) => ({
  name,
  id: id.nic(name),
  type: 'Microsoft.Network/networkInterfaces',
  properties: {
    ...(extra.nsg ? { networkSecurityGroup: { id: id.nsg(extra.nsg) } } : {}),
    ipConfigurations: [
      {
        name: 'ipconfig1',
        properties: {
          ...(ip ? { privateIPAddress: ip } : {}),
          subnet: { id: id.subnet(vnetName, subnetName) },
          applicationSecurityGroups: (extra.asgs ?? []).map((a) => ({ id: id.asg(a) })),
        },
      },
    ],
  },
});

/** Hub and spokes: peerings in every state, NICs with and without NSGs, NAT and Bastion from both sides. */
const documents = [
  {
    source: 'vnets.json',
    json: {
      value: [
        vnet(
          'hub',
          '10.0.0.0/16',
          [
            subnet('hub', 'AzureBastionSubnet', '10.0.1.0/26', { networkSecurityGroup: { id: id.nsg('nsg-bastion') } }),
            subnet('hub', 'GatewaySubnet', '10.0.2.0/27'),
            subnet('hub', 'snet-jump', '10.0.3.0/24', { networkSecurityGroup: { id: id.nsg('nsg-jump') } }),
          ],
          [
            peering('hub', 'spoke1', 'Connected', ['10.1.0.0/16']),
            peering('hub', 'spoke2', 'Initiated', ['10.2.0.0/16']),
            peering('hub', 'spoke3', 'Connected'),
            peering('hub', 'spoke4', 'Connected'),
            peering('hub', 'spoke5', 'Disconnected', ['10.5.0.0/16']),
          ],
        ),
        vnet('spoke1', '10.1.0.0/16', [
          subnet('spoke1', 'snet-app', '10.1.1.0/24', {
            networkSecurityGroup: { id: id.nsg('nsg-app') },
            natGateway: { id: id.nat('natgw1') },
          }),
          subnet('spoke1', 'snet-empty', '10.1.2.0/24'),
          subnet('spoke1', 'snet-batch', '10.1.3.0/24', { networkSecurityGroup: { id: id.nsg('nsg-gone') } }),
        ]),
        vnet('spoke2', '10.2.0.0/16', [subnet('spoke2', 'snet-x', '10.2.1.0/24', { networkSecurityGroup: { id: id.nsg('nsg-app') } })], [
          peering('spoke2', 'hub', 'Initiated'),
        ]),
        vnet('spoke3', '10.3.0.0/16', []),
        vnet('spoke6', '10.6.0.0/16', [], [peering('spoke6', 'hub', 'Connected', ['10.0.0.0/16'])]),
      ],
    },
  },
  {
    source: 'nsgs.json',
    json: [
      nsg('nsg-bastion'),
      nsg('nsg-jump'),
      nsg('nsg-app'),
      nsg('nsg-nic1'),
      nsg('nsg-orphan'),
      nsg('nsg-backref', {
        networkInterfaces: [{ id: id.nic('nic-outside') }],
        subnets: [{ id: id.subnet('spoke9', 's') }],
      }),
    ],
  },
  {
    source: 'nics.json',
    json: [
      nic('nic-app1', 'spoke1', 'snet-app', '10.1.1.4', { nsg: 'nsg-nic1', asgs: ['asg-web'] }),
      nic('nic-app2', 'spoke1', 'snet-app', '10.1.1.5', { asgs: ['asg-web', 'asg-other'] }),
      nic('nic-dyn', 'spoke1', 'snet-app', undefined, { asgs: ['asg-web'] }),
      nic('nic-jump', 'hub', 'snet-jump', '10.0.3.4'),
    ],
  },
  {
    source: 'others.json',
    json: [
      { id: id.asg('asg-web'), type: 'Microsoft.Network/applicationSecurityGroups', properties: {} },
      { id: id.asg('asg-empty'), type: 'Microsoft.Network/applicationSecurityGroups', properties: {} },
      // The NAT gateway lists snet-batch; the subnet side names the gateway only for snet-app.
      { id: id.nat('natgw1'), type: 'Microsoft.Network/natGateways', properties: { subnets: [{ id: id.subnet('spoke1', 'snet-batch') }] } },
      {
        id: `${P}/bastionHosts/bas`,
        type: 'Microsoft.Network/bastionHosts',
        properties: { ipConfigurations: [{ name: 'ip', properties: { subnet: { id: id.subnet('hub', 'AzureBastionSubnet') } } }] },
      },
    ],
  },
];

const estate = loadEstate(documents);
const relations = relateEstate(estate);

const slotName = (slot: NsgSlot) =>
  slot.state === 'present' ? slot.nsg.name : slot.state === 'missing' ? `missing:${slot.id.split('/').pop() ?? ''}` : slot.state;
const scopeSummary = (scope: VirtualNetworkScope) =>
  scope.kind === 'known'
    ? { vnet: scope.virtualNetwork.name, prefixes: [...scope.prefixes].sort(), unresolved: scope.unresolvedPeers.map((p) => p.name) }
    : { unknown: scope.reason };
const summary = (point: AttachmentPoint) => ({
  kind: point.kind,
  name: point.name,
  subnetNsg: slotName(point.subnetNsg),
  nicNsg: slotName(point.nicNsg),
  local: point.local,
});

describe('relations: the fixture estate loads', () => {
  it('has no errors', () => {
    expect(estate.errors).toEqual([]);
    expect(estate.virtualNetworks.size).toBe(5);
    expect(estate.subnets.size).toBe(7);
  });
});

describe('relations: which NSGs guard which NIC', () => {
  it.each([
    ['nic-app1', { kind: 'networkInterface', name: 'nic-app1', subnetNsg: 'nsg-app', nicNsg: 'nsg-nic1', local: { kind: 'exact', addresses: ['10.1.1.4'] } }],
    ['nic-app2', { kind: 'networkInterface', name: 'nic-app2', subnetNsg: 'nsg-app', nicNsg: 'none', local: { kind: 'exact', addresses: ['10.1.1.5'] } }],
    // Dynamic allocation not done yet: the NIC lies somewhere in its subnet.
    ['nic-dyn', { kind: 'networkInterface', name: 'nic-dyn', subnetNsg: 'nsg-app', nicNsg: 'none', local: { kind: 'within', prefixes: ['10.1.1.0/24'] } }],
    ['nic-jump', { kind: 'networkInterface', name: 'nic-jump', subnetNsg: 'nsg-jump', nicNsg: 'none', local: { kind: 'exact', addresses: ['10.0.3.4'] } }],
    // Known only from nsg-backref's back-reference: its subnet (and so the subnet NSG) is unknown.
    ['nic-outside', { kind: 'networkInterface', name: 'nic-outside', subnetNsg: 'unknown', nicNsg: 'nsg-backref', local: { kind: 'unknown' } }],
  ])('%s', (name, expected) => {
    const points = guardsOfNetworkInterface(relations, id.nic(name).toUpperCase());
    expect(points.map(summary)).toEqual([expected]);
  });

  it('names the subnet each NIC attachment sits in', () => {
    const [point] = guardsOfNetworkInterface(relations, id.nic('nic-app1'));
    expect(point?.subnet?.name).toBe('snet-app');
    expect(point?.subnetId).toBe(id.subnet('spoke1', 'snet-app'));
  });
});

describe('relations: attachment points per NSG', () => {
  it.each([
    ['nsg-app', [['networkInterface', 'nic-app1'], ['networkInterface', 'nic-app2'], ['networkInterface', 'nic-dyn'], ['subnet', 'snet-x']]],
    ['nsg-nic1', [['networkInterface', 'nic-app1']]],
    ['nsg-jump', [['networkInterface', 'nic-jump']]],
    ['nsg-bastion', [['subnet', 'AzureBastionSubnet']]],
    ['nsg-orphan', [['unattached', 'nsg-orphan']]],
    ['nsg-backref', [['networkInterface', 'nic-outside'], ['subnet', 's']]],
  ])('%s', (name, expected) => {
    expect(attachmentsOfNsg(relations, id.nsg(name)).map((p) => [p.kind, p.name])).toEqual(expected);
  });

  it('gives a subnet with no NICs an attachment of its own, with its prefixes as local addresses', () => {
    const empty = relations.attachments.find((p) => p.name === 'snet-empty');
    expect(empty && summary(empty)).toEqual({
      kind: 'subnet',
      name: 'snet-empty',
      subnetNsg: 'none',
      nicNsg: 'none',
      local: { kind: 'exact', addresses: ['10.1.2.0/24'] },
    });
  });

  it('marks an NSG that is referenced but not in the estate as missing', () => {
    const batch = relations.attachments.find((p) => p.name === 'snet-batch');
    expect(batch?.subnetNsg).toEqual({ state: 'missing', id: id.nsg('nsg-gone'), key: normalizeId(id.nsg('nsg-gone')) });
  });
});

describe('relations: VirtualNetwork at each attachment', () => {
  it.each([
    // Own space + Connected peers: spoke1 (remote space on the peering), spoke3 (from the estate),
    // spoke6 (only its side holds the peering). spoke4 is Connected with no known space.
    // Initiated (spoke2) and Disconnected (spoke5) peerings are left out.
    ['hub', { vnet: 'hub', prefixes: ['10.0.0.0/16', '10.1.0.0/16', '10.3.0.0/16', '10.6.0.0/16'], unresolved: ['spoke4'] }],
    ['spoke1', { vnet: 'spoke1', prefixes: ['10.0.0.0/16', '10.1.0.0/16'], unresolved: [] }],
    ['spoke2', { vnet: 'spoke2', prefixes: ['10.2.0.0/16'], unresolved: [] }],
    ['spoke6', { vnet: 'spoke6', prefixes: ['10.0.0.0/16', '10.6.0.0/16'], unresolved: [] }],
  ])('%s', (name, expected) => {
    expect(scopeSummary(virtualNetworkScope(relations, id.vnet(name)))).toEqual(expected);
  });

  it('is the same scope at every attachment in the network', () => {
    const app = guardsOfNetworkInterface(relations, id.nic('nic-app1'))[0];
    expect(app?.virtualNetwork).toBe(virtualNetworkScope(relations, id.vnet('spoke1')));
  });

  it('is unknown where the virtual network is not in the estate', () => {
    const outside = relations.attachments.find((p) => p.name === 's');
    expect(outside && scopeSummary(outside.virtualNetwork)).toEqual({ unknown: 'virtual network spoke9 is not in the estate' });
  });

  it.each([
    ['nsg-jump', { vnet: 'hub', prefixes: ['10.0.0.0/16', '10.1.0.0/16', '10.3.0.0/16', '10.6.0.0/16'], unresolved: ['spoke4'] }],
    ['nsg-app', { unknown: 'the NSG is associated in 2 virtual networks, so VirtualNetwork differs by attachment' }],
    ['nsg-orphan', { unknown: 'the NSG is not associated with any subnet or NIC' }],
  ])('the one VirtualNetwork an NSG sees: %s', (name, expected) => {
    expect(scopeSummary(nsgVirtualNetworkScope(relations, id.nsg(name)))).toEqual(expected);
  });

  it('hands the engine its context inputs, with what the estate could not tell', () => {
    const hub = nsgVirtualNetworkScope(relations, id.nsg('nsg-jump'));
    const inputs = contextInputs(relations, hub);
    expect(inputs.virtualNetworkPrefixes).toEqual(['10.0.0.0/16', '10.1.0.0/16', '10.3.0.0/16', '10.6.0.0/16']);
    expect(inputs.notes).toEqual(['peered virtual network spoke4 is Connected but its address space is unknown: VirtualNetwork lacks it']);
    const unknown = contextInputs(relations, nsgVirtualNetworkScope(relations, id.nsg('nsg-orphan')));
    expect(unknown).not.toHaveProperty('virtualNetworkPrefixes');
    expect(unknown.asgAddresses.get(normalizeId(id.asg('asg-web')))).toEqual(['10.1.1.4', '10.1.1.5']);
  });
});

describe('relations: NAT gateways and their subnets, from either side', () => {
  it.each([
    ['snet-app', ['natgw1']],
    ['snet-batch', ['natgw1']],
    ['snet-empty', []],
  ])('%s sits behind %j', (name, expected) => {
    expect(natGatewaysOfSubnet(relations, id.subnet('spoke1', name)).map((n) => n.id.split('/').pop())).toEqual(expected);
  });

  it('lists a gateway\'s subnets from its own list and from the subnets that name it', () => {
    expect(subnetsOfNatGateway(relations, id.nat('NATGW1')).map((s) => s.id.split('/').pop())).toEqual(['snet-batch', 'snet-app']);
  });
});

describe('relations: Bastion coverage', () => {
  it('serves its own virtual network and the directly peered Connected ones', () => {
    const [coverage] = relations.bastions;
    expect(coverage?.subnetPrefixes).toEqual(['10.0.1.0/26']);
    expect(coverage?.servedVirtualNetworks.map((v) => v.id.split('/').pop())).toEqual(['hub', 'spoke1', 'spoke3', 'spoke4', 'spoke6']);
  });

  it.each([
    ['hub', 1],
    ['spoke1', 1],
    ['spoke2', 0], // Initiated
    ['spoke5', 0], // Disconnected
    ['spoke6', 1], // only spoke6 holds the peering
  ])('bastionsServing(%s) = %i', (name, count) => {
    expect(bastionsServing(relations, id.vnet(name))).toHaveLength(count);
  });
});

describe('relations: ASG members', () => {
  it('maps each ASG to its members\' IPs and names members without an address', () => {
    const web = relations.asgMembers.get(normalizeId(id.asg('asg-web')));
    expect(web?.addresses).toEqual(['10.1.1.4', '10.1.1.5']);
    expect(web?.members).toHaveLength(3);
    expect(web?.membersWithoutAddress.map((m) => m.id.split('/')[8])).toEqual(['nic-dyn']);
    // An ASG the estate does not hold still collects its members; one with none is empty.
    expect(relations.asgMembers.get(normalizeId(id.asg('asg-other')))?.addresses).toEqual(['10.1.1.5']);
    expect(relations.asgMembers.get(normalizeId(id.asg('asg-empty')))?.addresses).toEqual([]);
  });
});

describe('relations: subnet roles', () => {
  it.each([
    ['AzureBastionSubnet', 'bastion'],
    ['azurebastionsubnet', 'bastion'],
    ['GatewaySubnet', 'gateway'],
    ['AzureFirewallSubnet', 'firewall'],
    ['AzureFirewallManagementSubnet', 'firewallManagement'],
    ['RouteServerSubnet', 'routeServer'],
    ['snet-app', 'workload'],
    ['AzureBastionSubnet2', 'workload'],
  ])('%s → %s', (name, role) => {
    expect(subnetRole(name)).toBe(role);
  });
});

describe('relations: real inputs', () => {
  it('finds the NAT subnet of the seed guarded by the NSG the procedure attaches', () => {
    const outputs = seedJsonOutputs();
    const pick = (line: number) => ({ source: `seed line ${line}`, json: outputs.find((o) => o.line === line)?.json });
    const seed = relateEstate(loadEstate([pick(109), pick(113), pick(121)]));
    const subnetId = '/subscriptions/abcdabcd-1234-abcd-1234-abcdabcdabcd/resourceGroups/cloud-shell-storage-westeurope/providers/Microsoft.Network/virtualNetworks/cc-project5-network/subnets/cc-project5-vnet-subnet-001';
    expect(natGatewaysOfSubnet(seed, subnetId).map((n) => n.id.split('/').pop())).toEqual(['cc-project5-managed-gateway']);
    const [point] = seed.attachments.filter((p) => p.kind === 'subnet');
    expect(point && slotName(point.subnetNsg)).toBe('cc-project5-nat-nsg');
  });

  it('attaches every NSG of the real subscription where its back-references say', () => {
    const real = relateEstate(loadEstate(cassetteDocuments('NetworkSecurityGroupTest.test_cidr_and_ingress_no_match.json')));
    // Only NSGs were exported: NICs and subnets are known through the NSGs' back-references.
    expect(real.attachments.every((p) => p.kind === 'unattached' || p.networkInterface === undefined)).toBe(true);
    const nodes = [...real.estate.networkSecurityGroups.values()].find((n) => n.name === 'us3-staging-dog-parent11-k8s-kube-nodes');
    expect(attachmentsOfNsg(real, nodes?.id ?? '')).toHaveLength(74);
    const orphans = real.attachments.filter((p) => p.kind === 'unattached').map((p) => p.name);
    expect(orphans).toContain('drew-api-server-test-nsg');
    expect(orphans).not.toContain('nsg-dbm-agent-integration-sql-managed-instance-2');
  });
});
