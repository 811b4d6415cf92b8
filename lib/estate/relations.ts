/**
 * The relations the rules ask about: which NSGs guard each NIC and subnet (attachment points),
 * what `VirtualNetwork` means at each of them, which subnets sit behind which NAT gateway, which
 * virtual networks a Bastion serves, and which addresses each ASG stands for.
 *
 * References to resources outside the estate are normal (partial exports): they show up as
 * `missing` / `unknown`, never as errors.
 */
import { kindOfId, nameOfId, normalizeId, parentId, topLevelId } from '../arm/index.js';
import type {
  ArmReference,
  BastionHost,
  Estate,
  NetworkInterface,
  NetworkSecurityGroup,
  NicIpConfiguration,
  ScaleSet,
  Subnet,
  VirtualNetwork,
  VirtualNetworkPeering,
} from './model.js';
import {
  defaultRouteNote,
  gatewayExtents,
  learnedRoutes,
  learnedRoutesNote,
  routeExtent,
  type ConnectedSpace,
  type GatewayExtent,
  type LearnedRoutes,
  type RouteExtent,
} from './virtual-network-tag.js';
import { privateEndpointAt, privateEndpointsByNic, type PrivateEndpointAt } from './private-endpoints.js';

/** What guards one side of an attachment point. */
export type NsgSlot =
  /** No NSG: everything passes this side. */
  | { state: 'none' }
  | { state: 'present'; id: string; key: string; nsg: NetworkSecurityGroup }
  /** An NSG is referenced but is not in the estate: its rules are unknown. */
  | { state: 'missing'; id: string; key: string }
  /** The estate cannot tell whether there is an NSG (the resource itself is not in the estate). */
  | { state: 'unknown' };

export interface PeeredNetwork {
  id: string;
  key: string;
  name: string;
  /** undefined when neither the peering nor the estate holds the remote address space. */
  prefixes: string[] | undefined;
  /** The peering that connects them (ours, or the remote side's when we hold only that). */
  peeringId: string;
}

/** What `VirtualNetwork` stands for at an attachment point (DESIGN §3). */
export type VirtualNetworkScope =
  | {
      kind: 'known';
      /** The network's key, with the route table's when the scope is a subnet's that has one. */
      key: string;
      virtualNetwork: VirtualNetwork;
      /** Own address space ∪ directly peered networks' (Connected) ∪ spaces connected through a gateway. */
      prefixes: string[];
      peers: PeeredNetwork[];
      /** Connected peerings whose remote space is unknown: `prefixes` lacks them. */
      unresolvedPeers: PeeredNetwork[];
      /** On-premises and VNet-to-VNet spaces through the network's gateway (or its hub's). */
      connected: ConnectedSpace[];
      /** The subnet's route table: its routes' prefixes are in VirtualNetwork too. */
      routes?: RouteExtent;
      /** Live: the gateway routes of a NIC's effective routes in this network (BGP-learned included). */
      learned?: LearnedRoutes;
      /** What the estate cannot tell about this VirtualNetwork (BGP, missing gateways' parts). */
      notes: string[];
    }
  /** No virtual network known: the engine applies its documented default and says so. */
  | { kind: 'unknown'; virtualNetworkId: string | undefined; reason: string };

export type LocalAddresses =
  /** NIC IPs, or a subnet's prefixes. */
  | { kind: 'exact'; addresses: string[] }
  /** A NIC whose IP is not known yet (dynamic allocation): it lies within these subnet prefixes. */
  | { kind: 'within'; prefixes: string[] }
  | { kind: 'unknown' };

/**
 * Where an effective policy applies (DESIGN §4): a NIC with its subnet's NSG, a subnet with no
 * NIC in the estate, or an NSG associated with nothing.
 */
export interface AttachmentPoint {
  /** `scaleSet`: a scale set's network profile, standing for its instance NICs when the estate holds none of them. */
  kind: 'networkInterface' | 'scaleSet' | 'subnet' | 'unattached';
  /** The NIC's id, the scale set's id, the subnet's id, or (unattached) the NSG's id. */
  id: string;
  key: string;
  name: string;
  /** undefined for a NIC known only from an NSG's back-reference. */
  networkInterface: NetworkInterface | undefined;
  subnetId: string | undefined;
  subnet: Subnet | undefined;
  subnetNsg: NsgSlot;
  /** For an unattached NSG, the NSG itself sits here. */
  nicNsg: NsgSlot;
  virtualNetwork: VirtualNetworkScope;
  local: LocalAddresses;
  /** Set on a private endpoint's NIC: not a VM, and filtered by its subnet's NSG only when the subnet says so. */
  privateEndpoint?: PrivateEndpointAt;
  /** The scale set a scale-set point or a scale-set instance's NIC belongs to (findings name it once, with its instances). */
  scaleSetId?: string;
  /** A scale-set point: how many instances it stands for (`sku.capacity`), when known. */
  instances?: number;
}

