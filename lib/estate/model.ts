/**
 * The estate: what a subscription holds that bears on NSG verdicts, normalised from any input
 * shape. Plain data; ids keep Azure's spelling in `id`, and `key` is the normalised id every
 * comparison uses (ARM ids are case-insensitive).
 */
import type { ResourceError } from '../nsg/index.js';
import type { EstateKind } from './kinds.js';

/** A reference to another resource, which may or may not be in the estate. */
export interface ArmReference {
  id: string;
  key: string;
}

/** Where a resource was read from; `sequence` orders every record across all inputs. */
export interface Origin {
  source: string;
  sequence: number;
}

interface ResourceBase {
  id: string;
  key: string;
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  tags: Readonly<Record<string, string>>;
  origin: Origin;
}

export interface VirtualNetwork extends ResourceBase {
  kind: 'virtualNetwork';
  addressPrefixes: string[];
  /** The region (`location`, lower case, no spaces): security admin rules are committed per region. */
  location?: string;
}

export interface Subnet extends ResourceBase {
  kind: 'subnet';
  virtualNetwork: ArmReference;
  /** `addressPrefix` ∪ `addressPrefixes`. */
  addressPrefixes: string[];
  networkSecurityGroup: ArmReference | undefined;
  natGateway: ArmReference | undefined;
  /** IP configurations in the subnet (NICs, load balancers, gateways, ...), as the subnet lists them. */
  ipConfigurations: ArmReference[];
  /** The route table on the subnet: its routes' prefixes are part of VirtualNetwork (DESIGN §3). */
  routeTable?: ArmReference;
  /** Whether the subnet's NSG and route table apply to its private endpoints; absent means Azure's default, Disabled. */
  privateEndpointNetworkPolicies?: PrivateEndpointNetworkPolicies;
  /** The services the subnet is delegated to (`delegations[].serviceName`, e.g. `Microsoft.Sql/managedInstances`). */
  delegations?: string[];
  /** Service association and resource navigation links the subnet lists inline. */
  links?: SubnetLink[];
}

/**
 * A link a service keeps on a subnet it uses: a service association link (the subnet is
 * reserved for the linked type) or a resource navigation link (a resource of that type sits in it).
 * https://learn.microsoft.com/rest/api/virtualnetwork/service-association-links/get
 */
export interface SubnetLink {
  kind: 'serviceAssociationLink' | 'resourceNavigationLink';
  name: string;
  /** `linkedResourceType`, e.g. `Microsoft.ContainerInstance/containerGroups`; undefined when the input does not say. */
  linkedResourceType: string | undefined;
  /** `link`: the linked resource's id, when given. */
  link: string | undefined;
}

/**
 * `privateEndpointNetworkPolicies` of a subnet. By default network policies are disabled for
 * private endpoints: the subnet's NSG filters them only with `Enabled` or
 * `NetworkSecurityGroupEnabled` (https://learn.microsoft.com/azure/private-link/disable-private-endpoint-network-policy).
 */
export type PrivateEndpointNetworkPolicies = 'Enabled' | 'Disabled' | 'NetworkSecurityGroupEnabled' | 'RouteTableEnabled';

/** A private endpoint: the NIC Azure made for it in a subnet, which is not a VM. */
export interface PrivateEndpoint extends ResourceBase {
  kind: 'privateEndpoint';
  subnet: ArmReference | undefined;
  networkInterfaces: ArmReference[];
}

export interface VirtualNetworkPeering extends ResourceBase {
  kind: 'virtualNetworkPeering';
  virtualNetwork: ArmReference;
  /** `Connected`, `Initiated`, `Disconnected`; undefined when the input does not say. */
  peeringState: string | undefined;
  remoteVirtualNetwork: ArmReference | undefined;
  /** The remote space the peering holds (`remoteAddressSpace`, else `remoteVirtualNetworkAddressSpace`). */
  remoteAddressPrefixes: string[] | undefined;
  /** True when this network uses the remote network's gateway (a spoke of a hub with gateway transit). */
  useRemoteGateways?: boolean;
  /** The hub side: the remote network may use this network's gateway. */
  allowGatewayTransit?: boolean;
}

export interface NetworkSecurityGroup extends ResourceBase {
  kind: 'networkSecurityGroup';
  /**
   * The NSG in the flattened (az CLI / SDK) shape for the engine to parse: top-level fields plus
   * `securityRules` and `defaultSecurityRules`, each rule flattened (no `properties` wrapper).
   */
  raw: Record<string, unknown>;
  /** Back-references the NSG itself lists (REST `subnets`, `networkInterfaces`). */
  subnets: ArmReference[];
  networkInterfaces: ArmReference[];
  /** True when the NSG was assembled from standalone rule resources only (its other rules are unknown). */
  partial: boolean;
}

