/** The resource kinds the estate models; every other type in an input is counted and skipped. */
import { kindOfId as armKindOfId, kindOfType as armKindOfType, type ResourceKind } from '../arm/index.js';

/** Virtual Network Manager resources: what decides a network's security admin rules (lib/estate/security-admin.ts). */
export const SECURITY_ADMIN_KINDS = [
  'networkManager',
  'securityAdminConfiguration',
  'adminRuleCollection',
  'adminRule',
  'networkGroup',
  'networkGroupStaticMember',
] as const satisfies readonly ResourceKind[];

export type SecurityAdminKind = (typeof SECURITY_ADMIN_KINDS)[number];

const SECURITY_ADMIN: ReadonlySet<string> = new Set(SECURITY_ADMIN_KINDS);

export function isSecurityAdminKind(kind: string): kind is SecurityAdminKind {
  return SECURITY_ADMIN.has(kind);
}

const ESTATE_KINDS = [
  'virtualNetwork',
  'subnet',
  'virtualNetworkPeering',
  'networkSecurityGroup',
  'securityRule',
  'defaultSecurityRule',
  'networkInterface',
  'networkInterfaceIpConfiguration',
  'natGateway',
  'bastionHost',
  'applicationSecurityGroup',
  'privateEndpoint',
  'routeTable',
  'route',
  'virtualNetworkGateway',
  'virtualNetworkGatewayConnection',
  'localNetworkGateway',
  'virtualMachineScaleSet',
  'scaleSetNetworkInterface',
  'scaleSetNetworkInterfaceIpConfiguration',
  'publicIPAddress',
  'scaleSetPublicIPAddress',
  'loadBalancer',
  // A load balancer's parts read as resources of their own (the child APIs, `az network lb ... list`).
  'loadBalancerFrontendIpConfiguration',
  'loadBalancerBackendAddressPool',
  'loadBalancingRule',
  'inboundNatRule',
  'outboundRule',
  'networkInterfaceEffectiveRouteTable',
  'applicationGateway',
  'subnetServiceAssociationLink',
  'subnetResourceNavigationLink',
  'apiManagementService',
  'domainService',
  'managedCluster',
  ...SECURITY_ADMIN_KINDS,
] as const satisfies readonly ResourceKind[];

export type EstateKind = (typeof ESTATE_KINDS)[number];

const MODELLED: ReadonlySet<ResourceKind> = new Set(ESTATE_KINDS);

function modelled(kind: ResourceKind | undefined): EstateKind | undefined {
  return kind !== undefined && MODELLED.has(kind) ? (kind as EstateKind) : undefined;
}

/** The modelled kind of an ARM type, undefined for a type the estate does not model. */
export function estateKindOfType(type: string): EstateKind | undefined {
  return modelled(armKindOfType(type));
}

/** The modelled kind of the resource an id names. */
export function estateKindOfId(id: string): EstateKind | undefined {
  return modelled(armKindOfId(id));
}
