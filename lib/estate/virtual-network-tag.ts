/**
 * The parts of the VirtualNetwork tag beyond a network's own space and its peerings (DESIGN §3,
 * the seed's definition): the on-premises spaces connected through a virtual network gateway
 * (the local network gateways of the gateway's connections; for a spoke whose peering uses the
 * remote gateway, the hub gateway's connections), and the address prefixes of the user-defined
 * routes on the subnet's route table ("this tag may contain default route").
 *
 * Prefixes learned over BGP (ExpressRoute, VPN with BGP) are not in ARM: live, the effective routes
 * of a NIC in the network give them; otherwise they are missing, and the notes say so wherever a
 * gateway could learn them.
 */
import { nameOfId } from '../arm/index.js';
import type { ArmReference, Estate, GatewayConnection, RouteTable, VirtualNetworkGateway } from './model.js';

/** One on-premises (or gateway-connected) space in VirtualNetwork, and the path it comes by. */
export interface ConnectedSpace {
  connection: { id: string; name: string };
  gateway: { id: string; name: string };
  /** A local network gateway's space, or the other network's for a VNet-to-VNet connection. */
  prefixes: string[];
  via: 'localNetworkGateway' | 'vnetToVnet';
  /** The hub's gateway, used through a peering with useRemoteGateways. */
  throughHub?: { id: string; name: string };
}

export interface GatewayExtent {
  spaces: ConnectedSpace[];
  notes: string[];
  /** Where a gateway could learn prefixes over BGP, which ARM does not hold: said unless a NIC's effective routes were read. */
  bgpNotes: string[];
}

/** What a network's gateway learned, from the effective routes of one NIC in it. */
export interface LearnedRoutes {
  networkInterface: { id: string; name: string };
  /** Prefixes of its active routes with source VirtualNetworkGateway. */
  prefixes: string[];
}

/**
 * VNet key → the gateway routes in the effective routes of a NIC in it (DESIGN §3: live, Azure's
 * own expansion). Routes with source `VirtualNetworkGateway` come from the gateway: the local
 * network gateways' spaces and what it learned over BGP
 * (https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview#next-hop-types-across-azure-tools).
 */
export function learnedRoutes(estate: Estate): Map<string, LearnedRoutes> {
  const out = new Map<string, LearnedRoutes>();
  for (const table of estate.effectiveRouteTables?.values() ?? []) {
    const nic = estate.networkInterfaces.get(table.networkInterface.key);
    const subnet = nic?.ipConfigurations.find((c) => c.subnet)?.subnet;
    const vnetKey = subnet ? estate.subnets.get(subnet.key)?.virtualNetwork.key ?? parentKeyOf(subnet.key) : undefined;
    if (!nic || vnetKey === undefined || out.has(vnetKey)) continue;
    const prefixes = new Set<string>();
    for (const route of table.routes) {
      if (route.source?.toLowerCase() !== 'virtualnetworkgateway' || route.state?.toLowerCase() === 'invalid') continue;
      for (const prefix of route.addressPrefixes) prefixes.add(prefix);
    }
    out.set(vnetKey, { networkInterface: { id: nic.id, name: nic.name }, prefixes: [...prefixes] });
  }
  return out;
}

function parentKeyOf(subnetKey: string): string | undefined {
  const at = subnetKey.lastIndexOf('/subnets/');
  return at < 0 ? undefined : subnetKey.slice(0, at);
}

/** The evidence line for VirtualNetwork taken from a NIC's effective routes. */
export function learnedRoutesNote(learned: LearnedRoutes): string {
  const count = learned.prefixes.length;
  return `VirtualNetwork holds the ${count} prefix${count === 1 ? '' : 'es'} the gateway gives this network, read from the effective routes of NIC ${learned.networkInterface.name} (BGP-learned ones included)`;
}