export interface AsgMembership {
  asg: ArmReference;
  /** Private IPs of every member IP configuration. */
  addresses: string[];
  /** Member IP configurations. */
  members: ArmReference[];
  /** Members whose IP is not known (dynamic allocation not done yet): `addresses` lacks them. */
  membersWithoutAddress: ArmReference[];
}

export interface BastionCoverage {
  bastion: BastionHost;
  /** The AzureBastionSubnet. */
  subnet: ArmReference;
  /** undefined when the subnet is not in the estate. */
  subnetPrefixes: string[] | undefined;
  virtualNetwork: ArmReference;
  /** Its own virtual network first, then every directly peered one in state Connected. */
  servedVirtualNetworks: ArmReference[];
}

export type SubnetRole = 'bastion' | 'gateway' | 'firewall' | 'firewallManagement' | 'routeServer' | 'workload';

/** Subnet names Azure reserves for a service (compared case-insensitively). */
export const RESERVED_SUBNET_NAMES: Readonly<Record<Exclude<SubnetRole, 'workload'>, string>> = {
  bastion: 'AzureBastionSubnet',
  gateway: 'GatewaySubnet',
  firewall: 'AzureFirewallSubnet',
  firewallManagement: 'AzureFirewallManagementSubnet',
  routeServer: 'RouteServerSubnet',
};

const ROLE_BY_NAME: ReadonlyMap<string, SubnetRole> = new Map(
  Object.entries(RESERVED_SUBNET_NAMES).map(([role, name]) => [name.toLowerCase(), role as SubnetRole]),
);

export function subnetRole(name: string): SubnetRole {
  return ROLE_BY_NAME.get(name.trim().toLowerCase()) ?? 'workload';
}

export interface EstateRelations {
  estate: Estate;
  attachments: AttachmentPoint[];
  /** NSG key → the attachment points where it takes part. */
  attachmentsByNsg: ReadonlyMap<string, AttachmentPoint[]>;
  /** NIC key → its attachment points (one per subnet its IP configurations sit in). */
  attachmentsByNic: ReadonlyMap<string, AttachmentPoint[]>;
  subnetsByVirtualNetwork: ReadonlyMap<string, Subnet[]>;
  nicsBySubnet: ReadonlyMap<string, NetworkInterface[]>;
  /** Subnet key → NAT gateways, from either side (`natGateway.subnets` or `subnet.natGateway`). */
  natGatewaysBySubnet: ReadonlyMap<string, ArmReference[]>;
  /** NAT gateway key → its subnets, from either side. */
  subnetsByNatGateway: ReadonlyMap<string, ArmReference[]>;
  asgMembers: ReadonlyMap<string, AsgMembership>;
  bastions: BastionCoverage[];
  /** VNet key → what `VirtualNetwork` means in it (every VNet of the estate or referenced by a subnet). */
  virtualNetworkScopes: ReadonlyMap<string, VirtualNetworkScope>;
  /** What `VirtualNetwork` means in one subnet: its network's, plus its route table's prefixes. */
  subnetScope(subnet: Subnet): VirtualNetworkScope;
}

