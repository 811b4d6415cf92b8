/**
 * Which resources a scope's verdicts live on: the NSGs, subnets and NICs whose findings a change
 * to the scope resource can move. The rules judge exactly these (with the whole estate as context),
 * so a targeted evaluation never touches findings outside them. Pure.
 */
import type { Scope } from '../azure/scopes.js';
import type { Estate, NetworkInterface, NetworkSecurityGroup } from '../estate/model.js';
import { asgIdsNamedBy } from '../estate/fields.js';
import { kindOfId, normalizeId, parentId, topLevelKey } from '../arm/index.js';
import { assertNever } from '../nsg/index.js';

export interface AffectedResources {
  /** Normalised ids of the NSGs, subnets and NICs to judge. */
  resources: Set<string>;
  /** True when the scope resource itself is absent from a complete read: it was deleted. */
  scopeDeleted: boolean;
  /** True when every NSG attached to nothing is among them (the NSG a change detached is not known). */
  unattachedNsgs: boolean;
  /** ASGs whose referencing NSGs are among them (a NIC's memberships changed, or an ASG changed). */
  asgsReached: Set<string>;
}

/** What each subnet or NIC was last judged with (lib/store guard memory), by key. */
export interface PreviousGuards {
  records: ReadonlyMap<string, { nsg: string; asgs: string }>;
  /** Every subnet and NIC that existed was recorded: one without an entry is new. */
  complete: boolean;
}

/**
 * A NIC's ASG memberships with the addresses each lends its ASG, in one comparable string
 * (`asg|ip,ip;asg|ip`, sorted): what NSGs naming those ASGs see of the NIC. '' for none.
 */
export function membershipSignature(nic: NetworkInterface | undefined): string {
  const parts = new Set<string>();
  for (const config of nic?.ipConfigurations ?? []) {
    const ips = [...config.privateIpAddresses].sort().join(',');
    for (const asg of config.applicationSecurityGroups) parts.add(`${asg.key}|${ips}`);
  }
  return [...parts].sort().join(';');
}

function asgsOfSignature(signature: string): string[] {
  return signature === '' ? [] : signature.split(';').map((part) => part.split('|')[0] ?? '');
}

const BASTION_SUBNET = 'azurebastionsubnet';