/** The routes of a subnet's route table as VirtualNetwork sees them. */
export interface RouteExtent {
  routeTable: { id: string; key: string; name: string };
  /** CIDR prefixes of its routes. */
  prefixes: string[];
  /** Routes whose prefix is 0.0.0.0/0 or ::/0: VirtualNetwork then holds the default route. */
  defaultRoutes: string[];
  notes: string[];
}

const DEFAULT_ROUTES = new Set(['0.0.0.0/0', '::/0']);

/** Why BGP-learned prefixes are missing: no NIC's effective routes were read (offline, a role without the action, or past the live read's limit). */
const UNREAD = 'no effective routes of a NIC in it were read: offline, without Microsoft.Network/networkInterfaces/effectiveRouteTable/action, or past the networks a live read takes them for';

/** VNet key → what its gateways (or its hub's) add to VirtualNetwork. */
export function gatewayExtents(estate: Estate, connectedRemotes: (vnetKey: string) => readonly ArmReference[]): Map<string, GatewayExtent> {
  const gatewaysByNetwork = new Map<string, VirtualNetworkGateway[]>();
  for (const gateway of estate.virtualNetworkGateways.values()) {
    if (!gateway.virtualNetwork) continue;
    const list = gatewaysByNetwork.get(gateway.virtualNetwork.key) ?? [];
    list.push(gateway);
    gatewaysByNetwork.set(gateway.virtualNetwork.key, list);
  }
  const connectionsByGateway = new Map<string, GatewayConnection[]>();
  for (const connection of estate.gatewayConnections.values()) {
    for (const side of [connection.virtualNetworkGateway1, connection.virtualNetworkGateway2]) {
      if (!side) continue;
      const list = connectionsByGateway.get(side.key) ?? [];
      list.push(connection);
      connectionsByGateway.set(side.key, list);
    }
  }

  const owned = new Map<string, GatewayExtent>();
  const own = (vnetKey: string): GatewayExtent => {
    const known = owned.get(vnetKey);
    if (known) return known;
    const extent: GatewayExtent = { spaces: [], notes: [], bgpNotes: [] };
    owned.set(vnetKey, extent);
    for (const gateway of gatewaysByNetwork.get(vnetKey) ?? []) {
      const gw = { id: gateway.id, name: gateway.name };
      if (gateway.gatewayType?.toLowerCase() === 'expressroute' || gateway.enableBgp) {
        extent.bgpNotes.push(`gateway ${gateway.name} learns routes over BGP: prefixes it learns are not in ARM, so VirtualNetwork here lacks them (${UNREAD})`);
      }
      const connections = connectionsByGateway.get(gateway.key) ?? [];
      if (connections.length === 0) {
        extent.notes.push(`no connection of gateway ${gateway.name} is in the estate: VirtualNetwork has no on-premises space through it`);
      }
      for (const connection of connections) {
        const conn = { id: connection.id, name: connection.name };
        const status = connection.connectionStatus && connection.connectionStatus.toLowerCase() !== 'connected' ? ` (status ${connection.connectionStatus})` : '';
        if (connection.enableBgp) extent.bgpNotes.push(`connection ${connection.name} uses BGP: prefixes learned over it are not in ARM (${UNREAD})`);
        const type = connection.connectionType?.toLowerCase();
        if (type === 'expressroute') {
          extent.bgpNotes.push(`connection ${connection.name} is ExpressRoute: its on-premises prefixes are learned over BGP and not in ARM (${UNREAD})`);
          continue;
        }
        if (type === 'vnet2vnet') {
          const other = connection.virtualNetworkGateway1?.key === gateway.key ? connection.virtualNetworkGateway2 : connection.virtualNetworkGateway1;
          const otherGateway = other ? estate.virtualNetworkGateways.get(other.key) : undefined;
          const otherNetwork = otherGateway?.virtualNetwork ? estate.virtualNetworks.get(otherGateway.virtualNetwork.key) : undefined;
          if (!otherNetwork) {
            extent.notes.push(`the network across VNet-to-VNet connection ${connection.name} is not in the estate: VirtualNetwork lacks its space`);
            continue;
          }
          extent.spaces.push({ connection: conn, gateway: gw, prefixes: otherNetwork.addressPrefixes, via: 'vnetToVnet' });
          continue;
        }
        if (connection.virtualNetworkGateway1?.key !== gateway.key) continue;
        const localRef = connection.localNetworkGateway2;
        if (!localRef) continue;
        const local = estate.localNetworkGateways.get(localRef.key);
        if (!local) {
          extent.notes.push(`local network gateway ${nameOfId(localRef.id)} of connection ${connection.name} is not in the estate: VirtualNetwork lacks its on-premises space`);
          continue;
        }
        if (local.bgp) extent.bgpNotes.push(`local network gateway ${local.name} announces routes over BGP: prefixes learned from it are not in ARM (${UNREAD})`);
        if (status) extent.notes.push(`connection ${connection.name}${status}: its on-premises space is counted in VirtualNetwork as configured`);
        extent.spaces.push({ connection: conn, gateway: gw, prefixes: local.addressPrefixes, via: 'localNetworkGateway' });
      }
    }
    return extent;
  };

  const extents = new Map<string, GatewayExtent>();
  const networks = new Set([...estate.virtualNetworks.keys(), ...gatewaysByNetwork.keys()]);
  for (const vnetKey of networks) {
    const base = own(vnetKey);
    const extent: GatewayExtent = { spaces: [...base.spaces], notes: [...base.notes], bgpNotes: [...base.bgpNotes] };
    for (const hub of connectedRemotes(vnetKey)) {
      const hubExtent = own(hub.key);
      const throughHub = { id: hub.id, name: nameOfId(hub.id) };
      extent.spaces.push(...hubExtent.spaces.map((s) => ({ ...s, throughHub })));
      extent.notes.push(...hubExtent.notes.map((n) => `through hub ${throughHub.name}: ${n}`));
      extent.bgpNotes.push(...hubExtent.bgpNotes.map((n) => `through hub ${throughHub.name}: ${n}`));
    }
    if (extent.spaces.length > 0 || extent.notes.length > 0 || extent.bgpNotes.length > 0) extents.set(vnetKey, extent);
  }
  return extents;
}

