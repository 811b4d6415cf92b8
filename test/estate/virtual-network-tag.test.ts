/**
 * The whole VirtualNetwork tag (DESIGN §3). Azure's answer, from the NSG overview (seed 000, the
 * service tags table): VirtualNetwork is "the virtual network address space, all connected
 * on-premises address spaces, peered virtual networks, virtual networks connected to a virtual
 * network gateway ... and address prefixes used on user-defined routes. This tag might also
 * contain default routes."
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadEstate } from '../../lib/estate/load.js';
import { relateEstate } from '../../lib/estate/relations.js';
import { createFlowVerifier } from '../../lib/flow/verifier.js';
import { addressContains, addressesFromPrefixes, createContext, namedSet } from '../../lib/nsg/index.js';
import { evaluateEstate } from '../../lib/rules/index.js';
import { mulberry32 } from '../support/random.js';
import { GROUP, ids, nic, nsg, vnet, type Json, type RuleSpec } from '../rules/fixtures/build.js';
import { estateOf } from '../rules/support.js';
import { CORPUS, readJson } from './corpus.js';

const EXAMPLES = resolve(CORPUS, 'rest-api-examples/2024-07-01');

function example(file: string): unknown {
  const doc = readJson(resolve(EXAMPLES, file)) as { responses: Record<string, { body?: unknown }> };
  return doc.responses['200']?.body;
}

const gatewayId = (name: string): string => `${GROUP}/virtualNetworkGateways/${name}`;
const localId = (name: string): string => `${GROUP}/localNetworkGateways/${name}`;
const routeTableId = (name: string): string => `${GROUP}/routeTables/${name}`;

function gateway(name: string, vnetName: string, extra: Json = {}): Json {
  return {
    name,
    id: gatewayId(name),
    type: 'Microsoft.Network/virtualNetworkGateways',
    location: 'westeurope',
    properties: {
      gatewayType: 'Vpn',
      ipConfigurations: [{ name: 'gwip', id: `${gatewayId(name)}/ipConfigurations/gwip`, properties: { subnet: { id: ids.subnet(vnetName, 'GatewaySubnet') } } }],
      ...extra,
    },
  };
}

function localGateway(name: string, prefixes: string[]): Json {
  return { name, id: localId(name), type: 'Microsoft.Network/localNetworkGateways', properties: { localNetworkAddressSpace: { addressPrefixes: prefixes } } };
}

function connection(name: string, gatewayName: string, localName: string, extra: Json = {}): Json {
  return {
    name,
    id: `${GROUP}/connections/${name}`,
    type: 'Microsoft.Network/connections',
    properties: { connectionType: 'IPsec', virtualNetworkGateway1: { id: gatewayId(gatewayName) }, localNetworkGateway2: { id: localId(localName) }, ...extra },
  };
}

function routeTable(name: string, routes: { name: string; prefix: string; hop?: string }[]): Json {
  return {
    name,
    id: routeTableId(name),
    type: 'Microsoft.Network/routeTables',
    properties: {
      routes: routes.map((r) => ({ name: r.name, id: `${routeTableId(name)}/routes/${r.name}`, properties: { addressPrefix: r.prefix, nextHopType: r.hop ?? 'VirtualAppliance' } })),
    },
  };
}

/** vnet-app 10.0.0.0/16 with GatewaySubnet and snet-app (NSG nsg-app, optional route table), a VM at 10.0.1.4. */
function appNetwork(rules: RuleSpec[], options: { routeTable?: string } = {}): Json[] {
  const network = vnet('vnet-app', ['10.0.0.0/16'], [
    { name: 'GatewaySubnet', prefix: '10.0.255.0/27' },
    { name: 'snet-app', prefix: '10.0.1.0/24', nsg: 'nsg-app' },
  ]);
  if (options.routeTable) {
    const subnets = (network['properties'] as { subnets: Json[] }).subnets;
    ((subnets[1] as Json)['properties'] as Json)['routeTable'] = { id: routeTableId(options.routeTable) };
  }
  return [network, nsg('nsg-app', rules), nic('nic-vm', { vnet: 'vnet-app', subnet: 'snet-app', ip: '10.0.1.4' })];
}

const RDP_FROM_VNET: RuleSpec[] = [{ name: 'rdp-from-vnet', priority: 100, source: 'VirtualNetwork', ports: '3389' }];
const rdpFrom = (source: string) => ({ nic: 'nic-vm', direction: 'inbound', protocol: 'Tcp', source: `${source}:50000`, destination: '10.0.1.4:3389' });