export interface NicIpConfiguration {
  id: string;
  key: string;
  name: string;
  /** `privateIPAddress` (plus any `privateIPAddresses`); empty when allocation has not happened yet. */
  privateIpAddresses: string[];
  subnet: ArmReference | undefined;
  applicationSecurityGroups: ArmReference[];
  /** Its public path (DESIGN §3): a public IP of its own, load-balancer pools and NAT rules that hold it. */
  publicIpAddress: ArmReference | undefined;
  loadBalancerBackendAddressPools: ArmReference[];
  loadBalancerInboundNatRules: ArmReference[];
}

export interface NetworkInterface extends ResourceBase {
  kind: 'networkInterface';
  networkSecurityGroup: ArmReference | undefined;
  ipConfigurations: NicIpConfiguration[];
  /** True when the NIC was assembled from standalone IP configuration resources only. */
  partial: boolean;
  /** The private endpoint the NIC was made for (the NIC's own `privateEndpoint` field). */
  privateEndpoint?: ArmReference;
  /** A scale-set instance's NIC (its id lies under the scale set): the scale set it belongs to. */
  scaleSet: ArmReference | undefined;
}

export interface NatGateway extends ResourceBase {
  kind: 'natGateway';
  subnets: ArmReference[];
}

export interface BastionHost extends ResourceBase {
  kind: 'bastionHost';
  /** Subnets of its IP configurations (the AzureBastionSubnet). */
  subnets: ArmReference[];
}

export interface ApplicationSecurityGroup extends ResourceBase {
  kind: 'applicationSecurityGroup';
}

/** A user-defined route: its prefix (a CIDR, or a service tag name routes may use). */
export interface Route {
  id: string;
  key: string;
  name: string;
  addressPrefix: string;
  nextHopType: string | undefined;
}

export interface RouteTable extends ResourceBase {
  kind: 'routeTable';
  routes: Route[];
  /** Back-references the table lists. */
  subnets: ArmReference[];
}

export interface VirtualNetworkGateway extends ResourceBase {
  kind: 'virtualNetworkGateway';
  /** The network of its GatewaySubnet (from its IP configurations). */
  virtualNetwork: ArmReference | undefined;
  /** `Vpn`, `ExpressRoute`, ... as ARM spells it. */
  gatewayType: string | undefined;
  enableBgp: boolean;
}

export interface GatewayConnection extends ResourceBase {
  kind: 'virtualNetworkGatewayConnection';
  /** `IPsec`, `Vnet2Vnet`, `ExpressRoute`, `VPNClient`. */
  connectionType: string | undefined;
  virtualNetworkGateway1: ArmReference | undefined;
  virtualNetworkGateway2: ArmReference | undefined;
  localNetworkGateway2: ArmReference | undefined;
  enableBgp: boolean;
  connectionStatus: string | undefined;
}

export interface LocalNetworkGateway extends ResourceBase {
  kind: 'localNetworkGateway';
  /** `localNetworkAddressSpace.addressPrefixes`: the on-premises space. */
  addressPrefixes: string[];
  /** True when it has BGP settings: prefixes it announces are learned, not in ARM. */
  bgp: boolean;
}

/** One route of a NIC's effective route table, as Azure computes it. */
export interface EffectiveRoute {
  /** `Default`, `User`, `VirtualNetworkGateway`, ... as ARM spells it. */
  source: string | undefined;
  /** `Active` or `Invalid`. */
  state: string | undefined;
  addressPrefixes: string[];
  nextHopType: string | undefined;
}

/**
 * A NIC's effective routes (the live reader hands them over where a network has a gateway): the
 * routes with source `VirtualNetworkGateway` are what the gateway learned, BGP included.
 */
export interface EffectiveRouteTable {
  networkInterface: ArmReference;
  routes: EffectiveRoute[];
  source: string;
}

// --- Scale sets and public paths (DESIGN §3 "Scale-set NICs", "Public path") ---

/** One IP configuration of a scale set's network profile: every instance NIC gets one like it. */
export interface ScaleSetIpConfiguration {
  name: string;
  subnet: ArmReference | undefined;
  loadBalancerBackendAddressPools: ArmReference[];
  loadBalancerInboundNatPools: ArmReference[];
  /** Each instance gets a public IP of its own (`publicIPAddressConfiguration`). */
  publicIpAddressConfiguration: { name: string; sku: PublicIpSku | undefined } | undefined;
}