/** What an event's scope reaches, gathered hop by hop: each `add` puts a resource and the verdicts that move with it. */
function affectedSet(estate: Estate, graph: EstateGraph, previous: PreviousGuards | undefined) {
  const out = new Set<string>();
  let unattachedNsgs = false;
  const asgsReached = new Set<string>();
  const addAsg = (asgKey: string): void => {
    asgsReached.add(asgKey);
    for (const nsg of graph.nsgsReferencingAsg.get(asgKey) ?? []) addNsg(nsg);
  };

  // One hop, never a closure: a change to an NSG moves its own verdicts, those of the subnets and
  // NICs it guards, and those of the NSGs composed with it at those attachment points.
  const addNsg = (nsgKey: string): void => {
    out.add(nsgKey);
    for (const subnet of graph.subnetsOfNsg.get(nsgKey) ?? []) {
      out.add(subnet);
      for (const nic of graph.nicsOfSubnet.get(subnet) ?? []) addComposed(nic);
    }
    for (const nic of graph.nicsOfNsg.get(nsgKey) ?? []) {
      out.add(nic);
      addSubnetsOfNic(nic);
    }
  };
  /** The subnets a NIC sits in and their NSGs (the other layer of the composition). */
  const addSubnetsOfNic = (nicKey: string): void => {
    for (const ipc of estate.networkInterfaces.get(nicKey)?.ipConfigurations ?? []) {
      if (!ipc.subnet) continue;
      out.add(ipc.subnet.key);
      const subnetNsg = estate.subnets.get(ipc.subnet.key)?.networkSecurityGroup;
      if (subnetNsg) out.add(subnetNsg.key);
    }
  };
  /** A NIC in a guarded subnet: the NIC and its own NSG (the other layer of the composition). */
  const addComposed = (nicKey: string): void => {
    out.add(nicKey);
    const nicNsg = estate.networkInterfaces.get(nicKey)?.networkSecurityGroup;
    if (nicNsg) out.add(nicNsg.key);
  };
  const addSubnet = (subnetKey: string): void => {
    out.add(subnetKey);
    const nsg = estate.subnets.get(subnetKey)?.networkSecurityGroup;
    if (nsg) out.add(nsg.key);
    for (const nic of graph.nicsOfSubnet.get(subnetKey) ?? []) addComposed(nic);
  };
  const addNic = (nicKey: string): void => {
    addComposed(nicKey);
    addSubnetsOfNic(nicKey);
  };
  const addVnet = (vnetKey: string, withPeers: boolean): void => {
    for (const subnet of graph.subnetsOfVnet.get(vnetKey) ?? []) addSubnet(subnet);
    if (withPeers) for (const peer of graph.peersOfVnet.get(vnetKey) ?? []) addVnet(peer, false);
  };
  // Bastion verdicts (BAS-002/003) live on every subnet of the VNets the Bastion serves.
  const addBastionSubnet = (subnetKey: string): void => {
    addSubnet(subnetKey);
    const vnet = estate.subnets.get(subnetKey)?.virtualNetwork.key;
    if (vnet) addVnet(vnet, true);
  };

  // A subnet or NIC that dropped its NSG leaves that NSG attached to nothing (or less): the NSGs
  // that now guard nothing are cheap to judge and are where such a detach shows.
  const addUnattachedNsgs = (): void => {
    unattachedNsgs = true;
    for (const key of estate.networkSecurityGroups.keys()) {
      if (!graph.subnetsOfNsg.has(key) && !graph.nicsOfNsg.has(key)) out.add(key);
    }
  };
  // Better: the NSGs these subnets or NICs had when last judged, when that is known for each.
  const addDetachedNsgs = (resources: Iterable<string>): void => {
    if (!previous) return addUnattachedNsgs();
    const before: string[] = [];
    for (const resource of resources) {
      const record = previous.records.get(resource);
      if (record === undefined && !previous.complete) return addUnattachedNsgs();
      if (record?.nsg) before.push(record.nsg);
    }
    for (const nsg of before) addNsg(nsg);
  };


  return {
    addNsg,
    addSubnet,
    addNic,
    addVnet,
    addBastionSubnet,
    addAsg,
    addDetachedNsgs,
    add: (key: string): void => void out.add(key),
    result: (scopeDeleted: boolean): AffectedResources => ({ resources: out, scopeDeleted, unattachedNsgs, asgsReached }),
  };
}