describe('the corpus examples parse and relate', () => {
  it('route tables, routes, gateways, connections, local network gateways and peerings read without errors', () => {
    const files = ['RouteTableGet.json', 'RouteTableList.json', 'RouteTableRouteGet.json', 'VirtualNetworkGatewayGet.json', 'VirtualNetworkGatewayConnectionGet.json', 'LocalNetworkGatewayGet.json', 'VirtualNetworkPeeringGet.json'];
    const estate = loadEstate(files.map((f) => ({ source: f, json: example(f) })));
    expect(estate.errors).toEqual([]);
    for (const source of estate.sources) expect(source.ignoredTypes, source.source).toEqual({});
    expect([...estate.routeTables.values()].map((t) => t.name)).toContain('testrt');
    expect(estate.virtualNetworkGateways.size).toBe(1);
    expect(estate.gatewayConnections.size).toBe(1);
    expect([...estate.localNetworkGateways.values()][0]?.addressPrefixes).toEqual(['10.1.0.0/16']);
  });

  it("the S2S connection puts the local network gateway's space into vnet1's VirtualNetwork", () => {
    const files = ['VirtualNetworkGatewayGet.json', 'VirtualNetworkGatewayConnectionGet.json', 'LocalNetworkGatewayGet.json'];
    const vnet1 = {
      name: 'vnet1',
      id: '/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/vnet1',
      type: 'Microsoft.Network/virtualNetworks',
      properties: { addressSpace: { addressPrefixes: ['10.0.0.0/16'] }, subnets: [{ name: 'GatewaySubnet', properties: { addressPrefix: '10.0.255.0/27' } }] },
    };
    const estate = loadEstate([...files.map((f) => ({ source: f, json: example(f) })), { source: 'vnet1', json: vnet1 }]);
    expect(estate.errors).toEqual([]);
    const scope = [...relateEstate(estate).virtualNetworkScopes.values()][0];
    expect(scope?.kind === 'known' && scope.prefixes).toEqual(['10.0.0.0/16', '10.1.0.0/16']);
    expect(scope?.kind === 'known' && scope.connected.map((c) => `${c.connection.name}:${c.via}`)).toEqual(['connS2S:localNetworkGateway']);
  });
});

