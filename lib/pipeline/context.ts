/**
 * What a targeted read of a scope still lacks before its verdicts can be judged from it. Pure.
 *
 * A verdict on an NSG, subnet or NIC depends on more than that resource (DESIGN §3): the NSG
 * composed with it at each attachment point, every NIC in the subnets it guards, what
 * VirtualNetwork means there (the VNet and its peers), the Bastions that serve that network, the
 * subnet's NAT gateway, and the members of every ASG a rule names. The full inventory holds all
 * of it; a targeted read holds it only once each of those resources has been read.
 * `contextNeeds` lists what is missing from what has been read so far; the read loop
 * (targeted.ts) fetches it and asks again, until nothing is.
 *
 * Only resources of the scope's subscription are asked for: the inventory a sweep judges from is
 * one subscription's, and a targeted read must see exactly what it would.
 */
import type { Scope } from '../azure/scopes.js';
import { kindOfId, normalizeId, parentId, type ResourceKind, subscriptionOf, topLevelKey } from '../arm/index.js';
import type { Estate, NetworkInterface, Subnet } from '../estate/model.js';
import {
  affectedResources,
  estateGraph,
  gatewaysInSubnet,
  gatewaysOfScope,
  networksBehindGateways,
  referencedAsgs,
  type AffectedResources,
  type EstateGraph,
  type PreviousGuards,
} from './affected.js';
import { assertNever } from '../nsg/index.js';

export interface ContextNeeds {
  /** What the scope's change can affect, on what has been read so far. */
  affected: AffectedResources;
  /** Ids of resources some verdict depends on that have not been read (child ids name their parent's part). */
  missing: string[];
  /** Keys of ASGs whose members some verdict depends on: every NIC naming one must be read. */
  asgMembers: Set<string>;
  /** Keys of ASGs whose referencing NSGs the scope affects: every NSG naming one must be read. */
  nsgsNamingAsgs: Set<string>;
  /** The scope affects the NSGs attached to nothing: every such NSG must be read. */
  unattachedNsgs: boolean;
  /** Keys of the networks some verdict depends on: every Bastion in one of them serves it. */
  bastionNetworks: Set<string>;
  /**
   * Some subnet or NSG is judged: the services that own or use a subnet (application gateways,
   * API Management, AKS clusters, Domain Services) must be known, and only their lists say which
   * sits where (a subnet does not name them; an AKS cluster's node resource group owns NSGs).
   */
  services: boolean;
  /** Resource groups (lower case) whose NSGs an AKS cluster in scope owns: every NSG in one must be read. */
  nodeResourceGroups: Set<string>;
  /**
   * Some attachment point is judged: its public path depends on every load balancer (an IP-based
   * pool names addresses, not NICs) and on whether the subscription holds public IPs or load
   * balancers at all (DESIGN §3 "Public path"), so their lists must be read, as the inventory's are.
   */
  publicPaths: boolean;
}

/** The kinds a targeted read fetches (children through their parent). */
const READABLE: ReadonlySet<ResourceKind> = new Set([
  'networkSecurityGroup',
  'virtualNetwork',
  'subnet',
  'networkInterface',
  'natGateway',
  'bastionHost',
  'routeTable',
  'virtualNetworkGateway',
  'virtualNetworkGatewayConnection',
  'localNetworkGateway',
  'privateEndpoint',
  'virtualMachineScaleSet',
  // An application gateway's public frontend: the public path it gives the gateway's subnet.
  'publicIPAddress',
]);

/** The kinds whose verdicts are judged at attachment points (an NSG's at the points it takes part in). */
const POINT_KINDS: ReadonlySet<ResourceKind> = new Set(['subnet', 'networkSecurityGroup', 'networkInterface', 'scaleSetNetworkInterface', 'virtualMachineScaleSet']);