export interface ScaleSetNicConfiguration {
  name: string;
  networkSecurityGroup: ArmReference | undefined;
  ipConfigurations: ScaleSetIpConfiguration[];
}

export interface ScaleSet extends ResourceBase {
  kind: 'virtualMachineScaleSet';
  /** `Uniform` or `Flexible`; undefined when the input does not say (Uniform before API 2019-12). */
  orchestrationMode: 'Uniform' | 'Flexible' | undefined;
  /** Instance count (`sku.capacity`). */
  capacity: number | undefined;
  /** The network profile's NIC configurations; empty for a Flexible set with no VM profile. */
  networkInterfaceConfigurations: ScaleSetNicConfiguration[];
}

export type PublicIpSku = 'Basic' | 'Standard';

export interface PublicIpAddress extends ResourceBase {
  kind: 'publicIPAddress';
  /** undefined until allocated (Dynamic allocation). */
  ipAddress: string | undefined;
  version: 'IPv4' | 'IPv6';
  /** undefined when the input does not say. */
  sku: PublicIpSku | undefined;
  /** The NIC or load-balancer frontend IP configuration it is attached to. */
  ipConfiguration: ArmReference | undefined;
}

/** Load-balancer protocols: `All` carries every TCP and UDP port. */
export type LoadBalancerProtocol = 'Tcp' | 'Udp' | 'All';

interface LoadBalancerPart {
  id: string;
  key: string;
  name: string;
}

export interface LoadBalancerFrontend extends LoadBalancerPart {
  /** A public frontend's public IP; undefined for a private (internal) frontend. */
  publicIpAddress: ArmReference | undefined;
  privateIpAddress: string | undefined;
  subnet: ArmReference | undefined;
}

export interface LoadBalancerBackendPool extends LoadBalancerPart {
  /** NIC IP configurations in the pool, as the load balancer lists them. */
  backendIpConfigurations: ArmReference[];
  /** IP-based members (`loadBalancerBackendAddresses[].ipAddress`). */
  addresses: string[];
}

export interface LoadBalancingRule extends LoadBalancerPart {
  protocol: LoadBalancerProtocol;
  /** 0 with protocol All: an HA-ports rule (every port, unchanged). */
  frontendPort: number;
  backendPort: number;
  /** Floating IP (direct server return): the NSG sees the frontend address as the destination. */
  floatingIp: boolean;
  frontend: ArmReference | undefined;
  backendPools: ArmReference[];
}

export interface InboundNatRule extends LoadBalancerPart {
  protocol: LoadBalancerProtocol;
  /** A single-VM rule's frontend port, or a pool rule's range (one port per member). */
  frontendPorts: { from: number; to: number };
  backendPort: number;
  floatingIp: boolean;
  frontend: ArmReference | undefined;
  backendIpConfiguration: ArmReference | undefined;
  backendPool: ArmReference | undefined;
}

export interface InboundNatPool extends LoadBalancerPart {
  protocol: LoadBalancerProtocol;
  frontendPorts: { from: number; to: number };
  backendPort: number;
  floatingIp: boolean;
  frontend: ArmReference | undefined;
}

export interface OutboundRule extends LoadBalancerPart {
  protocol: LoadBalancerProtocol;
  frontends: ArmReference[];
  backendPool: ArmReference | undefined;
}

export interface LoadBalancer extends ResourceBase {
  kind: 'loadBalancer';
  sku: string | undefined;
  frontends: LoadBalancerFrontend[];
  backendPools: LoadBalancerBackendPool[];
  rules: LoadBalancingRule[];
  inboundNatRules: InboundNatRule[];
  inboundNatPools: InboundNatPool[];
  outboundRules: OutboundRule[];
}

// --- Services deployed in (or owning) a subnet ---

export type ApplicationGatewayGeneration = 'v1' | 'v2';

export interface ApplicationGatewayFrontend {
  id: string;
  key: string;
  name: string;
  /** A public frontend's public IP; undefined for a private frontend. */
  publicIpAddress: ArmReference | undefined;
  privateIpAddress: string | undefined;
}

export interface ApplicationGatewayListener {
  name: string;
  frontend: ArmReference | undefined;
  /** The frontend port's number; undefined when the listener's port is not in the resource. */
  port: number | undefined;
  /** `Http`, `Https`, `Tcp`, `Tls` as ARM spells them. */
  protocol: string | undefined;
}