/** Computes every relation once; queries below read the result. */
export function relateEstate(estate: Estate): EstateRelations {
  const subnetsByVirtualNetwork = groupBy([...estate.subnets.values()], (s) => s.virtualNetwork.key);
  const nicsBySubnet = new Map<string, NetworkInterface[]>();
  for (const nic of estate.networkInterfaces.values()) {
    for (const key of new Set(nic.ipConfigurations.flatMap((c) => (c.subnet ? [c.subnet.key] : [])))) {
      push(nicsBySubnet, key, nic);
    }
  }
  const peers = connectedPeers(estate);
  const remoteGatewayPeerings = groupBy([...estate.peerings.values()].filter((p) => p.useRemoteGateways === true), (p) => p.virtualNetwork.key);
  const gateways = gatewayExtents(estate, (vnetKey) => hubsOf(remoteGatewayPeerings.get(vnetKey) ?? [], peers.get(vnetKey) ?? []));
  const learned = learnedRoutes(estate);
  const scopes = new Map<string, VirtualNetworkScope>();
  const routed = new Map<string, VirtualNetworkScope>();
  const scopeOf = (vnetId: string | undefined, routeTable?: ArmReference): VirtualNetworkScope => {
    if (vnetId === undefined) return { kind: 'unknown', virtualNetworkId: undefined, reason: 'its virtual network is not known' };
    const key = normalizeId(vnetId);
    let scope = scopes.get(key);
    if (!scope) {
      scope = virtualNetworkScopeOf(estate, vnetId, peers.get(key) ?? [], gateways.get(key), learned.get(key));
      scopes.set(key, scope);
    }
    if (!routeTable || scope.kind !== 'known') return scope;
    const routedKey = `${key}|${routeTable.key}`;
    let withRoutes = routed.get(routedKey);
    if (!withRoutes) {
      withRoutes = { ...scope, key: routedKey, routes: routeExtent(estate, routeTable) };
      routed.set(routedKey, withRoutes);
    }
    return withRoutes;
  };

  for (const vnet of estate.virtualNetworks.values()) scopeOf(vnet.id);
  const attachments = attachmentPoints(estate, nicsBySubnet, scopeOf);
  const attachmentsByNsg = new Map<string, AttachmentPoint[]>();
  const attachmentsByNic = new Map<string, AttachmentPoint[]>();
  for (const point of attachments) {
    const keys = new Set<string>();
    for (const slot of [point.subnetNsg, point.nicNsg]) if (slot.state === 'present') keys.add(slot.key);
    for (const key of keys) push(attachmentsByNsg, key, point);
    if (point.kind === 'networkInterface') push(attachmentsByNic, point.key, point);
  }

  const natGatewaysBySubnet = new Map<string, ArmReference[]>();
  const subnetsByNatGateway = new Map<string, ArmReference[]>();
  const link = (nat: ArmReference, subnet: ArmReference) => {
    if (!(natGatewaysBySubnet.get(subnet.key) ?? []).some((n) => n.key === nat.key)) push(natGatewaysBySubnet, subnet.key, nat);
    if (!(subnetsByNatGateway.get(nat.key) ?? []).some((s) => s.key === subnet.key)) push(subnetsByNatGateway, nat.key, subnet);
  };
  for (const nat of estate.natGateways.values()) for (const subnet of nat.subnets) link(nat, subnet);
  for (const subnet of estate.subnets.values()) if (subnet.natGateway) link(subnet.natGateway, subnet);

  const bastions: BastionCoverage[] = [];
  for (const bastion of estate.bastionHosts.values()) {
    for (const subnetRef of uniqueRefs(bastion.subnets)) {
      const vnetId = parentId(subnetRef.id);
      if (vnetId === undefined) continue;
      const vnet = { id: vnetId, key: normalizeId(vnetId) };
      bastions.push({
        bastion,
        subnet: subnetRef,
        subnetPrefixes: estate.subnets.get(subnetRef.key)?.addressPrefixes,
        virtualNetwork: vnet,
        servedVirtualNetworks: [vnet, ...(peers.get(vnet.key) ?? []).map((p) => ({ id: p.id, key: p.key }))],
      });
    }
  }

  const subnetScopes = (subnet: Subnet): VirtualNetworkScope => scopeOf(subnet.virtualNetwork.id, subnet.routeTable);
  return {
    estate,
    subnetScope: subnetScopes,
    attachments,
    attachmentsByNsg,
    attachmentsByNic,
    subnetsByVirtualNetwork,
    nicsBySubnet,
    natGatewaysBySubnet,
    subnetsByNatGateway,
    asgMembers: asgMemberships(estate),
    bastions,
    virtualNetworkScopes: scopes,
  };
}

/** The attachment point of a subnet with no NICs in it: its NSG alone, over its own address range. */
export function subnetPoint(subnet: Subnet, subnetNsg: NsgSlot, virtualNetwork: VirtualNetworkScope): AttachmentPoint {
  return {
    kind: 'subnet',
    id: subnet.id,
    key: subnet.key,
    name: subnet.name,
    networkInterface: undefined,
    subnetId: subnet.id,
    subnet,
    subnetNsg,
    nicNsg: { state: 'none' },
    virtualNetwork,
    local: { kind: 'exact', addresses: subnet.addressPrefixes },
  };
}

/** What `VirtualNetwork` means in a virtual network (unknown when the estate does not hold it). */
export function virtualNetworkScope(relations: EstateRelations, virtualNetworkId: string): VirtualNetworkScope {
  return (
    relations.virtualNetworkScopes.get(normalizeId(virtualNetworkId)) ?? {
      kind: 'unknown',
      virtualNetworkId,
      reason: `virtual network ${nameOfId(virtualNetworkId)} is not in the estate`,
    }
  );
}