export function contextNeeds(estate: Estate, scope: Scope, previous?: PreviousGuards): ContextNeeds {
  const graph = estateGraph(estate);
  const affected = affectedResources(estate, scope, graph, previous);
  const needs = new Needs(estate, graph, scope.subscriptionId);

  for (const key of affected.resources) needs.judged(key);

  const unattachedNsgs = affected.unattachedNsgs;
  // Every NSG naming an ASG the scope reaches must be found: only the NSG list names them all.
  const nsgsNamingAsgs = new Set(affected.asgsReached);
  // A network change, or a Bastion's, reaches every subnet of the network's peers: they must be read.
  const bastionSubnetOf = (key: string): boolean => estate.subnets.get(key)?.name.toLowerCase() === 'azurebastionsubnet';
  // An AKS cluster owns the NSGs of its node resource group: only the NSG list says which they are.
  const nodeResourceGroups = new Set<string>();
  switch (scope.kind) {
    case 'subnet':
      if (bastionSubnetOf(scope.id)) needs.peersOf(parentId(scope.id) ?? '');
      break;
    case 'virtualNetwork':
      needs.peersOf(scope.id);
      break;
    case 'bastionHost':
      for (const subnet of estate.bastionHosts.get(scope.id)?.subnets ?? []) needs.peersOf(parentId(subnet.key) ?? '');
      break;
    case 'asg':
      needs.asgMembers.add(scope.id);
      break;
    case 'nic':
    case 'nsg':
    case 'natGateway':
    case 'publicIp':
    case 'loadBalancer':
    case 'virtualNetworkGateway':
    case 'gatewayConnection':
    case 'localNetworkGateway':
      // The spokes of the networks behind the gateway: their VirtualNetwork holds its connections' spaces too.
      for (const vnet of networksBehindGateways(estate, gatewaysOfScope(estate, scope))) needs.peersOf(vnet);
      break;
    case 'scaleSet':
    case 'routeTable':
    case 'privateEndpoint':
    case 'managedCluster': {
      const group = estate.managedClusters.get(scope.id)?.nodeResourceGroup;
      if (group !== undefined) nodeResourceGroups.add(group.toLowerCase());
      break;
    }
    case 'applicationGateway':
    case 'apiManagement':
    case 'domainService':
    case 'subscription':
      break;
    default:
      return assertNever(scope.kind, 'scope kind');
  }
  const judgedKinds = new Set([...affected.resources].map(kindOfId));
  return {
    affected,
    missing: [...needs.missing.values()],
    asgMembers: needs.asgMembers,
    nsgsNamingAsgs,
    unattachedNsgs,
    bastionNetworks: needs.bastionNetworks,
    services: judgedKinds.has('subnet') || judgedKinds.has('networkSecurityGroup'),
    nodeResourceGroups,
    publicPaths: [...judgedKinds].some((kind) => kind !== undefined && POINT_KINDS.has(kind)),
  };
}

/** Collects, per judged resource, the resources its verdict depends on that the estate lacks. */
class Needs {
  readonly missing = new Map<string, string>();
  readonly asgMembers = new Set<string>();
  readonly bastionNetworks = new Set<string>();
  private readonly visited = new Set<string>();

  constructor(
    private readonly estate: Estate,
    private readonly graph: EstateGraph,
    private readonly subscriptionId: string,
  ) {}

  /** A resource the rules will judge (an NSG, subnet or NIC key). */
  judged(key: string): void {
    switch (kindOfId(key)) {
      case 'networkSecurityGroup':
        this.nsg(key);
        break;
      case 'subnet':
        this.subnet(key);
        break;
      case 'networkInterface':
        this.nic(key);
        break;
      default:
        break;
    }
  }

  /** An NSG judged: every attachment point it takes part in. */
  private nsg(key: string): void {
    if (!this.once(`nsg:${key}`)) return;
    if (!this.composedNsg(key)) return;
    for (const subnet of this.graph.subnetsOfNsg.get(key) ?? []) this.subnet(subnet);
    for (const nic of this.graph.nicsOfNsg.get(key) ?? []) this.nic(nic);
  }

