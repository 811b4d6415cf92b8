/**
 * Events on the VirtualNetwork layers (route tables, gateways, connections, local network
 * gateways), private endpoints and scale sets are judged from targeted reads exactly as a sweep
 * judges them: same affected set, same findings. The estate is the hub of the 2024-07-01 REST
 * examples (VPN gateway, S2S connection, local network gateway, route table, scale-set NICs), with a
 * spoke using the hub's gateway and a NIC's effective routes served as the SDK polls them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createArmReader } from '../../lib/azure/arm.js';
import { armSource } from '../../lib/azure/arm-source.js';
import { createReadBudgets } from '../../lib/azure/budget.js';
import type { Scope } from '../../lib/azure/scopes.js';
import { normalizeId } from '../../lib/arm/index.js';
import { loadEstate } from '../../lib/estate/load.js';
import type { Estate } from '../../lib/estate/model.js';
import { relateEstate } from '../../lib/estate/relations.js';
import { affectedResources } from '../../lib/pipeline/affected.js';
import { readScopeEstate } from '../../lib/pipeline/targeted.js';
import { evaluateRules } from '../../lib/runtime/catalogue.js';
import { createArmEstate, createArmTransport, serveEstate, testCredential, type ArmTransport } from '../support/arm-transport.js';

type Json = Record<string, unknown>;

function example(name: string): { responses: Record<string, { body?: unknown; headers?: Record<string, string> }> } {
  const path = fileURLToPath(new URL(`../../../shared/corpus/rest-api-examples/2024-07-01/${name}.json`, import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')) as { responses: Record<string, { body?: unknown; headers?: Record<string, string> }> };
}
const body = (name: string): Json => structuredClone(example(name).responses['200']?.body) as Json;

const SUB = 'subid';
const RG = `/subscriptions/${SUB}/resourceGroups/rg1/providers/Microsoft.Network`;
const HUB = `${RG}/virtualNetworks/vnet1`;
const SPOKE = `${RG}/virtualNetworks/spoke`;
const NSG = `${RG}/networkSecurityGroups/workloads`;
const ENDPOINT = `${RG}/privateEndpoints/sql-pe`;
const SCALE_SET = '/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachineScaleSets/vmss1';

const ipConfig = (nicId: string) => ({ id: `${nicId}/ipConfigurations/ipconfig1` });
function nic(name: string, subnetId: string, ip: string, extra: Json = {}): Json {
  const id = `${RG}/networkInterfaces/${name}`;
  return {
    id,
    name,
    type: 'Microsoft.Network/networkInterfaces',
    properties: { ...extra, ipConfigurations: [{ ...ipConfig(id), name: 'ipconfig1', properties: { privateIPAddress: ip, subnet: { id: subnetId } } }] },
  };
}

function estateResources(): Json[] {
  const [routeTable] = body('RouteTableList')['value'] as Json[];
  // ARM lists the subnets a route table is associated with (read-only `subnets`), as it does for an NSG.
  (routeTable?.['properties'] as Json)['subnets'] = [{ id: `${HUB}/subnets/app` }];
  const scaleSetNics = (body('VmssVmNetworkInterfaceList')['value'] as Json[]).map((n) => ({ ...n, type: 'Microsoft.Network/networkInterfaces' }));
  const vm = (name: string) => ({ virtualMachine: { id: `/subscriptions/${SUB}/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/${name}` } });
  const hub: Json = {
    id: HUB,
    name: 'vnet1',
    type: 'Microsoft.Network/virtualNetworks',
    properties: {
      addressSpace: { addressPrefixes: ['10.0.0.0/16'] },
      subnets: [
        { id: `${HUB}/subnets/GatewaySubnet`, name: 'GatewaySubnet', properties: { addressPrefix: '10.0.255.0/27', ipConfigurations: [{ id: `${RG}/virtualNetworkGateways/vpngw/ipConfigurations/gwipconfig1` }] } },
        { id: `${HUB}/subnets/web`, name: 'web', properties: { addressPrefix: '10.0.1.0/24', networkSecurityGroup: { id: NSG }, ipConfigurations: [ipConfig(`${RG}/networkInterfaces/nic1`)] } },
        {
          id: `${HUB}/subnets/app`,
          name: 'app',
          properties: { addressPrefix: '10.0.2.0/24', routeTable: { id: String(routeTable?.['id']) }, privateEndpointNetworkPolicies: 'Enabled', networkSecurityGroup: { id: NSG }, ipConfigurations: [ipConfig(`${RG}/networkInterfaces/sql-pe.nic`)] },
        },
        { id: `${HUB}/subnets/subnet1`, name: 'subnet1', properties: { addressPrefix: '10.0.0.0/24', networkSecurityGroup: { id: NSG }, ipConfigurations: [{ id: `${SCALE_SET}/virtualMachines/1/networkInterfaces/nic1/ipConfigurations/ip1` }] } },
      ],
      virtualNetworkPeerings: [{ id: `${HUB}/virtualNetworkPeerings/to-spoke`, name: 'to-spoke', properties: { peeringState: 'Connected', allowGatewayTransit: true, remoteVirtualNetwork: { id: SPOKE }, remoteAddressSpace: { addressPrefixes: ['10.5.0.0/16'] } } }],
    },
  };
  const spoke: Json = {
    id: SPOKE,
    name: 'spoke',
    type: 'Microsoft.Network/virtualNetworks',
    properties: {
      addressSpace: { addressPrefixes: ['10.5.0.0/16'] },
      subnets: [{ id: `${SPOKE}/subnets/s1`, name: 's1', properties: { addressPrefix: '10.5.0.0/24', networkSecurityGroup: { id: NSG }, ipConfigurations: [ipConfig(`${RG}/networkInterfaces/spoke-nic`)] } }],
      virtualNetworkPeerings: [{ id: `${SPOKE}/virtualNetworkPeerings/to-hub`, name: 'to-hub', properties: { peeringState: 'Connected', useRemoteGateways: true, remoteVirtualNetwork: { id: HUB }, remoteAddressSpace: { addressPrefixes: ['10.0.0.0/16'] } } }],
    },
  };
  const nsg: Json = {
    id: NSG,
    name: 'workloads',
    type: 'Microsoft.Network/networkSecurityGroups',
    properties: {
      // SSH from VirtualNetwork: what that admits depends on every layer of the tag.
      securityRules: [{ name: 'ssh-from-vnet', properties: { priority: 100, direction: 'Inbound', access: 'Allow', protocol: 'Tcp', sourceAddressPrefix: 'VirtualNetwork', sourcePortRange: '*', destinationAddressPrefix: '*', destinationPortRange: '22' } }],
      subnets: [{ id: `${HUB}/subnets/web` }, { id: `${HUB}/subnets/app` }, { id: `${HUB}/subnets/subnet1` }, { id: `${SPOKE}/subnets/s1` }],
    },
  };
  const endpoint: Json = {
    id: ENDPOINT,
    name: 'sql-pe',
    type: 'Microsoft.Network/privateEndpoints',
    properties: { subnet: { id: `${HUB}/subnets/app` }, networkInterfaces: [{ id: `${RG}/networkInterfaces/sql-pe.nic` }] },
  };
  return [
    hub,
    spoke,
    nsg,
    routeTable as Json,
    body('VirtualNetworkGatewayGet'),
    body('VirtualNetworkGatewayConnectionGet'),
    body('LocalNetworkGatewayGet'),
    endpoint,
    nic('nic1', `${HUB}/subnets/web`, '10.0.1.4', vm('vm1')),
    nic('spoke-nic', `${SPOKE}/subnets/s1`, '10.5.0.4', vm('vm2')),
    nic('sql-pe.nic', `${HUB}/subnets/app`, '10.0.2.5', { privateEndpoint: { id: ENDPOINT } }),
    ...scaleSetNics,
  ];
}

/** The hub's gateway learned 172.30.0.0/16 over BGP: every NIC behind it shows the route. */
function serveEffectiveRoutes(transport: ArmTransport): void {
  const routes = example('NetworkInterfaceEffectiveRouteTableList');
  const location = routes.responses['202']?.headers?.['Location'] ?? '';
  transport.on('POST', `${RG}/networkInterfaces/{nic}/effectiveRouteTable`, () => ({ status: 202, headers: { Location: location, 'Retry-After': '0' } }));
  transport.on('GET', new URL(location).pathname, () => {
    const list = structuredClone(routes.responses['200']?.body) as { value: Json[] };
    list.value.push({ source: 'VirtualNetworkGateway', state: 'Active', addressPrefix: ['172.30.0.0/16'], nextHopType: 'VirtualNetworkGateway', nextHopIpAddress: ['10.0.255.4'] });
    return { status: 200, body: list };
  });
}