/** The NSG that guards a subnet: the subnet's own field when it is in the estate, else NSG back-references. */
export function subnetNsgSlot(estate: Estate, subnetId: string): NsgSlot {
  const key = normalizeId(subnetId);
  const subnet = estate.subnets.get(key);
  if (subnet) return slotOf(estate, subnet.networkSecurityGroup);
  return backReferencedSlot(estate, key, 'subnets');
}

/** The NSG on a NIC itself: the NIC's own field when it is in the estate, else NSG back-references. */
export function nicNsgSlot(estate: Estate, nicId: string): NsgSlot {
  const key = normalizeId(nicId);
  const nic = estate.networkInterfaces.get(key);
  if (nic && !nic.partial) return slotOf(estate, nic.networkSecurityGroup);
  return backReferencedSlot(estate, key, 'networkInterfaces');
}

/** Attachment points of one NIC: its NSG with its subnet's NSG, one per subnet it sits in. */
export function guardsOfNetworkInterface(relations: EstateRelations, nicId: string): AttachmentPoint[] {
  return relations.attachmentsByNic.get(normalizeId(nicId)) ?? [];
}

export function attachmentsOfNsg(relations: EstateRelations, nsgId: string): AttachmentPoint[] {
  return relations.attachmentsByNsg.get(normalizeId(nsgId)) ?? [];
}

export function natGatewaysOfSubnet(relations: EstateRelations, subnetId: string): ArmReference[] {
  return relations.natGatewaysBySubnet.get(normalizeId(subnetId)) ?? [];
}

export function subnetsOfNatGateway(relations: EstateRelations, natGatewayId: string): ArmReference[] {
  return relations.subnetsByNatGateway.get(normalizeId(natGatewayId)) ?? [];
}

/** Bastions whose served virtual networks include this one (its own or a directly peered one). */
export function bastionsServing(relations: EstateRelations, virtualNetworkId: string): BastionCoverage[] {
  const key = normalizeId(virtualNetworkId);
  return relations.bastions.filter((b) => b.servedVirtualNetworks.some((v) => v.key === key));
}

/** ASG key → member addresses, the shape the engine resolves ASG rules from. */
export function asgAddresses(relations: EstateRelations): Map<string, string[]> {
  return new Map([...relations.asgMembers].map(([key, m]) => [key, m.addresses]));
}

/**
 * The one `VirtualNetwork` an NSG sees across all its attachment points; unknown when it is
 * attached nowhere known, or in several virtual networks (then `VirtualNetwork` differs by place).
 */
export function nsgVirtualNetworkScope(relations: EstateRelations, nsgId: string): VirtualNetworkScope {
  const points = attachmentsOfNsg(relations, nsgId);
  const known = new Map<string, VirtualNetworkScope>();
  const unknown: VirtualNetworkScope[] = [];
  for (const point of points) {
    const scope = point.virtualNetwork;
    if (scope.kind === 'known') known.set(scope.key, scope);
    else unknown.push(scope);
  }
  const [only, ...others] = [...known.values()];
  if (only && others.length === 0 && unknown.length === 0) return only;
  const reason =
    points.length === 0
      ? 'the NSG is not associated with any subnet or NIC'
      : known.size > 1
        ? `the NSG is associated in ${known.size} virtual networks, so VirtualNetwork differs by attachment`
        : known.size === 1
          ? 'some of the NSG\'s attachments are in virtual networks the estate does not hold'
          : unknown[0]?.kind === 'unknown'
            ? unknown[0].reason
            : 'its virtual network is not known';
  return { kind: 'unknown', virtualNetworkId: undefined, reason };
}