/** What a subnet's route table adds to VirtualNetwork; a table not in the estate is a note. */
export function routeExtent(estate: Estate, ref: ArmReference): RouteExtent {
  const table: RouteTable | undefined = estate.routeTables.get(ref.key);
  const routeTable = { id: ref.id, key: ref.key, name: table?.name ?? nameOfId(ref.id) };
  if (!table) {
    return { routeTable, prefixes: [], defaultRoutes: [], notes: [`route table ${routeTable.name} is not in the estate: the prefixes of its routes are not in VirtualNetwork`] };
  }
  const prefixes: string[] = [];
  const defaultRoutes: string[] = [];
  const notes: string[] = [];
  for (const route of table.routes) {
    const prefix = route.addressPrefix;
    const isCidr = /^[0-9]/.test(prefix) || prefix.includes(':') || prefix.includes('/');
    if (!isCidr) {
      notes.push(`route ${route.name} in route table ${table.name} names service tag ${prefix}: its addresses are not added to VirtualNetwork`);
      continue;
    }
    if (!prefixes.includes(prefix)) prefixes.push(prefix);
    if (DEFAULT_ROUTES.has(prefix)) defaultRoutes.push(route.name);
  }
  return { routeTable, prefixes, defaultRoutes, notes };
}

/** The evidence line for a route table whose routes put the default route into VirtualNetwork. */
export function defaultRouteNote(extent: RouteExtent): string {
  return `route table ${extent.routeTable.name} has a default route (${extent.defaultRoutes.join(', ')}): VirtualNetwork holds every address it covers, so rules naming VirtualNetwork (AllowVnetInBound too) admit the whole Internet through it`;
}
