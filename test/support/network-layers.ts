/**
 * The layers Azure adds to a network's VirtualNetwork tag (DESIGN §3), over an estate in ARM REST
 * shape (the shapes of RouteTableList, VirtualNetworkGatewayGet, VirtualNetworkGatewayConnectionGet
 * and LocalNetworkGatewayGet in ../shared/corpus/rest-api-examples/2024-07-01): route tables on a
 * subnet of some networks, and route-based VPN gateways in a GatewaySubnet of others, each with an
 * IPsec connection to a local network gateway (an on-premises site). For benchmarks and tests.
 */
import type { ArmTransport } from './arm-transport.js';

type Json = Record<string, unknown>;

export interface NetworkLayerOptions {
  routeTables: number;
  gateways: number;
}

export interface NetworkLayers {
  /** The estate with the layers: networks gain a GatewaySubnet, subnets their route table. */
  resources: Json[];
  routeTables: string[];
  gateways: string[];
  connections: string[];
  localNetworkGateways: string[];
}

function ipv4(text: string): number {
  return text.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function dotted(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** The last /27 of an IPv4 prefix (where a GatewaySubnet goes). */
function lastSlash27(prefix: string): string {
  const [address = '0.0.0.0', length = '32'] = prefix.split('/');
  const size = 2 ** (32 - Number(length));
  const start = ipv4(address) - (ipv4(address) % size);
  return `${dotted(start + size - 32)}/27`;
}

const props = (resource: Json): Json => {
  const existing = resource['properties'];
  if (typeof existing === 'object' && existing !== null) return existing as Json;
  const created: Json = {};
  resource['properties'] = created;
  return created;
};

/**
 * Adds `routeTables` route tables (each on the second subnet of one network, spread over the
 * networks; every fourth with a 0.0.0.0/0 route to an appliance) and `gateways` VPN gateways (each
 * in its own network, between the route tables' ones) with their connections and local network
 * gateways. Deterministic; the input is copied, never changed.
 */
export function withNetworkLayers(input: readonly Json[], options: NetworkLayerOptions): NetworkLayers {
  const resources = structuredClone(input) as Json[];
  const networks = resources.filter((r) => String(r['type']).toLowerCase() === 'microsoft.network/virtualnetworks');
  if (networks.length < Math.max(options.routeTables, options.gateways)) {
    throw new RangeError(`${networks.length} networks cannot hold ${options.routeTables} route tables and ${options.gateways} gateways`);
  }
  const step = Math.max(1, Math.floor(networks.length / Math.max(options.routeTables, options.gateways)));
  const out: NetworkLayers = { resources, routeTables: [], gateways: [], connections: [], localNetworkGateways: [] };

  for (let n = 0; n < options.routeTables; n += 1) {
    const network = networks[(n * step) % networks.length] as Json;
    const subnets = (props(network)['subnets'] ?? []) as Json[];
    const subnet = subnets[Math.min(1, subnets.length - 1)];
    if (!subnet) continue;
    const vnetId = String(network['id']);
    const group = vnetId.slice(0, vnetId.toLowerCase().indexOf('/virtualnetworks/'));
    const id = `${group}/routeTables/rt-${n}`;
    const routes: Json[] = [
      { name: 'onprem', id: `${id}/routes/onprem`, properties: { addressPrefix: `192.168.${n % 256}.0/24`, nextHopType: 'VirtualNetworkGateway' } },
      { name: 'partner', id: `${id}/routes/partner`, properties: { addressPrefix: `172.31.${n % 256}.0/24`, nextHopType: 'VirtualAppliance', nextHopIpAddress: '10.255.0.4' } },
    ];
    if (n % 4 === 0) routes.push({ name: 'default', id: `${id}/routes/default`, properties: { addressPrefix: '0.0.0.0/0', nextHopType: 'VirtualAppliance', nextHopIpAddress: '10.255.0.4' } });
    props(subnet)['routeTable'] = { id };
    resources.push({
      name: `rt-${n}`,
      id,
      type: 'Microsoft.Network/routeTables',
      location: network['location'] ?? 'westeurope',
      properties: { provisioningState: 'Succeeded', disableBgpRoutePropagation: false, routes, subnets: [{ id: String(subnet['id']) }] },
    });
    out.routeTables.push(id);
  }

  for (let n = 0; n < options.gateways; n += 1) {
    const network = networks[(n * step + Math.floor(step / 2)) % networks.length] as Json;
    const vnetId = String(network['id']);
    const group = vnetId.slice(0, vnetId.toLowerCase().indexOf('/virtualnetworks/'));
    const location = network['location'] ?? 'westeurope';
    const space = ((props(network)['addressSpace'] as Json | undefined)?.['addressPrefixes'] ?? []) as string[];
    const id = `${group}/virtualNetworkGateways/vpngw-${n}`;
    const ipConfiguration = `${id}/ipConfigurations/default`;
    const gatewaySubnet = `${vnetId}/subnets/GatewaySubnet`;
    const subnets = (props(network)['subnets'] ?? []) as Json[];
    subnets.push({ name: 'GatewaySubnet', id: gatewaySubnet, type: 'Microsoft.Network/virtualNetworks/subnets', properties: { addressPrefix: lastSlash27(space[0] ?? '10.0.0.0/16'), ipConfigurations: [{ id: ipConfiguration }] } });
    props(network)['subnets'] = subnets;
    resources.push({
      name: `vpngw-${n}`,
      id,
      type: 'Microsoft.Network/virtualNetworkGateways',
      location,
      properties: {
        provisioningState: 'Succeeded',
        ipConfigurations: [{ name: 'default', id: ipConfiguration, properties: { privateIPAllocationMethod: 'Dynamic', subnet: { id: gatewaySubnet } } }],
        sku: { name: 'VpnGw1', tier: 'VpnGw1' },
        gatewayType: 'Vpn',
        vpnType: 'RouteBased',
        enableBgp: false,
        activeActive: false,
      },
    });
    const local = `${group}/localNetworkGateways/site-${n}`;
    resources.push({
      name: `site-${n}`,
      id: local,
      type: 'Microsoft.Network/localNetworkGateways',
      location,
      properties: { provisioningState: 'Succeeded', localNetworkAddressSpace: { addressPrefixes: [`172.16.${n % 256}.0/24`, `192.0.2.${(n * 8) % 256}/29`] }, gatewayIpAddress: `198.51.100.${(n % 250) + 1}` },
    });
    const connection = `${group}/connections/vpngw-${n}-to-site-${n}`;
    resources.push({
      name: `vpngw-${n}-to-site-${n}`,
      id: connection,
      type: 'Microsoft.Network/connections',
      location,
      properties: { provisioningState: 'Succeeded', virtualNetworkGateway1: { id }, localNetworkGateway2: { id: local }, connectionType: 'IPsec', connectionProtocol: 'IKEv2', routingWeight: 0, enableBgp: false, connectionStatus: 'Connected' },
    });
    out.gateways.push(id);
    out.connections.push(connection);
    out.localNetworkGateways.push(local);
  }
  return out;
}

/**
 * Serves each NIC's effective routes (POST .../effectiveRouteTable, a long-running operation: 202
 * with a Location, then the list, as NetworkInterfaceEffectiveRouteTableList shows): the system
 * routes, and what the gateway learned when `learned` gives a prefix for the NIC.
 */
export function serveEffectiveRoutes(transport: ArmTransport, learned: (nicId: string) => string[] = () => []): void {
  const base = '/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/networkInterfaces/{nic}';
  transport.on('POST', `${base}/effectiveRouteTable`, (request) => {
    const nic = `/${request.segments.slice(0, 8).join('/')}`;
    return { status: 202, headers: { Location: `https://management.azure.com${nic}/operationResults/routes?api-version=2024-07-01`, 'Retry-After': '0' } };
  });
  transport.on('GET', `${base}/operationResults/routes`, (request) => {
    const nic = `/${request.segments.slice(0, 8).join('/')}`;
    const value: Json[] = [
      { source: 'Default', state: 'Active', addressPrefix: ['0.0.0.0/0'], nextHopType: 'Internet', nextHopIpAddress: [] },
      ...learned(nic).map((prefix) => ({ source: 'VirtualNetworkGateway', state: 'Active', addressPrefix: [prefix], nextHopType: 'VirtualNetworkGateway', nextHopIpAddress: [] })),
    ];
    return { status: 200, body: { value } };
  });
}