function attachmentPoints(
  estate: Estate,
  nicsBySubnet: ReadonlyMap<string, NetworkInterface[]>,
  scopeOf: (vnetId: string | undefined, routeTable?: ArmReference) => VirtualNetworkScope,
): AttachmentPoint[] {
  const points: AttachmentPoint[] = [];
  const none: NsgSlot = { state: 'none' };
  const endpoints = privateEndpointsByNic(estate);
  // Subnet NSGs associated but not applied to the private endpoints they sit beside: still attached.
  const bypassed = new Set<string>();

  for (const nic of estate.networkInterfaces.values()) {
    const nicNsg: NsgSlot = nic.partial ? { state: 'unknown' } : slotOf(estate, nic.networkSecurityGroup);
    const endpoint = endpoints.get(nic.key);
    const bySubnet = groupBy(nic.ipConfigurations, (c) => c.subnet?.key ?? '');
    for (const configs of bySubnet.values()) {
      const subnetRef = configs[0]?.subnet;
      const subnet = subnetRef ? estate.subnets.get(subnetRef.key) : undefined;
      let subnetNsg: NsgSlot = subnetRef ? subnetNsgSlot(estate, subnetRef.id) : { state: 'unknown' };
      const at = endpoint ? privateEndpointAt(endpoint, estate, subnet) : undefined;
      if (at && at.subnetNsgApplies !== true && subnetRef) {
        if (subnetNsg.state === 'present') bypassed.add(subnetNsg.key);
        subnetNsg = at.subnetNsgApplies === false ? none : { state: 'unknown' };
      }
      points.push({
        kind: 'networkInterface',
        id: nic.id,
        key: nic.key,
        name: nic.name,
        networkInterface: nic,
        subnetId: subnetRef?.id,
        subnet,
        subnetNsg,
        nicNsg,
        virtualNetwork: scopeOf(subnetRef ? parentId(subnetRef.id) : undefined, subnet?.routeTable),
        local: nicAddresses(configs, subnet),
        ...(at ? { privateEndpoint: at } : {}),
        ...(nic.scaleSet ? { scaleSetId: nic.scaleSet.id } : {}),
      });
    }
  }

  // NICs outside the estate that an NSG says it guards, or a subnet lists the IP configurations
  // of (DESIGN §3 "Scale-set NICs"): judged with what the back-references tell, the rest unknown.
  const known = new Set(estate.networkInterfaces.keys());
  const backReferenced = backReferencedNics(estate);
  for (const [nicKey, found] of backReferenced) {
    if (known.has(nicKey)) continue;
    known.add(nicKey);
    const subnetRef = found.subnet;
    const subnet = subnetRef ? estate.subnets.get(subnetRef.key) : undefined;
    const scaleSet = found.scaleSetId ? estate.scaleSets.get(normalizeId(found.scaleSetId)) : undefined;
    const byNsg = nicNsgSlot(estate, found.id);
    points.push({
      kind: 'networkInterface',
      id: found.id,
      key: nicKey,
      name: nameOfId(found.id),
      networkInterface: undefined,
      subnetId: subnetRef?.id,
      subnet,
      subnetNsg: subnetRef ? subnetNsgSlot(estate, subnetRef.id) : { state: 'unknown' },
      // A scale-set instance takes the NSG of its scale set's profile when no NSG names it.
      nicNsg: byNsg.state === 'unknown' && scaleSet ? slotOf(estate, profileNsg(scaleSet, subnetRef)) : byNsg,
      virtualNetwork: scopeOf(subnetRef ? parentId(subnetRef.id) : undefined, subnet?.routeTable),
      local: subnet ? { kind: 'within', prefixes: subnet.addressPrefixes } : { kind: 'unknown' },
      ...(found.scaleSetId ? { scaleSetId: found.scaleSetId } : {}),
    });
  }

  // A scale set whose instance NICs the estate does not hold stands for them with its profile.
  const scaleSetsWithNics = new Set<string>();
  for (const nic of estate.networkInterfaces.values()) if (nic.scaleSet) scaleSetsWithNics.add(nic.scaleSet.key);
  for (const found of backReferenced.values()) if (found.scaleSetId) scaleSetsWithNics.add(normalizeId(found.scaleSetId));
  const scaleSetSubnets = new Set<string>();
  for (const scaleSet of estate.scaleSets.values()) {
    if (scaleSetsWithNics.has(scaleSet.key)) continue;
    // A Flexible set's VMs have ordinary NICs, in the NIC list, that name no scale set: where the
    // estate holds NICs in the profile's subnet, they are its instances (or its neighbours), judged as NICs.
    const flexibleWithNics = (subnetKey: string | undefined) =>
      scaleSet.orchestrationMode === 'Flexible' && subnetKey !== undefined && nicsBySubnet.has(subnetKey);
    const seen = new Set<string>();
    for (const config of scaleSet.networkInterfaceConfigurations) {
      for (const ip of config.ipConfigurations) {
        const subnetKey = ip.subnet?.key ?? '';
        if (seen.has(subnetKey) || flexibleWithNics(ip.subnet?.key)) continue;
        seen.add(subnetKey);
        if (ip.subnet) scaleSetSubnets.add(ip.subnet.key);
        const subnet = ip.subnet ? estate.subnets.get(ip.subnet.key) : undefined;
        points.push({
          kind: 'scaleSet',
          id: scaleSet.id,
          key: scaleSet.key,
          name: scaleSet.name,
          networkInterface: undefined,
          subnetId: ip.subnet?.id,
          subnet,
          subnetNsg: ip.subnet ? subnetNsgSlot(estate, ip.subnet.id) : { state: 'unknown' },
          nicNsg: slotOf(estate, config.networkSecurityGroup),
          virtualNetwork: scopeOf(ip.subnet ? parentId(ip.subnet.id) : undefined, subnet?.routeTable),
          local: subnet ? { kind: 'within', prefixes: subnet.addressPrefixes } : { kind: 'unknown' },
          scaleSetId: scaleSet.id,
          ...(scaleSet.capacity !== undefined ? { instances: scaleSet.capacity } : {}),
        });
      }
    }
  }
  for (const found of backReferenced.values()) if (found.subnet) scaleSetSubnets.add(found.subnet.key);

  for (const subnet of estate.subnets.values()) {
    // A subnet holding only private endpoints (no VM) is judged as one with no NIC as well.
    const nics = nicsBySubnet.get(subnet.key);
    if (nics && !nics.every((nic) => endpoints.has(nic.key))) continue;
    // A subnet a scale set's profile or back-referenced NICs sit in is judged at those.
    if (scaleSetSubnets.has(subnet.key)) continue;
    points.push(subnetPoint(subnet, slotOf(estate, subnet.networkSecurityGroup), scopeOf(subnet.virtualNetwork.id, subnet.routeTable)));
  }

  // Subnets outside the estate that an NSG says it guards.
  const seenSubnets = new Set([...estate.subnets.keys(), ...nicsBySubnet.keys(), ...scaleSetSubnets]);
  for (const nsg of estate.networkSecurityGroups.values()) {
    for (const subnetRef of uniqueRefs(nsg.subnets)) {
      if (seenSubnets.has(subnetRef.key)) continue;
      seenSubnets.add(subnetRef.key);
      points.push({
        kind: 'subnet',
        id: subnetRef.id,
        key: subnetRef.key,
        name: nameOfId(subnetRef.id),
        networkInterface: undefined,
        subnetId: subnetRef.id,
        subnet: undefined,
        subnetNsg: subnetNsgSlot(estate, subnetRef.id),
        nicNsg: none,
        virtualNetwork: scopeOf(parentId(subnetRef.id)),
        local: { kind: 'unknown' },
      });
    }
  }

  const attached = new Set<string>(bypassed);
  for (const point of points) {
    for (const slot of [point.subnetNsg, point.nicNsg]) if (slot.state === 'present') attached.add(slot.key);
  }
  for (const nsg of estate.networkSecurityGroups.values()) {
    if (attached.has(nsg.key)) continue;
    points.push({
      kind: 'unattached',
      id: nsg.id,
      key: nsg.key,
      name: nsg.name,
      networkInterface: undefined,
      subnetId: undefined,
      subnet: undefined,
      subnetNsg: none,
      nicNsg: { state: 'present', id: nsg.id, key: nsg.key, nsg },
      virtualNetwork: { kind: 'unknown', virtualNetworkId: undefined, reason: 'the NSG is not associated with any subnet or NIC' },
      local: { kind: 'unknown' },
    });
  }
  return points;
}