export function affectedResources(
  estate: Estate,
  scope: Scope,
  graph: EstateGraph = estateGraph(estate),
  previous?: PreviousGuards,
): AffectedResources {
  const reach = affectedSet(estate, graph, previous);
  const { addNsg, addSubnet, addNic, addVnet, addBastionSubnet, addAsg, addDetachedNsgs } = reach;
  let scopeDeleted = false;
  switch (scope.kind) {
    case 'subscription':
      for (const map of [estate.networkSecurityGroups, estate.subnets, estate.networkInterfaces]) {
        for (const [key, resource] of map) {
          if (resource.subscriptionId.toLowerCase() === scope.subscriptionId) reach.add(key);
        }
      }
      // Findings on the security admin rules that reach this subscription's networks (an
      // AlwaysAllow that lets flows past the NSGs, a Deny that blocks a required one), judged from
      // its networks here, wherever the manager lives: its groups may hold networks of any
      // subscription in its scope (https://learn.microsoft.com/azure/virtual-network-manager/concept-network-manager-scope).
      for (const key of adminRuleKeys(estate)) reach.add(key);
      // A subscription re-judged for a deleted admin rule: the rule's findings resolve.
      if (kindOfId(scope.id) === 'adminRule') {
        reach.add(scope.id);
        scopeDeleted = !adminRuleKeys(estate).has(scope.id);
      }
      break;
    case 'nsg':
      scopeDeleted = !estate.networkSecurityGroups.has(scope.id);
      addNsg(scope.id);
      break;
    case 'subnet': {
      scopeDeleted = !estate.subnets.has(scope.id);
      if (estate.subnets.get(scope.id)?.name.toLowerCase() === BASTION_SUBNET) addBastionSubnet(scope.id);
      else addSubnet(scope.id);
      // A subnet's NSG may have changed: the NSG it has now and its other attachments.
      const nsg = estate.subnets.get(scope.id)?.networkSecurityGroup;
      if (nsg) addNsg(nsg.key);
      addDetachedNsgs([scope.id]);
      break;
    }
    case 'virtualNetwork':
      scopeDeleted = !estate.virtualNetworks.has(scope.id);
      // Peers see this VNet's space as part of their VirtualNetwork tag.
      addVnet(scope.id, true);
      addDetachedNsgs(new Set([...(graph.subnetsOfVnet.get(scope.id) ?? []), ...subnetsRecalledUnder(previous, scope.id)]));
      break;
    case 'nic': {
      scopeDeleted = !estate.networkInterfaces.has(scope.id);
      addNic(scope.id);
      addDetachedNsgs([scope.id]);
      // NSGs naming the NIC's ASGs see its addresses: they move when its memberships or addresses
      // did (the ASGs it left and joined), which only a record of them can rule out.
      const now = membershipSignature(estate.networkInterfaces.get(scope.id));
      const record = previous?.records.get(scope.id);
      const known = previous !== undefined && (record !== undefined || previous.complete);
      if (!known || (record?.asgs ?? '') !== now) {
        for (const asg of new Set([...asgsOfSignature(now), ...asgsOfSignature(record?.asgs ?? '')])) addAsg(asg);
      }
      break;
    }
    case 'natGateway': {
      const gateway = estate.natGateways.get(scope.id);
      scopeDeleted = !gateway;
      for (const subnet of gateway?.subnets ?? []) addSubnet(subnet.key);
      for (const subnet of graph.subnetsOfNatGateway.get(scope.id) ?? []) addSubnet(subnet);
      break;
    }
    case 'bastionHost': {
      const bastion = estate.bastionHosts.get(scope.id);
      scopeDeleted = !bastion;
      for (const subnet of bastion?.subnets ?? []) addBastionSubnet(subnet.key);
      break;
    }
    case 'publicIp': {
      // The NICs and load balancers it gives a public path (DESIGN §7), from either side.
      const ip = estate.publicIpAddresses.get(scope.id);
      scopeDeleted = !ip;
      const holder = ip?.ipConfiguration ? normalizeId(parentId(ip.ipConfiguration.id) ?? '') : undefined;
      if (holder !== undefined && estate.networkInterfaces.has(holder)) addNic(holder);
      if (holder !== undefined && estate.loadBalancers.has(holder)) addLoadBalancer(estate, holder, addNic, reach.add);
      for (const [key, nic] of estate.networkInterfaces) if (nic.ipConfigurations.some((c) => c.publicIpAddress?.key === scope.id)) addNic(key);
      for (const lb of estate.loadBalancers.values()) {
        if (lb.frontends.some((f) => f.publicIpAddress?.key === scope.id)) addLoadBalancer(estate, lb.key, addNic, reach.add);
      }
      break;
    }
    case 'loadBalancer':
      scopeDeleted = !estate.loadBalancers.has(scope.id);
      addLoadBalancer(estate, scope.id, addNic, reach.add);
      break;
    case 'scaleSet': {
      // Its instance NICs (the inventory lists them per scale set) and its profile's NSGs and subnets.
      // The scale set itself is a Compute resource the reader does not GET: never taken as deleted.
      reach.add(scope.id);
      for (const [key, nic] of estate.networkInterfaces) if (nic.scaleSet?.key === scope.id) addNic(key);
      for (const config of estate.scaleSets.get(scope.id)?.networkInterfaceConfigurations ?? []) {
        if (config.networkSecurityGroup) addNsg(config.networkSecurityGroup.key);
        for (const ip of config.ipConfigurations) if (ip.subnet) addSubnet(ip.subnet.key);
      }
      break;
    }
    case 'asg': {
      scopeDeleted = !estate.applicationSecurityGroups.has(scope.id);
      addAsg(scope.id);
      for (const nic of graph.nicsInAsg.get(scope.id) ?? []) addNic(nic);
      break;
    }
    case 'routeTable': {
      // Its routes' prefixes are in VirtualNetwork for the subnets it is associated with (DESIGN §3).
      const table = estate.routeTables.get(scope.id);
      scopeDeleted = !table;
      for (const subnet of table?.subnets ?? []) addSubnet(subnet.key);
      for (const [key, subnet] of estate.subnets) if (subnet.routeTable?.key === scope.id) addSubnet(key);
      break;
    }
    case 'virtualNetworkGateway':
    case 'gatewayConnection':
    case 'localNetworkGateway': {
      // The networks whose VirtualNetwork the gateway's connections extend (DESIGN §7).
      const map = { virtualNetworkGateway: estate.virtualNetworkGateways, gatewayConnection: estate.gatewayConnections, localNetworkGateway: estate.localNetworkGateways }[scope.kind];
      scopeDeleted = !map.has(scope.id);
      for (const vnet of networksBehindGateways(estate, gatewaysOfScope(estate, scope))) addVnet(vnet, false);
      break;
    }
    case 'privateEndpoint': {
      // Its NICs (their subnet's policy decides whether the subnet's NSG filters them) and that subnet.
      const endpoint = estate.privateEndpoints.get(scope.id);
      scopeDeleted = !endpoint;
      if (endpoint?.subnet) addSubnet(endpoint.subnet.key);
      for (const nic of endpoint?.networkInterfaces ?? []) if (estate.networkInterfaces.has(nic.key)) addNic(nic.key);
      for (const [key, nic] of estate.networkInterfaces) if (nic.privateEndpoint?.key === scope.id) addNic(key);
      break;
    }
    case 'applicationGateway': {
      // The subnets of its gateway IP configurations: their service requirements (SVC-001) and the
      // public path its public frontends give them (DESIGN §3 "Public path").
      const gateway = estate.applicationGateways.get(scope.id);
      scopeDeleted = !gateway;
      for (const subnet of gateway?.subnets ?? []) addSubnet(subnet.key);
      break;
    }
    case 'apiManagement': {
      const service = estate.apiManagementServices.get(scope.id);
      scopeDeleted = !service;
      if (service?.subnet) addSubnet(service.subnet.key);
      break;
    }
    case 'domainService': {
      const service = estate.domainServices.get(scope.id);
      scopeDeleted = !service;
      for (const subnet of service?.subnets ?? []) addSubnet(subnet.key);
      break;
    }
    case 'managedCluster': {
      // Its node pools' subnets, and the NSGs of its node resource group (which it owns).
      const cluster = estate.managedClusters.get(scope.id);
      scopeDeleted = !cluster;
      for (const subnet of cluster?.subnets ?? []) addSubnet(subnet.key);
      const group = cluster?.nodeResourceGroup?.toLowerCase();
      if (group !== undefined) for (const [key, nsg] of estate.networkSecurityGroups) if (nsg.resourceGroup.toLowerCase() === group) addNsg(key);
      break;
    }
    default:
      return assertNever(scope.kind, 'scope kind');
  }
  return reach.result(scopeDeleted);
}