/** An Application Gateway: its own subnet (gateway IP configurations), frontends and listeners. */
export interface ApplicationGateway extends ResourceBase {
  kind: 'applicationGateway';
  /** `sku.name` and `sku.tier` (`Standard_v2`, `WAF_v2`, `Standard`, `WAF`, `Basic`). */
  skuName: string | undefined;
  skuTier: string | undefined;
  /** v2 for Standard_v2, WAF_v2 and Basic; v1 for Standard and WAF; undefined when the SKU is not given. */
  generation: ApplicationGatewayGeneration | undefined;
  /** Subnets of its gateway IP configurations. */
  subnets: ArmReference[];
  frontends: ApplicationGatewayFrontend[];
  /** `httpListeners` and (v2 layer-4) `listeners`. */
  listeners: ApplicationGatewayListener[];
}

/** API Management deployed in a virtual network (`virtualNetworkConfiguration.subnetResourceId`). */
export interface ApiManagementService extends ResourceBase {
  kind: 'apiManagementService';
  subnet: ArmReference | undefined;
  /** `External`, `Internal` or `None`; undefined when the input does not say. */
  virtualNetworkType: 'External' | 'Internal' | 'None' | undefined;
}

/** Microsoft Entra Domain Services: the subnets of its replica sets (or the older `subnetId`). */
export interface DomainService extends ResourceBase {
  kind: 'domainService';
  subnets: ArmReference[];
}

/** An AKS cluster: its node resource group and its node pools' subnets. */
export interface ManagedCluster extends ResourceBase {
  kind: 'managedCluster';
  nodeResourceGroup: string | undefined;
  subnets: ArmReference[];
}

export type EstateResource =
  | ApplicationGateway
  | ApiManagementService
  | DomainService
  | ManagedCluster
  | ScaleSet
  | PublicIpAddress
  | LoadBalancer
  | VirtualNetwork
  | Subnet
  | VirtualNetworkPeering
  | NetworkSecurityGroup
  | NetworkInterface
  | NatGateway
  | BastionHost
  | ApplicationSecurityGroup
  | PrivateEndpoint
  | RouteTable
  | VirtualNetworkGateway
  | GatewayConnection
  | LocalNetworkGateway
  | AdminRuleResource;

/** Maps are keyed by normalised id, in order of that key (whatever order the inputs had). */
export interface EstateResources {
  virtualNetworks: ReadonlyMap<string, VirtualNetwork>;
  subnets: ReadonlyMap<string, Subnet>;
  peerings: ReadonlyMap<string, VirtualNetworkPeering>;
  networkSecurityGroups: ReadonlyMap<string, NetworkSecurityGroup>;
  networkInterfaces: ReadonlyMap<string, NetworkInterface>;
  natGateways: ReadonlyMap<string, NatGateway>;
  bastionHosts: ReadonlyMap<string, BastionHost>;
  applicationSecurityGroups: ReadonlyMap<string, ApplicationSecurityGroup>;
  privateEndpoints: ReadonlyMap<string, PrivateEndpoint>;
  routeTables: ReadonlyMap<string, RouteTable>;
  virtualNetworkGateways: ReadonlyMap<string, VirtualNetworkGateway>;
  gatewayConnections: ReadonlyMap<string, GatewayConnection>;
  localNetworkGateways: ReadonlyMap<string, LocalNetworkGateway>;
  scaleSets: ReadonlyMap<string, ScaleSet>;
  publicIpAddresses: ReadonlyMap<string, PublicIpAddress>;
  loadBalancers: ReadonlyMap<string, LoadBalancer>;
  /** NIC key → its effective routes, where they were read. */
  effectiveRouteTables?: ReadonlyMap<string, EffectiveRouteTable>;
  applicationGateways: ReadonlyMap<string, ApplicationGateway>;
  apiManagementServices: ReadonlyMap<string, ApiManagementService>;
  domainServices: ReadonlyMap<string, DomainService>;
  managedClusters: ReadonlyMap<string, ManagedCluster>;
  /** Service association and resource navigation links read as resources of their own, by subnet key. */
  subnetLinks: ReadonlyMap<string, SubnetLink[]>;
}

/** What one input contributed: how many resources of each kind, and what was ignored. */
export interface SourceSummary {
  source: string;
  /** Type-bearing resources found (every kind, including ones the estate ignores). */
  resources: number;
  byKind: Partial<Record<EstateKind, number>>;
  /** Lower-case ARM types nsgwatch does not model (public IPs, VMs, ...), with counts. */
  ignoredTypes: Record<string, number>;
  /** List responses that carried a `nextLink`: the input holds only their first page. */
  nextLinks: number;
  /** Empty list responses (`{ "value": [] }`, `[]`): an empty resource group, not a bad file. */
  emptyLists: number;
}

/**
 * A resource (or child) that failed validation and was left out. Whatever depended on it is not
 * judged: the points it sits on, and the NSGs its input names.
 */