  /** An NSG evaluated at some point: its rules and the members of the ASGs they name. */
  private composedNsg(key: string): boolean {
    const nsg = this.estate.networkSecurityGroups.get(key);
    if (!nsg) {
      this.require(key);
      return false;
    }
    for (const asg of referencedAsgs(nsg)) this.asgMembers.add(asg);
    return true;
  }

  /** A subnet judged or guarded by a judged NSG: its NICs (each a point), its NSG, NAT gateway, network. */
  private subnet(key: string): void {
    if (!this.once(`subnet:${key}`)) return;
    const subnet = this.estate.subnets.get(key);
    if (!subnet) {
      this.require(key);
      return;
    }
    if (subnet.networkSecurityGroup) this.composedNsg(subnet.networkSecurityGroup.key);
    if (subnet.natGateway) this.present(subnet.natGateway.key, this.estate.natGateways.has(subnet.natGateway.key));
    this.routes(subnet);
    // The public IPs of the application gateways in it: its public path (DESIGN §3 "Public path").
    for (const gateway of this.estate.applicationGateways.values()) {
      if (!gateway.subnets.some((s) => s.key === key)) continue;
      for (const frontend of gateway.frontends) {
        if (frontend.publicIpAddress) this.present(frontend.publicIpAddress.key, this.estate.publicIpAddresses.has(frontend.publicIpAddress.key));
      }
    }
    for (const config of subnet.ipConfigurations) {
      const kind = kindOfId(config.key);
      const owner = kind === 'networkInterfaceIpConfiguration' || kind === 'scaleSetNetworkInterfaceIpConfiguration' ? parentId(config.key) : undefined;
      if (owner === undefined) continue;
      // A scale-set instance's NIC is read with its scale set's other NICs (the scale-set NIC list).
      if (kind === 'scaleSetNetworkInterfaceIpConfiguration' && !this.estate.networkInterfaces.has(owner)) this.require(topLevelKey(owner));
      else this.nicAtPoint(owner);
    }
    this.network(subnet.virtualNetwork.key);
  }

  /** A NIC judged: each subnet it sits in, with that subnet's NSG, and its own NSG. */
  private nic(key: string): void {
    if (!this.once(`nic:${key}`)) return;
    const nic = this.nicAtPoint(key);
    if (!nic) return;
    for (const config of nic.ipConfigurations) {
      if (!config.subnet) continue;
      const subnet = this.estate.subnets.get(config.subnet.key);
      if (!subnet) {
        this.require(config.subnet.key);
        continue;
      }
      if (subnet.networkSecurityGroup) this.composedNsg(subnet.networkSecurityGroup.key);
      this.routes(subnet);
      this.network(subnet.virtualNetwork.key);
    }
  }

  /** A subnet's route table: its routes' prefixes are in VirtualNetwork at every point in the subnet (DESIGN §3). */
  private routes(subnet: Subnet): void {
    if (subnet.routeTable) this.present(subnet.routeTable.key, this.estate.routeTables.has(subnet.routeTable.key));
  }

  /** A NIC at an attachment point: it and its own NSG (the other layer of the composition). */
  private nicAtPoint(key: string): NetworkInterface | undefined {
    const nic = this.estate.networkInterfaces.get(key);
    if (!nic) {
      this.require(key);
      return undefined;
    }
    if (nic.networkSecurityGroup) this.composedNsg(nic.networkSecurityGroup.key);
    // A private endpoint's NIC is judged as the endpoint's, never as a VM's.
    if (nic.privateEndpoint) this.present(nic.privateEndpoint.key, this.estate.privateEndpoints.has(nic.privateEndpoint.key));
    return nic;
  }