function gatewayKeys(estate: Estate): string[] {
  const keys = new Set(estate.virtualNetworkGateways.keys());
  for (const subnet of estate.subnets.values()) for (const key of gatewaysInSubnet(subnet.ipConfigurations)) keys.add(key);
  return [...keys];
}

/** Gateways whose IP configurations a subnet (a GatewaySubnet) lists. */
export function gatewaysInSubnet(ipConfigurations: readonly { key: string }[]): string[] {
  const out: string[] = [];
  for (const config of ipConfigurations) {
    const owner = parentId(config.key);
    if (owner !== undefined && kindOfId(owner) === 'virtualNetworkGateway') out.push(owner);
  }
  return out;
}

/**
 * The gateways a gateway, connection or local network gateway scope changes: the gateway; a
 * connection's sides; the gateways connected to a local network gateway (Azure keeps one while a
 * connection names it, so one gone changes nothing). A gateway or connection gone no longer says
 * which it was: every gateway of the estate.
 */
export function gatewaysOfScope(estate: Estate, scope: Scope): string[] {
  switch (scope.kind) {
    case 'virtualNetworkGateway':
      return estate.virtualNetworkGateways.has(scope.id) ? [scope.id] : gatewayKeys(estate);
    case 'gatewayConnection': {
      const connection = estate.gatewayConnections.get(scope.id);
      if (!connection) return gatewayKeys(estate);
      return [connection.virtualNetworkGateway1?.key, connection.virtualNetworkGateway2?.key].filter((k) => k !== undefined);
    }
    case 'localNetworkGateway': {
      const sides: string[] = [];
      for (const connection of estate.gatewayConnections.values()) {
        if (connection.localNetworkGateway2?.key === scope.id && connection.virtualNetworkGateway1) sides.push(connection.virtualNetworkGateway1.key);
      }
      return sides;
    }
    default:
      return [];
  }
}