export interface InvalidResource {
  /** Normalised id; a child with neither id nor name gets `<parent>/<segment>[<index>]`. */
  key: string;
  kind: EstateKind;
  /** The parent's key, for a subnet, peering, security rule or NIC IP configuration. */
  parentKey: string | undefined;
  /** Normalised ids of the NSGs its input names, as far as they can be read; `*` when unreadable. */
  nsgReferences: string[];
  /** Normalised ARM ids anywhere in its input (a NAT gateway's or Bastion's subnets, ...), bounded. */
  references: string[];
}

// --- Virtual Network Manager security admin rules (DESIGN §3 "Composition") ---

export interface NetworkManager extends ResourceBase {
  kind: 'networkManager';
}

export interface SecurityAdminConfiguration extends ResourceBase {
  kind: 'securityAdminConfiguration';
  networkManager: ArmReference;
}

export interface AdminRuleCollection extends ResourceBase {
  kind: 'adminRuleCollection';
  configuration: ArmReference;
  /** `appliesToGroups[].networkGroupId`: the network groups whose networks the rules apply to. */
  appliesToGroups: ArmReference[];
}

/** A security admin rule (`kind` Custom) or default admin rule (`kind` Default), kept for the engine to parse. */
export interface AdminRuleResource extends ResourceBase {
  kind: 'adminRule';
  collection: ArmReference;
  ruleKind: 'Custom' | 'Default';
  /** The rule as ARM gives it (the engine's parseAdminRule reads it and names its bad fields). */
  raw: Record<string, unknown>;
}

export interface NetworkGroup extends ResourceBase {
  kind: 'networkGroup';
  networkManager: ArmReference;
  /** `VirtualNetwork` or `Subnet`; undefined when the input does not say. */
  memberType: string | undefined;
}

export interface NetworkGroupStaticMember extends ResourceBase {
  kind: 'networkGroupStaticMember';
  group: ArmReference;
  /** `resourceId`: the member virtual network (or subnet). */
  member: ArmReference;
}

/** One entry of a network manager's deployment status list: what is committed to a region. */
export interface AdminDeployment {
  /** The manager, when the entry or its document says which. */
  networkManager: ArmReference | undefined;
  region: string;
  /** `AdminPolicy` or `Connectivity` (or another type ARM adds). */
  deploymentType: string;
  /** `NotStarted`, `Deploying`, `Deployed`, `Failed`. */
  deploymentStatus: string | undefined;
  /** Normalised configuration ids (or bare names, when the entry gives names and no manager is known). */
  configurations: string[];
  commitTime: string | undefined;
  origin: Origin;
}

/** A rule of a per-network effective (or per-region active) security admin rules list. */
export interface ListedAdminRule {
  /** The rule's id (manager, configuration, collection and rule are read from it). */
  id: string;
  key: string;
  ruleKind: 'Custom' | 'Default';
  raw: Record<string, unknown>;
  appliesToGroups: ArmReference[];
}

/** A virtual network's effective security admin rules list: exactly the rules that apply to it. */
export interface EffectiveAdminRules {
  virtualNetwork: ArmReference;
  rules: ListedAdminRule[];
  /** The response carried a skipToken: later pages are not in the input. */
  truncated: boolean;
  origin: Origin;
}

/** A network manager's active security admin rules list: the rules committed to each region. */
export interface ActiveAdminRules {
  region: string;
  rule: ListedAdminRule;
  commitTime: string | undefined;
  origin: Origin;
}

export interface SecurityAdminEstate {
  networkManagers: ReadonlyMap<string, NetworkManager>;
  configurations: ReadonlyMap<string, SecurityAdminConfiguration>;
  collections: ReadonlyMap<string, AdminRuleCollection>;
  rules: ReadonlyMap<string, AdminRuleResource>;
  groups: ReadonlyMap<string, NetworkGroup>;
  staticMembers: ReadonlyMap<string, NetworkGroupStaticMember>;
  deployments: readonly AdminDeployment[];
  active: readonly ActiveAdminRules[];
  /** By the network's key. */
  effective: ReadonlyMap<string, EffectiveAdminRules>;
}

export interface Estate extends EstateResources {
  /** Virtual Network Manager resources and lists; absent when the input holds none. */
  securityAdmin?: SecurityAdminEstate;
  /** Resources that failed validation (reported, left out) — the rest of the estate goes on. */
  errors: ResourceError[];
  /** What failed validation and has no valid copy, by key: verdicts that need it are not judged. */
  invalid?: ReadonlyMap<string, InvalidResource>;
  sources: SourceSummary[];
}
