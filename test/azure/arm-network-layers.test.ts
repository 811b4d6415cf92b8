/**
 * The VirtualNetwork layers read live, through the real NetworkManagementClient on the test
 * transport: route tables and private endpoints in the subscription's lists, gateways per resource
 * group with their connections and local network gateways, and Azure's own expansion of what a
 * gateway learned (a NIC's effective routes, a long-running POST the SDK polls). The bodies are the
 * 2024-07-01 REST examples, read in place.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createArmReader, EFFECTIVE_ROUTES_ACTION, effectiveRouteProbes } from '../../lib/azure/arm.js';
import { createReadBudgets } from '../../lib/azure/budget.js';
import { loadEstate } from '../../lib/estate/load.js';
import { relateEstate } from '../../lib/estate/relations.js';
import { normalizeId } from '../../lib/arm/index.js';
import { armError, createArmEstate, createArmTransport, serveEstate, testCredential, type ArmTransport } from '../support/arm-transport.js';

type Json = Record<string, unknown>;

/** A 2024-07-01 REST example: its parameters and responses, read in place. */
function example(name: string): { responses: Record<string, { body?: unknown; headers?: Record<string, string> }> } {
  const path = fileURLToPath(new URL(`../../../shared/corpus/rest-api-examples/2024-07-01/${name}.json`, import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')) as { responses: Record<string, { body?: unknown; headers?: Record<string, string> }> };
}
const body = (name: string): Json => structuredClone(example(name).responses['200']?.body) as Json;

const RG = '/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network';
const VNET = `${RG}/virtualNetworks/vnet1`;
const GATEWAY_CONFIG = `${RG}/virtualNetworkGateways/vpngw/ipConfigurations/gwipconfig1`;

function nic(name: string, subnet: string, onVm: boolean): Json {
  return {
    id: `${RG}/networkInterfaces/${name}`,
    name,
    type: 'Microsoft.Network/networkInterfaces',
    properties: {
      ...(onVm ? { virtualMachine: { id: `/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/${name}-vm` } } : {}),
      ipConfigurations: [{ id: `${RG}/networkInterfaces/${name}/ipConfigurations/ipconfig1`, name: 'ipconfig1', properties: { privateIPAddress: subnet === 'web' ? '10.0.1.4' : '10.0.2.4', subnet: { id: `${VNET}/subnets/${subnet}` } } }],
    },
  };
}

/**
 * The hub of the examples: vnet1 with the VPN gateway's GatewaySubnet (vpngw, its S2S connection
 * connS2S to localgw, 10.1.0.0/16), subnet `web` (no route table) and `app` (route table testrt,
 * which turns gateway route propagation off), NICs on VMs in both and one NIC on no VM.
 */
function hubEstate(options: { bgp?: boolean } = {}): Json[] {
  const [routeTable] = body('RouteTableList')['value'] as Json[];
  const gateway = body('VirtualNetworkGatewayGet');
  if (options.bgp) (gateway['properties'] as Json)['enableBgp'] = true;
  const vnet: Json = {
    id: VNET,
    name: 'vnet1',
    type: 'Microsoft.Network/virtualNetworks',
    properties: {
      addressSpace: { addressPrefixes: ['10.0.0.0/16'] },
      subnets: [
        { id: `${VNET}/subnets/GatewaySubnet`, name: 'GatewaySubnet', properties: { addressPrefix: '10.0.255.0/27', ipConfigurations: [{ id: GATEWAY_CONFIG }] } },
        { id: `${VNET}/subnets/web`, name: 'web', properties: { addressPrefix: '10.0.1.0/24', ipConfigurations: [{ id: `${RG}/networkInterfaces/nic-without-vm/ipConfigurations/ipconfig1` }, { id: `${RG}/networkInterfaces/nic1/ipConfigurations/ipconfig1` }] } },
        { id: `${VNET}/subnets/app`, name: 'app', properties: { addressPrefix: '10.0.2.0/24', routeTable: { id: String(routeTable?.['id']) }, ipConfigurations: [{ id: `${RG}/networkInterfaces/app-nic/ipConfigurations/ipconfig1` }] } },
      ],
    },
  };
  return [vnet, routeTable as Json, gateway, body('VirtualNetworkGatewayConnectionGet'), body('LocalNetworkGatewayGet'), nic('nic1', 'web', true), nic('nic-without-vm', 'web', false), nic('app-nic', 'app', true)];
}

/** A gateway route as the effective routes list gives one (source VirtualNetworkGateway). */
const LEARNED = { source: 'VirtualNetworkGateway', state: 'Active', addressPrefix: ['192.168.50.0/24'], nextHopType: 'VirtualNetworkGateway', nextHopIpAddress: ['10.0.255.4'] };
const INVALID = { ...LEARNED, state: 'Invalid', addressPrefix: ['192.168.99.0/24'] };

/** POST effectiveRouteTable → 202 with the example's Location; the Location → 200 with the example's routes plus `extra`. */
function serveEffectiveRoutes(transport: ArmTransport, extra: Json[]): void {
  const routes = example('NetworkInterfaceEffectiveRouteTableList');
  const location = routes.responses['202']?.headers?.['Location'] ?? '';
  transport.on('POST', `${RG}/networkInterfaces/{nic}/effectiveRouteTable`, () => ({ status: 202, headers: { Location: location, 'Retry-After': '0' } }));
  transport.on('GET', new URL(location).pathname, () => {
    const list = structuredClone(routes.responses['200']?.body) as { value: Json[] };
    return { status: 200, body: { value: [...list.value, ...extra] } };
  });
}

function reader(transport: ArmTransport) {
  return createArmReader({ credential: testCredential(), httpClient: transport, budgets: createReadBudgets({ capacity: 1e9, refillPerSecond: 1e9, sweepReserve: 0 }), retry: { maxAttempts: 1 } });
}

describe('the VirtualNetwork layers, read live', () => {
  it('lists gateways per resource group, each gateway\'s connections, their local network gateways, and takes a NIC\'s effective routes for what the gateway learned', async () => {
    const transport = createArmTransport();
    serveEstate(transport, createArmEstate(hubEstate()));
    serveEffectiveRoutes(transport, [LEARNED, INVALID]);

    const inventory = await reader(transport).readInventory('subid');

    expect(inventory.failures).toEqual([]);
    expect(transport.unrouted).toEqual([]);
    const paths = transport.requests.map((r) => `${r.method} ${r.path}`);
    expect(paths).toContain(`GET ${RG}/virtualNetworkGateways`);
    expect(paths).toContain(`GET ${RG}/virtualNetworkGateways/vpngw/connections`);
    expect(paths).toContain(`GET ${RG}/localNetworkGateways`);
    // One NIC of the network: on a VM, in the subnet whose routes propagate; the SDK polled the Location.
    expect(paths.filter((p) => p.startsWith('POST'))).toEqual([`POST ${RG}/networkInterfaces/nic1/effectiveRouteTable`]);
    expect(paths.some((p) => p.includes('/operationResults/'))).toBe(true);
    // Every request, the POST and its poll included, is charged to the read budget and counted.
    expect(inventory.reads).toBe(transport.requests.length);

    const estate = loadEstate([{ source: 'arm:/subscriptions/subid', json: inventory.resources }]);
    expect(estate.errors).toEqual([]);
    expect(estate.virtualNetworkGateways.size).toBe(1);
    expect(estate.gatewayConnections.size).toBe(1);
    expect(estate.localNetworkGateways.size).toBe(1);
    const scope = relateEstate(estate).virtualNetworkScopes.get(normalizeId(VNET));
    if (scope?.kind !== 'known') throw new Error('vnet1 is known');
    // The local network gateway's space (ARM), and what the gateway learned (the effective routes): Invalid routes are not in force.
    expect(scope.prefixes).toEqual(expect.arrayContaining(['10.0.0.0/16', '10.1.0.0/16', '192.168.50.0/24']));
    expect(scope.prefixes).not.toContain('192.168.99.0/24');
    expect(scope.learned?.networkInterface.name).toBe('nic1');
    expect(scope.notes).toContainEqual(expect.stringMatching(/read from the effective routes of NIC nic1/));
  });

  it('reads a gateway by id with its connections and the local network gateways they connect to, in one read at depth 0', async () => {
    const GATEWAY = `${RG}/virtualNetworkGateways/vpngw`;
    const LOCAL = `${RG}/localNetworkGateways/localgw`;
    const read = async (fault?: number) => {
      const transport = createArmTransport();
      serveEstate(transport, createArmEstate(hubEstate()));
      if (fault !== undefined) transport.failNext({ kind: 'status', status: fault }, (request) => request.url.pathname.toLowerCase().endsWith('/localnetworkgateways/localgw'));
      return reader(transport).readScopeResources([GATEWAY], { maxDepth: 0 });
    };

    const found = await read();
    expect(found.failures).toEqual([]);
    // The local network gateway ends the chain: no round of its own for what VirtualNetwork takes from it.
    expect(found.resources.map((r) => normalizeId(String((r as Json)['id'])))).toEqual(
      expect.arrayContaining([GATEWAY, `${RG}/connections/connS2S`, LOCAL].map(normalizeId)),
    );
    const estate = loadEstate([{ source: 'arm:gateway', json: found.resources }]);
    expect(estate.localNetworkGateways.get(normalizeId(LOCAL))?.addressPrefixes).toEqual(['10.1.0.0/16']);

    // Gone since the connection named it: confirmed deleted, the gateway read stands.
    const gone = await read(404);
    expect(gone.failures).toEqual([]);
    expect(gone.deleted).toEqual([LOCAL]);
    // Unreadable: the gateway's read fails, and says which resource could not be read.
    const failed = await read(500);
    expect(failed.failures).toHaveLength(1);
    expect(failed.failures[0]?.target).toBe(LOCAL);
  });

  it('without the effective-routes action (403), reads the rest and states what VirtualNetwork lacks', async () => {
    const transport = createArmTransport();
    serveEstate(transport, createArmEstate(hubEstate({ bgp: true })));
    transport.on('POST', `${RG}/networkInterfaces/{nic}/effectiveRouteTable`, () => ({
      status: 403,
      body: armError('AuthorizationFailed', `The client does not have authorization to perform action '${EFFECTIVE_ROUTES_ACTION}' over scope '${RG}/networkInterfaces/nic1'.`),
    }));

    const inventory = await reader(transport).readInventory('subid');

    expect(inventory.failures).toEqual([]);
    const estate = loadEstate([{ source: 'arm:/subscriptions/subid', json: inventory.resources }]);
    expect(estate.effectiveRouteTables).toBeUndefined();
    const scope = relateEstate(estate).virtualNetworkScopes.get(normalizeId(VNET));
    if (scope?.kind !== 'known') throw new Error('vnet1 is known');
    expect(scope.prefixes).toEqual(expect.arrayContaining(['10.0.0.0/16', '10.1.0.0/16']));
    expect(scope.learned).toBeUndefined();
    expect(scope.notes).toContainEqual(expect.stringContaining(`gateway vpngw learns routes over BGP`));
    expect(scope.notes).toContainEqual(expect.stringContaining(EFFECTIVE_ROUTES_ACTION));
  });

  it('a read that fails for any other reason (a 500 after retries) fails the inventory: what the gateway learned is unknown, so nothing may resolve', async () => {
    const transport = createArmTransport();
    serveEstate(transport, createArmEstate(hubEstate()));
    transport.on('POST', `${RG}/networkInterfaces/{nic}/effectiveRouteTable`, () => ({ status: 500, body: armError('InternalServerError', 'try again') }));

    const inventory = await reader(transport).readInventory('subid');

    expect(inventory.failures).toEqual([expect.objectContaining({ target: `${RG}/networkInterfaces/nic1/effectiveRouteTable`, cause: 'server-error' })]);
  });

  it('probes one NIC per network behind a gateway, its own or its hub\'s: on a VM, routes propagating first, then by id', () => {
    const resources = hubEstate();
    expect(effectiveRouteProbes(resources)).toEqual([`${RG}/networkInterfaces/nic1`]);
    // Without nic1, the NIC whose subnet turns propagation off is all there is.
    expect(effectiveRouteProbes(resources.filter((r) => r['name'] !== 'nic1'))).toEqual([`${RG}/networkInterfaces/app-nic`]);
    // A spoke using the hub's gateway is probed too; a network with no gateway is not.
    const spoke = (useRemoteGateways: boolean): Json => ({
      id: `${RG}/virtualNetworks/spoke`,
      name: 'spoke',
      type: 'Microsoft.Network/virtualNetworks',
      properties: {
        addressSpace: { addressPrefixes: ['10.5.0.0/16'] },
        subnets: [{ id: `${RG}/virtualNetworks/spoke/subnets/s1`, name: 's1', properties: { addressPrefix: '10.5.0.0/24' } }],
        virtualNetworkPeerings: [{ name: 'to-hub', properties: { peeringState: 'Connected', useRemoteGateways, remoteVirtualNetwork: { id: VNET } } }],
      },
    });
    const spokeNic = nic('spoke-nic', 'web', true);
    const [spokeConfig] = (spokeNic['properties'] as { ipConfigurations: { properties: Json }[] }).ipConfigurations;
    if (spokeConfig) spokeConfig.properties['subnet'] = { id: `${RG}/virtualNetworks/spoke/subnets/s1` };
    // In the order of their networks (spoke, vnet1).
    expect(effectiveRouteProbes([...resources, spoke(true), spokeNic])).toEqual([`${RG}/networkInterfaces/spoke-nic`, `${RG}/networkInterfaces/nic1`]);
    expect(effectiveRouteProbes([...resources, spoke(false), spokeNic])).toEqual([`${RG}/networkInterfaces/nic1`]);
  });

  it('reads route tables and private endpoints from the subscription\'s lists, and a bad effective route is reported alone', async () => {
    const transport = createArmTransport();
    const endpoints = body('PrivateEndpointList')['value'] as Json[];
    serveEstate(transport, createArmEstate([...hubEstate(), ...endpoints]));
    serveEffectiveRoutes(transport, [LEARNED, { ...LEARNED, addressPrefix: ['192.168.300.0/24'] }]);

    const inventory = await reader(transport).readInventory('subid');
    const estate = loadEstate([{ source: 'arm:/subscriptions/subid', json: inventory.resources }]);

    expect(estate.routeTables.size).toBe(1);
    // The examples' endpoint NIC ids say `provders` (a quirk kept from upstream): each is reported by field, as any bad id is.
    expect(inventory.resources.filter((r) => (r as Json)['type'] === 'Microsoft.Network/privateEndpoints')).toHaveLength(endpoints.length);
    expect(estate.errors).toEqual([
      ...endpoints.map((e) => expect.objectContaining({ resourceId: e['id'], field: 'networkInterfaces[0]' })),
      expect.objectContaining({ resourceId: `${RG}/networkInterfaces/nic1/effectiveRouteTable`, field: 'value[7].addressPrefix[0]' }),
    ]);
    expect(estate.effectiveRouteTables?.get(normalizeId(`${RG}/networkInterfaces/nic1`))?.routes).toHaveLength(7);
  });
});