/**
 * The networks whose VirtualNetwork a gateway's connections extend: its own (from the gateway,
 * or the GatewaySubnet naming it), and the spokes using it: peered with useRemoteGateways, or
 * peered from its network with allowGatewayTransit (the spoke's side may not be read).
 */
export function networksBehindGateways(estate: Estate, gateways: readonly string[]): Set<string> {
  const wanted = new Set(gateways);
  const networks = new Set<string>();
  for (const key of wanted) {
    const vnet = estate.virtualNetworkGateways.get(key)?.virtualNetwork?.key;
    if (vnet) networks.add(vnet);
  }
  for (const subnet of estate.subnets.values()) {
    if (gatewaysInSubnet(subnet.ipConfigurations).some((g) => wanted.has(g))) networks.add(subnet.virtualNetwork.key);
  }
  const spokes = new Set<string>();
  for (const peering of estate.peerings.values()) {
    const remote = peering.remoteVirtualNetwork?.key;
    if (remote === undefined) continue;
    if (peering.useRemoteGateways === true && networks.has(remote)) spokes.add(peering.virtualNetwork.key);
    if (peering.allowGatewayTransit === true && networks.has(peering.virtualNetwork.key)) spokes.add(remote);
  }
  return new Set([...networks, ...spokes]);
}

/**
 * The attachment points a load balancer sends traffic to: NICs whose IP configurations name its
 * pools or NAT rules, the NICs its pools list, and scale sets whose profile names its pools.
 */
function addLoadBalancer(estate: Estate, lbKey: string, addNic: (nicKey: string) => void, add: (key: string) => void): void {
  const ours = (ref: { id: string }) => topLevelKey(ref.id) === lbKey;
  for (const [key, nic] of estate.networkInterfaces) {
    if (nic.ipConfigurations.some((c) => c.loadBalancerBackendAddressPools.some(ours) || c.loadBalancerInboundNatRules.some(ours))) addNic(key);
  }
  const lb = estate.loadBalancers.get(lbKey);
  for (const pool of lb?.backendPools ?? []) {
    for (const config of pool.backendIpConfigurations) {
      const nic = normalizeId(parentId(config.id) ?? '');
      if (estate.networkInterfaces.has(nic)) addNic(nic);
    }
  }
  for (const scaleSet of estate.scaleSets.values()) {
    for (const config of scaleSet.networkInterfaceConfigurations) {
      if (!config.ipConfigurations.some((ip) => ip.loadBalancerBackendAddressPools.some(ours) || ip.loadBalancerInboundNatPools.some(ours))) continue;
      add(scaleSet.key);
      if (config.networkSecurityGroup) add(config.networkSecurityGroup.key);
      for (const ip of config.ipConfigurations) {
        if (!ip.subnet) continue;
        add(ip.subnet.key);
        const subnetNsg = estate.subnets.get(ip.subnet.key)?.networkSecurityGroup;
        if (subnetNsg) add(subnetNsg.key);
      }
    }
  }
}