  /**
   * What VirtualNetwork means in a network and who serves it: the network, the peers whose
   * address space its peerings do not carry, and every Bastion in it or in a peer, with the
   * Bastion's own network (its AzureBastionSubnet range and its peers decide what it serves).
   * Bastions are found from the subscription's (short) list, not by reading every peer.
   */
  private network(key: string): void {
    if (!this.once(`vnet:${key}`)) return;
    if (!this.present(key, this.estate.virtualNetworks.has(key))) return;
    const served = new Set([key, ...(this.graph.peersOfVnet.get(key) ?? [])]);
    for (const vnet of served) this.bastionNetworks.add(vnet);
    for (const peering of this.estate.peerings.values()) {
      if (peering.virtualNetwork.key !== key || !peering.remoteVirtualNetwork) continue;
      if (peering.remoteAddressPrefixes === undefined) this.present(peering.remoteVirtualNetwork.key, this.estate.virtualNetworks.has(peering.remoteVirtualNetwork.key));
    }
    for (const bastion of this.estate.bastionHosts.values()) {
      for (const subnet of bastion.subnets) {
        const vnet = parentId(subnet.key);
        if (vnet && served.has(vnet)) this.present(vnet, this.estate.virtualNetworks.has(vnet));
      }
    }
    this.gateways(key);
    // A spoke using its hub's gateway has the hub's connected spaces in VirtualNetwork.
    for (const peering of this.estate.peerings.values()) {
      if (peering.virtualNetwork.key !== key || peering.useRemoteGateways !== true || !peering.remoteVirtualNetwork) continue;
      const hub = peering.remoteVirtualNetwork.key;
      if (this.present(hub, this.estate.virtualNetworks.has(hub))) this.gateways(hub);
    }
  }

  /**
   * A network's gateways (named by its GatewaySubnet's IP configurations), their connections (read
   * with the gateway) and what those connect: local network gateways, the other VNet-to-VNet side.
   */
  private gateways(vnetKey: string): void {
    if (!this.once(`gateways:${vnetKey}`)) return;
    const gateways = new Set<string>();
    for (const subnet of this.estate.subnets.values()) {
      if (subnet.virtualNetwork.key === vnetKey) for (const key of gatewaysInSubnet(subnet.ipConfigurations)) gateways.add(key);
    }
    for (const gateway of this.estate.virtualNetworkGateways.values()) if (gateway.virtualNetwork?.key === vnetKey) gateways.add(gateway.key);
    for (const key of gateways) {
      if (!this.present(key, this.estate.virtualNetworkGateways.has(key))) continue;
      for (const connection of this.estate.gatewayConnections.values()) {
        if (connection.virtualNetworkGateway1?.key !== key && connection.virtualNetworkGateway2?.key !== key) continue;
        const local = connection.localNetworkGateway2;
        if (local) this.present(local.key, this.estate.localNetworkGateways.has(local.key));
        for (const side of [connection.virtualNetworkGateway1, connection.virtualNetworkGateway2]) {
          if (!side || side.key === key) continue;
          if (!this.present(side.key, this.estate.virtualNetworkGateways.has(side.key))) continue;
          const other = this.estate.virtualNetworkGateways.get(side.key)?.virtualNetwork;
          if (other) this.present(other.key, this.estate.virtualNetworks.has(other.key));
        }
      }
    }
  }

  /** The networks peered with one (any peering state): what a change to it can reach. */
  peersOf(vnetKey: string): void {
    for (const peer of this.graph.peersOfVnet.get(vnetKey) ?? []) this.present(peer, this.estate.virtualNetworks.has(peer));
  }

  /** True when present; otherwise asks for it (when it is readable and in the subscription). */
  private present(key: string, isPresent: boolean): boolean {
    if (!isPresent) this.require(key);
    return isPresent;
  }

  private require(id: string): void {
    const key = normalizeId(id);
    const kind = kindOfId(key);
    if (kind === undefined || !READABLE.has(kind)) return;
    if (subscriptionOf(key) !== this.subscriptionId) return;
    this.missing.set(key, key);
  }

  private once(tag: string): boolean {
    if (this.visited.has(tag)) return false;
    this.visited.add(tag);
    return true;
  }
}