function served() {
  const transport = createArmTransport();
  serveEstate(transport, createArmEstate(estateResources()));
  serveEffectiveRoutes(transport);
  const reader = createArmReader({ credential: testCredential(), httpClient: transport, budgets: createReadBudgets({ capacity: 1e9, refillPerSecond: 1e9, sweepReserve: 0 }), retry: { maxAttempts: 1 } });
  const source = armSource({ reader, subscriptions: [SUB] });
  if (!source.targeted) throw new Error('the ARM source reads by id');
  return { transport, source, targeted: source.targeted };
}

function judgement(estate: Estate, only: Set<string>) {
  const output = evaluateRules(estate, { only, serviceTags: undefined });
  return { judged: [...output.judged].sort(), findings: output.findings.map((f) => f.fingerprint).sort(), evidence: output.findings.map((f) => JSON.stringify(f.evidence)).sort() };
}

const LIMITS = { maxResources: 100, maxRounds: 8, firstDepth: 3 };

describe('events on the VirtualNetwork layers, private endpoints and scale sets', () => {
  const scopes: { name: string; scope: Scope; reaches: string[] }[] = [
    { name: 'a route table: the subnets using it', scope: { kind: 'routeTable', id: normalizeId(`${RG}/routeTables/testrt`), subscriptionId: SUB }, reaches: [`${HUB}/subnets/app`] },
    { name: 'a gateway: its network and the spoke using it', scope: { kind: 'virtualNetworkGateway', id: normalizeId(`${RG}/virtualNetworkGateways/vpngw`), subscriptionId: SUB }, reaches: [`${HUB}/subnets/web`, `${SPOKE}/subnets/s1`, `${RG}/networkInterfaces/spoke-nic`] },
    { name: 'a connection: the networks behind its gateway', scope: { kind: 'gatewayConnection', id: normalizeId(`${RG}/connections/connS2S`), subscriptionId: SUB }, reaches: [`${HUB}/subnets/web`, `${SPOKE}/subnets/s1`] },
    { name: 'a private endpoint: its NIC and subnet', scope: { kind: 'privateEndpoint', id: normalizeId(ENDPOINT), subscriptionId: SUB }, reaches: [`${HUB}/subnets/app`, `${RG}/networkInterfaces/sql-pe.nic`] },
    { name: 'a scale set: its instance NICs', scope: { kind: 'scaleSet', id: normalizeId(SCALE_SET), subscriptionId: SUB }, reaches: [`${SCALE_SET}/virtualMachines/1/networkInterfaces/nic1`] },
  ];

  it.each(scopes)('$name, judged as the sweep judges it', async ({ scope, reaches }) => {
    const { source, targeted, transport } = served();
    const inventory = await source.readInventory(SUB, { priority: 'sweep' });
    expect(inventory.failures).toEqual([]);
    const full = loadEstate(inventory.documents);
    expect(full.effectiveRouteTables?.size).toBe(2);
    const expected = affectedResources(full, scope);
    for (const id of reaches) expect([...expected.resources].join(' '), id).toContain(normalizeId(id));

    const before = transport.requests.length;
    const read = await readScopeEstate(targeted, scope, LIMITS);
    if (read.kind !== 'read') throw new Error(`${scope.kind}: ${read.kind}`);
    expect([...read.affected.resources].sort()).toEqual([...expected.resources].sort());
    expect(judgement(read.estate, read.affected.resources)).toEqual(judgement(full, expected.resources));
    // By id, not the inventory: of the subscription's lists, only the short ones of Bastions (who
    // serves a network), of the services that own or use a subnet (which sits where), and of load
    // balancers and public IPs (where a public path starts).
    const paths = transport.requests.slice(before).map((r) => r.path);
    const short = /\/(bastionHosts|applicationGateways|Microsoft\.ApiManagement\/service|Microsoft\.ContainerService\/managedClusters|Microsoft\.AAD\/domainServices|loadBalancers|publicIPAddresses)$/;
    expect(paths.filter((p) => /^\/subscriptions\/[^/]+\/providers\//.test(p) && !short.test(p))).toEqual([]);
  });

  it('a local network gateway, or a gateway gone, is judged from the whole inventory: nothing leads from it to its networks', async () => {
    const { targeted } = served();
    const local = await readScopeEstate(targeted, { kind: 'localNetworkGateway', id: normalizeId(`${RG}/localNetworkGateways/localgw`), subscriptionId: SUB }, LIMITS);
    expect(local.kind).toBe('too-large');
    const gone = await readScopeEstate(targeted, { kind: 'virtualNetworkGateway', id: normalizeId(`${RG}/virtualNetworkGateways/gone`), subscriptionId: SUB }, LIMITS);
    expect(gone.kind).toBe('too-large');
  });

  it('what VirtualNetwork holds there: the local network gateway\'s space and the BGP-learned prefix, in the hub and through it in the spoke', async () => {
    const { source } = served();
    const full = loadEstate((await source.readInventory(SUB, { priority: 'sweep' })).documents);
    expect(full.errors).toEqual([]);
    const relations = relateEstate(full);
    for (const vnet of [HUB, SPOKE]) {
      const scope = relations.virtualNetworkScopes.get(normalizeId(vnet));
      if (scope?.kind !== 'known') throw new Error(`${vnet} is known`);
      expect(scope.prefixes, vnet).toEqual(expect.arrayContaining(['10.1.0.0/16', '172.30.0.0/16']));
    }
  });
});