describe('on-premises spaces through a gateway', () => {
  const site = [gateway('vpngw', 'vnet-app'), localGateway('onprem', ['192.168.10.0/24', '172.20.0.0/16']), connection('s2s', 'vpngw', 'onprem')];

  it('a rule from VirtualNetwork lets the on-premises site in (before: DenyAllInBound)', () => {
    const without = createFlowVerifier(estateOf(appNetwork(RDP_FROM_VNET))).verify(rdpFrom('192.168.10.7'));
    expect(without.ok && without.decidedBy.map((s) => s.rule)).toEqual(['DenyAllInBound']);
    const verifier = createFlowVerifier(estateOf([...appNetwork(RDP_FROM_VNET), ...site]));
    const answer = verifier.verify(rdpFrom('192.168.10.7'));
    if (!answer.ok) throw new Error(answer.error);
    expect(answer.access).toBe('Allow');
    expect(answer.decidedBy.map((s) => s.rule)).toEqual(['rdp-from-vnet']);
  });

  it('AllowVnetInBound admits the site too', () => {
    const answer = createFlowVerifier(estateOf([...appNetwork([]), ...site])).verify(rdpFrom('192.168.10.7'));
    expect(answer.ok && answer.decidedBy.map((s) => s.rule)).toEqual(['AllowVnetInBound']);
  });

  it('a spoke whose peering uses the remote gateway gets the hub gateway\'s on-premises space; one that does not, does not', () => {
    const hub = vnet('vnet-hub', ['10.100.0.0/16'], [{ name: 'GatewaySubnet', prefix: '10.100.255.0/27' }], [{ vnet: 'vnet-app', prefixes: ['10.0.0.0/16'] }]);
    const spoke = appNetwork([]);
    const spokeNetwork = spoke[0] as Json;
    const peering = (useRemoteGateways: boolean): Json => ({
      name: 'app-to-hub',
      id: `${ids.vnet('vnet-app')}/virtualNetworkPeerings/app-to-hub`,
      type: 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings',
      properties: { peeringState: 'Connected', useRemoteGateways, remoteVirtualNetwork: { id: ids.vnet('vnet-hub') }, remoteAddressSpace: { addressPrefixes: ['10.100.0.0/16'] } },
    });
    const hubSite = [gateway('hubgw', 'vnet-hub'), localGateway('onprem', ['192.168.10.0/24']), connection('s2s', 'hubgw', 'onprem')];
    const uses = createFlowVerifier(estateOf([spokeNetwork, ...spoke.slice(1), hub, peering(true), ...hubSite])).verify(rdpFrom('192.168.10.7'));
    expect(uses.ok && uses.decidedBy.map((s) => s.rule)).toEqual(['AllowVnetInBound']);
    const not = createFlowVerifier(estateOf([spokeNetwork, ...spoke.slice(1), hub, peering(false), ...hubSite])).verify(rdpFrom('192.168.10.7'));
    expect(not.ok && not.decidedBy.map((s) => s.rule)).toEqual(['DenyAllInBound']);
  });

  it('BGP and ExpressRoute: offline the learned prefixes are not known, and the answer says so', () => {
    const bgp = [gateway('vpngw', 'vnet-app', { enableBgp: true }), localGateway('onprem', ['192.168.10.0/24']), connection('s2s', 'vpngw', 'onprem', { enableBgp: true })];
    const answer = createFlowVerifier(estateOf([...appNetwork(RDP_FROM_VNET), ...bgp])).verify(rdpFrom('192.168.10.7'));
    expect(answer.ok && answer.notes).toContainEqual(expect.stringMatching(/learns routes over BGP.*not in ARM/));
    expect(answer.ok && answer.notes).toContainEqual(expect.stringMatching(/connection s2s uses BGP/));
  });

  it('a local network gateway missing from the estate is a note, not a guess', () => {
    const answer = createFlowVerifier(estateOf([...appNetwork(RDP_FROM_VNET), gateway('vpngw', 'vnet-app'), connection('s2s', 'vpngw', 'onprem')])).verify(rdpFrom('192.168.10.7'));
    expect(answer.ok && answer.access).toBe('Deny');
    expect(answer.ok && answer.notes).toContainEqual(expect.stringMatching(/local network gateway onprem of connection s2s is not in the estate/));
  });
});

describe("the prefixes of the subnet's user-defined routes", () => {
  it('a route prefix is in VirtualNetwork at that subnet only', () => {
    const estate = estateOf([...appNetwork(RDP_FROM_VNET, { routeTable: 'rt-app' }), routeTable('rt-app', [{ name: 'to-partner', prefix: '198.51.100.0/24' }])]);
    const answer = createFlowVerifier(estate).verify(rdpFrom('198.51.100.7'));
    expect(answer.ok && answer.decidedBy.map((s) => s.rule)).toEqual(['rdp-from-vnet']);
  });

  it('a 0.0.0.0/0 route puts the Internet into VirtualNetwork: AllowVnetInBound exposes RDP, and the finding says why', () => {
    const estate = estateOf([...appNetwork([], { routeTable: 'rt-app' }), routeTable('rt-app', [{ name: 'default-to-firewall', prefix: '0.0.0.0/0' }])]);
    const answer = createFlowVerifier(estate).verify(rdpFrom('203.0.113.9'));
    expect(answer.ok && answer.decidedBy.map((s) => s.rule)).toEqual(['AllowVnetInBound']);
    expect(answer.ok && answer.notes).toContainEqual(expect.stringMatching(/route table rt-app has a default route \(default-to-firewall\)/));
    const rdp = evaluateEstate(estate).findings.filter((f) => f.ruleId === 'NSG-001');
    expect(rdp).toHaveLength(1);
    expect(rdp[0]?.evidence['rule']).toMatchObject({ name: 'AllowVnetInBound' });
    expect(rdp[0]?.evidence.assumptions).toContainEqual(expect.stringMatching(/default route/));
    // Without the route table the same NSG exposes nothing.
    expect(evaluateEstate(estateOf(appNetwork([]))).findings.filter((f) => f.ruleId === 'NSG-001')).toEqual([]);
  });

  it('a route table missing from the estate, or a route naming a service tag, is a note', () => {
    const missing = createFlowVerifier(estateOf(appNetwork(RDP_FROM_VNET, { routeTable: 'rt-gone' }))).verify(rdpFrom('203.0.113.9'));
    expect(missing.ok && missing.notes).toContainEqual(expect.stringMatching(/route table rt-gone is not in the estate/));
    const tagged = estateOf([...appNetwork(RDP_FROM_VNET, { routeTable: 'rt-app' }), routeTable('rt-app', [{ name: 'storage', prefix: 'Storage', hop: 'Internet' }])]);
    const answer = createFlowVerifier(tagged).verify(rdpFrom('203.0.113.9'));
    expect(answer.ok && answer.notes).toContainEqual(expect.stringMatching(/route storage in route table rt-app names service tag Storage/));
  });

  it('a malformed route prefix is an error naming the route and the field', () => {
    const estate = loadEstate([{ source: 'bad', json: [routeTable('rt-app', [{ name: 'bad', prefix: '10.0.0.0/33' }])] }]);
    expect(estate.errors).toEqual([expect.objectContaining({ resourceId: `${routeTableId('rt-app')}/routes/bad`, field: 'addressPrefix' })]);
  });
});