/** Subnets of a network the guard memory holds (subnets since removed from it included). */
function subnetsRecalledUnder(previous: PreviousGuards | undefined, vnetKey: string): string[] {
  if (!previous) return [];
  const prefix = `${vnetKey}/subnets/`;
  return [...previous.records.keys()].filter((key) => key.startsWith(prefix));
}

/** Who references whom, from both sides (a resource's own field, or the other side's back-reference). */
export interface EstateGraph {
  subnetsOfNsg: Map<string, Set<string>>;
  nicsOfNsg: Map<string, Set<string>>;
  nicsOfSubnet: Map<string, Set<string>>;
  subnetsOfVnet: Map<string, Set<string>>;
  peersOfVnet: Map<string, Set<string>>;
  subnetsOfNatGateway: Map<string, Set<string>>;
  nsgsReferencingAsg: Map<string, Set<string>>;
  nicsInAsg: Map<string, Set<string>>;
}

export function estateGraph(estate: Estate): EstateGraph {
  const r: EstateGraph = {
    subnetsOfNsg: new Map(),
    nicsOfNsg: new Map(),
    nicsOfSubnet: new Map(),
    subnetsOfVnet: new Map(),
    peersOfVnet: new Map(),
    subnetsOfNatGateway: new Map(),
    nsgsReferencingAsg: new Map(),
    nicsInAsg: new Map(),
  };
  for (const [key, subnet] of estate.subnets) {
    link(r.subnetsOfVnet, subnet.virtualNetwork.key, key);
    if (subnet.networkSecurityGroup) link(r.subnetsOfNsg, subnet.networkSecurityGroup.key, key);
    if (subnet.natGateway) link(r.subnetsOfNatGateway, subnet.natGateway.key, key);
  }
  for (const [key, nic] of estate.networkInterfaces) {
    if (nic.networkSecurityGroup) link(r.nicsOfNsg, nic.networkSecurityGroup.key, key);
    for (const ipc of nic.ipConfigurations) {
      if (ipc.subnet) link(r.nicsOfSubnet, ipc.subnet.key, key);
      for (const asg of ipc.applicationSecurityGroups) link(r.nicsInAsg, asg.key, key);
    }
  }
  for (const [key, nsg] of estate.networkSecurityGroups) {
    // The NSG's own back-references count only for subnets/NICs the estate does not hold itself.
    for (const subnet of nsg.subnets) if (!estate.subnets.has(subnet.key)) link(r.subnetsOfNsg, key, subnet.key);
    for (const nic of nsg.networkInterfaces) {
      if (!estate.networkInterfaces.has(nic.key)) link(r.nicsOfNsg, key, nic.key);
    }
    for (const asg of referencedAsgs(nsg)) link(r.nsgsReferencingAsg, asg, key);
  }
  for (const peering of estate.peerings.values()) {
    const remote = peering.remoteVirtualNetwork?.key;
    if (!remote) continue;
    link(r.peersOfVnet, peering.virtualNetwork.key, remote);
    link(r.peersOfVnet, remote, peering.virtualNetwork.key);
  }
  return r;
}

/** Normalised ids of the ASGs an NSG's rules name. */
export function referencedAsgs(nsg: NetworkSecurityGroup): Set<string> {
  return new Set(asgIdsNamedBy(nsg.raw).map(normalizeId));
}

function link(map: Map<string, Set<string>>, from: string, to: string): void {
  let set = map.get(from);
  if (!set) map.set(from, (set = new Set()));
  set.add(to);
}

/** The security admin rules the estate holds (exported, or in networks' effective lists), by key. */
export function adminRuleKeys(estate: Estate): Set<string> {
  const admin = estate.securityAdmin;
  if (!admin) return new Set();
  return new Set([...admin.rules.keys(), ...[...admin.effective.values()].flatMap((list) => list.rules.map((r) => r.key)), ...admin.active.map((a) => a.rule.key)]);
}
