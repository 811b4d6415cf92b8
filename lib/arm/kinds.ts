/**
 * The resource types nsgwatch knows, one table: each kind's ARM type and, for child resources,
 * the kind it belongs to. Types are compared case-insensitively, like ids.
 */

interface KindSpec {
  readonly type: string;
  readonly parent?: string;
}

const KINDS = {
  virtualNetwork: { type: 'Microsoft.Network/virtualNetworks' },
  subnet: { type: 'Microsoft.Network/virtualNetworks/subnets', parent: 'virtualNetwork' },
  virtualNetworkPeering: { type: 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings', parent: 'virtualNetwork' },
  networkSecurityGroup: { type: 'Microsoft.Network/networkSecurityGroups' },
  securityRule: { type: 'Microsoft.Network/networkSecurityGroups/securityRules', parent: 'networkSecurityGroup' },
  defaultSecurityRule: { type: 'Microsoft.Network/networkSecurityGroups/defaultSecurityRules', parent: 'networkSecurityGroup' },
  networkInterface: { type: 'Microsoft.Network/networkInterfaces' },
  networkInterfaceIpConfiguration: { type: 'Microsoft.Network/networkInterfaces/ipConfigurations', parent: 'networkInterface' },
  // A NIC's effective routes (the POST action's path, https://learn.microsoft.com/rest/api/virtualnetwork/network-interfaces/get-effective-route-table),
  // handed over by the live reader with the NIC it is of: Azure's own expansion of what a gateway learned.
  networkInterfaceEffectiveRouteTable: { type: 'Microsoft.Network/networkInterfaces/effectiveRouteTable', parent: 'networkInterface' },
  natGateway: { type: 'Microsoft.Network/natGateways' },
  bastionHost: { type: 'Microsoft.Network/bastionHosts' },
  bastionHostIpConfiguration: { type: 'Microsoft.Network/bastionHosts/bastionHostIpConfigurations', parent: 'bastionHost' },
  applicationSecurityGroup: { type: 'Microsoft.Network/applicationSecurityGroups' },
  privateEndpoint: { type: 'Microsoft.Network/privateEndpoints' },
  routeTable: { type: 'Microsoft.Network/routeTables' },
  route: { type: 'Microsoft.Network/routeTables/routes', parent: 'routeTable' },
  virtualNetworkGateway: { type: 'Microsoft.Network/virtualNetworkGateways' },
  virtualNetworkGatewayConnection: { type: 'Microsoft.Network/connections' },
  localNetworkGateway: { type: 'Microsoft.Network/localNetworkGateways' },
  // A Uniform scale set's instance NICs live under the scale set, not in the network interface list:
  // https://learn.microsoft.com/rest/api/virtualnetwork/network-interface-in-vm-ss/list-virtual-machine-scale-set-network-interfaces
  virtualMachineScaleSet: { type: 'Microsoft.Compute/virtualMachineScaleSets' },
  scaleSetVirtualMachine: { type: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines', parent: 'virtualMachineScaleSet' },
  scaleSetNetworkInterface: {
    type: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/networkInterfaces',
    parent: 'scaleSetVirtualMachine',
  },
  scaleSetNetworkInterfaceIpConfiguration: {
    type: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/networkInterfaces/ipConfigurations',
    parent: 'scaleSetNetworkInterface',
  },
  // Public paths (DESIGN §3 "Public path"): public IPs, load balancers and what their rules send where.
  // https://learn.microsoft.com/rest/api/virtualnetwork/public-ip-addresses, .../load-balancers
  publicIPAddress: { type: 'Microsoft.Network/publicIPAddresses' },
  // A scale-set instance's own public IP (from the profile's publicIPAddressConfiguration):
  // https://learn.microsoft.com/rest/api/virtualnetwork/public-ip-addresses/list-virtual-machine-scale-set-public-ip-addresses
  scaleSetPublicIPAddress: {
    type: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/networkInterfaces/ipConfigurations/publicIPAddresses',
    parent: 'scaleSetNetworkInterfaceIpConfiguration',
  },
  loadBalancer: { type: 'Microsoft.Network/loadBalancers' },
  loadBalancerFrontendIpConfiguration: { type: 'Microsoft.Network/loadBalancers/frontendIPConfigurations', parent: 'loadBalancer' },
  loadBalancerBackendAddressPool: { type: 'Microsoft.Network/loadBalancers/backendAddressPools', parent: 'loadBalancer' },
  loadBalancingRule: { type: 'Microsoft.Network/loadBalancers/loadBalancingRules', parent: 'loadBalancer' },
  inboundNatRule: { type: 'Microsoft.Network/loadBalancers/inboundNatRules', parent: 'loadBalancer' },
  inboundNatPool: { type: 'Microsoft.Network/loadBalancers/inboundNatPools', parent: 'loadBalancer' },
  outboundRule: { type: 'Microsoft.Network/loadBalancers/outboundRules', parent: 'loadBalancer' },
  // Services that own or use a subnet (their documented NSG requirements are checked there):
  // https://learn.microsoft.com/rest/api/application-gateway/application-gateways/get,
  // https://learn.microsoft.com/rest/api/virtualnetwork/service-association-links/get,
  // https://learn.microsoft.com/rest/api/virtualnetwork/resource-navigation-links/list
  applicationGateway: { type: 'Microsoft.Network/applicationGateways' },
  subnetServiceAssociationLink: { type: 'Microsoft.Network/virtualNetworks/subnets/serviceAssociationLinks', parent: 'subnet' },
  subnetResourceNavigationLink: { type: 'Microsoft.Network/virtualNetworks/subnets/resourceNavigationLinks', parent: 'subnet' },
  // https://learn.microsoft.com/rest/api/apimanagement/api-management-service/get (virtualNetworkConfiguration)
  apiManagementService: { type: 'Microsoft.ApiManagement/service' },
  // https://learn.microsoft.com/rest/api/aad-domainservices/domain-services/get (replicaSets[].subnetId)
  domainService: { type: 'Microsoft.AAD/domainServices' },
  // https://learn.microsoft.com/rest/api/aks/managed-clusters/get (nodeResourceGroup, agentPoolProfiles[].vnetSubnetID)
  managedCluster: { type: 'Microsoft.ContainerService/managedClusters' },
  // Virtual Network Manager: security admin rules are evaluated before every NSG, in the networks
  // of the groups their rule collections apply to, once committed to the network's region.
  // https://learn.microsoft.com/azure/virtual-network-manager/concept-security-admins
  networkManager: { type: 'Microsoft.Network/networkManagers' },
  securityAdminConfiguration: { type: 'Microsoft.Network/networkManagers/securityAdminConfigurations', parent: 'networkManager' },
  adminRuleCollection: { type: 'Microsoft.Network/networkManagers/securityAdminConfigurations/ruleCollections', parent: 'securityAdminConfiguration' },
  adminRule: { type: 'Microsoft.Network/networkManagers/securityAdminConfigurations/ruleCollections/rules', parent: 'adminRuleCollection' },
  networkGroup: { type: 'Microsoft.Network/networkManagers/networkGroups', parent: 'networkManager' },
  networkGroupStaticMember: { type: 'Microsoft.Network/networkManagers/networkGroups/staticMembers', parent: 'networkGroup' },
} as const satisfies Record<string, KindSpec>;

export type ResourceKind = keyof typeof KINDS;

/** The kinds of the Microsoft.Network provider. */
export type NetworkKind = {
  [K in ResourceKind]: (typeof KINDS)[K]['type'] extends `Microsoft.Network/${string}` ? K : never;
}[ResourceKind];

const SPECS: ReadonlyMap<ResourceKind, KindSpec> = new Map(Object.entries(KINDS) as [ResourceKind, KindSpec][]);
const KIND_BY_TYPE: ReadonlyMap<string, ResourceKind> = new Map(
  [...SPECS].map(([kind, spec]) => [spec.type.toLowerCase(), kind] as const),
);

/** Every kind, in the table's order. */
export const RESOURCE_KINDS: readonly ResourceKind[] = [...SPECS.keys()];

/** The kind of an ARM type (any casing, trailing slashes ignored), undefined when nsgwatch does not know it. */
export function kindOfType(type: string): ResourceKind | undefined {
  return KIND_BY_TYPE.get(type.trim().replace(/\/+$/, '').toLowerCase());
}

export function isNetworkKind(kind: ResourceKind): kind is NetworkKind {
  return armTypeOf(kind).startsWith('Microsoft.Network/');
}

/** The ARM type of a kind, canonically spelled. */
export function armTypeOf<K extends ResourceKind>(kind: K): (typeof KINDS)[K]['type'] {
  return KINDS[kind].type;
}

/** The canonical spelling of a known type, else undefined. */
export function canonicalType(type: string): string | undefined {
  const kind = kindOfType(type);
  return kind === undefined ? undefined : armTypeOf(kind);
}

/** The kind a child kind belongs to, undefined for a top-level kind. */
export function parentKindOf(kind: ResourceKind): ResourceKind | undefined {
  // Every parent names a kind of this table (test/arm/kinds.test.ts holds it).
  return SPECS.get(kind)?.parent as ResourceKind | undefined;
}

/** The top-level kind a kind is read through (a rule through its NSG, a subnet through its network). */
export function topLevelKindOf(kind: ResourceKind): ResourceKind {
  let top = kind;
  for (let parent = parentKindOf(top); parent !== undefined; parent = parentKindOf(top)) top = parent;
  return top;
}

/** True for kinds that name a resource of their own rather than a part of one. */
export function isTopLevel(kind: ResourceKind): boolean {
  return parentKindOf(kind) === undefined;
}