interface BackReferencedNic {
  id: string;
  /** The subnet that lists one of its IP configurations. */
  subnet: ArmReference | undefined;
  scaleSetId: string | undefined;
}

/** NICs named by NSG back-references (`networkInterfaces`) or by subnets' `ipConfigurations`, in id order. */
function backReferencedNics(estate: Estate): Map<string, BackReferencedNic> {
  const found = new Map<string, BackReferencedNic>();
  const add = (nicId: string, subnet: ArmReference | undefined) => {
    const key = normalizeId(nicId);
    const existing = found.get(key);
    if (existing) {
      if (!existing.subnet && subnet) existing.subnet = subnet;
      return;
    }
    const kind = kindOfId(nicId);
    found.set(key, { id: nicId, subnet, scaleSetId: kind === 'scaleSetNetworkInterface' ? topLevelId(nicId) : undefined });
  };
  for (const nsg of estate.networkSecurityGroups.values()) for (const nicRef of uniqueRefs(nsg.networkInterfaces)) add(nicRef.id, undefined);
  for (const subnet of estate.subnets.values()) {
    for (const config of subnet.ipConfigurations) {
      const kind = kindOfId(config.id);
      if (kind !== 'networkInterfaceIpConfiguration' && kind !== 'scaleSetNetworkInterfaceIpConfiguration') continue;
      const nicId = parentId(config.id);
      if (nicId !== undefined) add(nicId, { id: subnet.id, key: subnet.key });
    }
  }
  return found;
}

/** The NSG of the profile NIC configuration that puts a scale set's instances in this subnet (the first one). */
function profileNsg(scaleSet: ScaleSet, subnet: ArmReference | undefined): ArmReference | undefined {
  const configs = scaleSet.networkInterfaceConfigurations;
  const inSubnet = configs.find((c) => c.ipConfigurations.some((ip) => subnet !== undefined && ip.subnet?.key === subnet.key));
  return (inSubnet ?? configs[0])?.networkSecurityGroup;
}