describe('the expansion against a brute-force reference (seeded random estates)', () => {
  it('VirtualNetwork at a subnet holds exactly own ∪ Connected peers ∪ gateway sites (own and hub) ∪ route prefixes', () => {
    const next = mulberry32(1313);
    const random = { int: (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1)) };
    const block = (): string => `${random.int(11, 99)}.${random.int(0, 255)}.${random.int(0, 15) * 16}.0/20`;
    for (let round = 0; round < 200; round++) {
      const own = [block()];
      const peerSpace = [block()];
      const sites = [block(), block()];
      const hubSites = [block()];
      const routes = random.int(0, 1) === 1 ? [block()] : [];
      const connected = random.int(0, 1) === 1;
      const useRemote = random.int(0, 1) === 1;
      const withGateway = random.int(0, 1) === 1;
      const resources: Json[] = [
        vnet('vnet-a', own, [{ name: 'GatewaySubnet', prefix: own[0] as string }, { name: 'snet', prefix: own[0] as string }]),
        vnet('vnet-hub', peerSpace, [{ name: 'GatewaySubnet', prefix: peerSpace[0] as string }]),
        {
          name: 'a-to-hub',
          id: `${ids.vnet('vnet-a')}/virtualNetworkPeerings/a-to-hub`,
          type: 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings',
          properties: { peeringState: connected ? 'Connected' : 'Initiated', useRemoteGateways: useRemote, remoteVirtualNetwork: { id: ids.vnet('vnet-hub') } },
        },
        gateway('hubgw', 'vnet-hub'),
        localGateway('hubsite', hubSites),
        connection('hub-s2s', 'hubgw', 'hubsite'),
        routeTable('rt', routes.map((prefix, i) => ({ name: `r${i}`, prefix }))),
      ];
      if (withGateway) resources.push(gateway('agw', 'vnet-a'), localGateway('site', sites), connection('a-s2s', 'agw', 'site'));
      const network = resources[0] as Json;
      (((network['properties'] as { subnets: Json[] }).subnets[1] as Json)['properties'] as Json)['routeTable'] = { id: routeTableId('rt') };
      const estate = loadEstate([{ source: `round ${round}`, json: resources }]);
      expect(estate.errors).toEqual([]);
      const relations = relateEstate(estate);
      const subnet = estate.subnets.get(ids.subnet('vnet-a', 'snet').toLowerCase());
      if (!subnet) throw new Error('no subnet');
      const scope = relations.subnetScope(subnet);
      if (scope.kind !== 'known') throw new Error('unknown scope');
      const ctx = createContext({ virtualNetworkPrefixes: scope.prefixes, ...(scope.routes ? { routePrefixes: scope.routes.prefixes } : {}) });
      const expected = [...own, ...(connected ? peerSpace : []), ...(withGateway ? sites : []), ...(connected && useRemote ? hubSites : []), ...routes];
      const reference = addressesFromPrefixes(expected).set;
      const actual = namedSet(ctx, 'VirtualNetwork');
      for (let probe = 0; probe < 20; probe++) {
        const pick = random.int(0, 3) === 0 ? `${random.int(1, 223)}.${random.int(0, 255)}.${random.int(0, 255)}.${random.int(0, 255)}` : (expected[random.int(0, expected.length - 1)] as string).replace(/\.0\/20$/, `.${random.int(0, 255)}`);
        expect(addressContains(actual, pick), `${pick} in ${JSON.stringify(expected)}`).toBe(addressContains(reference, pick));
      }
    }
  });
});