function nicAddresses(configs: readonly NicIpConfiguration[], subnet: Subnet | undefined): LocalAddresses {
  if (configs.every((c) => c.privateIpAddresses.length > 0)) {
    return { kind: 'exact', addresses: [...new Set(configs.flatMap((c) => c.privateIpAddresses))] };
  }
  return subnet ? { kind: 'within', prefixes: subnet.addressPrefixes } : { kind: 'unknown' };
}

function slotOf(estate: Estate, ref: ArmReference | undefined): NsgSlot {
  if (!ref) return { state: 'none' };
  const nsg = estate.networkSecurityGroups.get(ref.key);
  return nsg ? { state: 'present', id: nsg.id, key: nsg.key, nsg } : { state: 'missing', id: ref.id, key: ref.key };
}

/** The latest NSG (by input order) whose back-references list the resource. */
function backReferencedSlot(estate: Estate, key: string, side: 'subnets' | 'networkInterfaces'): NsgSlot {
  const found = backReferences(estate)[side].get(key);
  return found ? { state: 'present', id: found.id, key: found.key, nsg: found } : { state: 'unknown' };
}

const backReferenceCache = new WeakMap<Estate, Record<'subnets' | 'networkInterfaces', Map<string, NetworkSecurityGroup>>>();

function backReferences(estate: Estate): Record<'subnets' | 'networkInterfaces', Map<string, NetworkSecurityGroup>> {
  let index = backReferenceCache.get(estate);
  if (!index) {
    index = { subnets: new Map(), networkInterfaces: new Map() };
    for (const nsg of estate.networkSecurityGroups.values()) {
      for (const side of ['subnets', 'networkInterfaces'] as const) {
        for (const ref of nsg[side]) {
          const current = index[side].get(ref.key);
          if (!current || nsg.origin.sequence > current.origin.sequence) index[side].set(ref.key, nsg);
        }
      }
    }
    backReferenceCache.set(estate, index);
  }
  return index;
}

/**
 * VNet key → directly peered networks in state Connected. Our own peerings decide when we hold
 * any to that network (any Connected one links them); when we hold only the remote side's
 * peering, its state stands for both (Azure shows Connected only once both sides exist).
 */
function connectedPeers(estate: Estate): Map<string, PeeredNetwork[]> {
  const links = new Map<string, Map<string, { connected: boolean; peer: PeeredNetwork }>>();
  const prefixesOf = (vnetKey: string) => estate.virtualNetworks.get(vnetKey)?.addressPrefixes;
  const linksOf = (vnetKey: string) => {
    let byRemote = links.get(vnetKey);
    if (!byRemote) links.set(vnetKey, (byRemote = new Map()));
    return byRemote;
  };
  const isConnected = (state: string | undefined) => state?.toLowerCase() === 'connected';

  for (const peering of estate.peerings.values()) {
    const remote = peering.remoteVirtualNetwork;
    if (!remote || remote.key === peering.virtualNetwork.key) continue;
    const byRemote = linksOf(peering.virtualNetwork.key);
    const connected = isConnected(peering.peeringState);
    const existing = byRemote.get(remote.key);
    if (existing?.connected) continue;
    byRemote.set(remote.key, {
      connected,
      peer: {
        id: remote.id,
        key: remote.key,
        name: nameOfId(remote.id),
        prefixes: peering.remoteAddressPrefixes ?? prefixesOf(remote.key),
        peeringId: peering.id,
      },
    });
  }
  const ownLinks = new Map([...links].map(([k, m]) => [k, new Set(m.keys())]));
  for (const peering of estate.peerings.values()) {
    const remote = peering.remoteVirtualNetwork;
    const vnet = peering.virtualNetwork;
    if (!remote || remote.key === vnet.key || ownLinks.get(remote.key)?.has(vnet.key)) continue;
    const byRemote = linksOf(remote.key);
    if (byRemote.get(vnet.key)?.connected) continue;
    byRemote.set(vnet.key, {
      connected: isConnected(peering.peeringState),
      peer: { id: vnet.id, key: vnet.key, name: nameOfId(vnet.id), prefixes: prefixesOf(vnet.key), peeringId: peering.id },
    });
  }

  const result = new Map<string, PeeredNetwork[]>();
  for (const [vnetKey, byRemote] of links) {
    const connected = [...byRemote.values()].filter((l) => l.connected).map((l) => l.peer);
    if (connected.length > 0) result.set(vnetKey, connected);
  }
  return result;
}

function virtualNetworkScopeOf(
  estate: Estate,
  vnetId: string,
  peers: PeeredNetwork[],
  gateway: GatewayExtent | undefined,
  learned: LearnedRoutes | undefined,
): VirtualNetworkScope {
  const vnet = estate.virtualNetworks.get(normalizeId(vnetId));
  if (!vnet) {
    return { kind: 'unknown', virtualNetworkId: vnetId, reason: `virtual network ${nameOfId(vnetId)} is not in the estate` };
  }
  const prefixes = new Set(vnet.addressPrefixes);
  for (const peer of peers) for (const p of peer.prefixes ?? []) prefixes.add(p);
  for (const space of gateway?.spaces ?? []) for (const p of space.prefixes) prefixes.add(p);
  for (const p of learned?.prefixes ?? []) prefixes.add(p);
  // Azure's own expansion, where it was read, stands for what ARM lacks (BGP); else the notes say what is missing.
  const notes = [...(gateway?.notes ?? []), ...(learned ? [learnedRoutesNote(learned)] : (gateway?.bgpNotes ?? []))];
  return {
    kind: 'known',
    key: vnet.key,
    virtualNetwork: vnet,
    prefixes: [...prefixes],
    peers,
    unresolvedPeers: peers.filter((p) => p.prefixes === undefined),
    connected: gateway?.spaces ?? [],
    ...(learned ? { learned } : {}),
    notes,
  };
}

/** The hubs whose gateway a network uses: peers over a Connected peering of ours with useRemoteGateways. */
function hubsOf(ownPeerings: readonly VirtualNetworkPeering[], connected: readonly PeeredNetwork[]): ArmReference[] {
  if (ownPeerings.length === 0) return [];
  const connectedKeys = new Set(connected.map((p) => p.key));
  const hubs = new Map<string, ArmReference>();
  for (const peering of ownPeerings) {
    const remote = peering.remoteVirtualNetwork;
    if (remote && connectedKeys.has(remote.key)) hubs.set(remote.key, remote);
  }
  return [...hubs.values()];
}

function asgMemberships(estate: Estate): Map<string, AsgMembership> {
  const memberships = new Map<string, AsgMembership>();
  for (const asg of estate.applicationSecurityGroups.values()) {
    memberships.set(asg.key, { asg: { id: asg.id, key: asg.key }, addresses: [], members: [], membersWithoutAddress: [] });
  }
  for (const nic of estate.networkInterfaces.values()) {
    for (const config of nic.ipConfigurations) {
      for (const asg of config.applicationSecurityGroups) {
        let m = memberships.get(asg.key);
        if (!m) memberships.set(asg.key, (m = { asg, addresses: [], members: [], membersWithoutAddress: [] }));
        const member = { id: config.id, key: config.key };
        m.members.push(member);
        if (config.privateIpAddresses.length === 0) m.membersWithoutAddress.push(member);
        for (const address of config.privateIpAddresses) if (!m.addresses.includes(address)) m.addresses.push(address);
      }
    }
  }
  return memberships;
}

function uniqueRefs(refs: readonly ArmReference[]): ArmReference[] {
  const seen = new Map<string, ArmReference>();
  for (const r of refs) if (!seen.has(r.key)) seen.set(r.key, r);
  return [...seen.values()];
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) push(groups, keyOf(item), item);
  return groups;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** The engine's context inputs (lib/nsg ContextOptions) for an attachment's VirtualNetwork scope. */
export interface ContextInputs {
  /** Absent when no virtual network is known: the engine then applies its documented default. */
  virtualNetworkPrefixes?: string[];
  /** The subnet's user-defined route prefixes (in VirtualNetwork, still the Internet where public). */
  routePrefixes?: string[];
  asgAddresses: Map<string, string[]>;
  /** What the estate could not tell, for the evidence (the engine adds its own assumptions). */
  notes: string[];
}

export function contextInputs(relations: EstateRelations, scope: VirtualNetworkScope): ContextInputs {
  const asg = asgAddresses(relations);
  if (scope.kind === 'unknown') return { asgAddresses: asg, notes: [`VirtualNetwork unknown: ${scope.reason}`] };
  const routes = scope.routes;
  return {
    virtualNetworkPrefixes: scope.prefixes,
    ...(routes && routes.prefixes.length > 0 ? { routePrefixes: routes.prefixes } : {}),
    asgAddresses: asg,
    notes: [
      ...scope.unresolvedPeers.map((p) => `peered virtual network ${p.name} is Connected but its address space is unknown: VirtualNetwork lacks it`),
      ...scope.notes,
      ...(routes?.notes ?? []),
      ...(routes && routes.defaultRoutes.length > 0 ? [defaultRouteNote(routes)] : []),
    ],
  };
}
