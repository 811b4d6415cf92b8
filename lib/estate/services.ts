/**
 * Which service owns or uses a subnet, and which NSGs a service owns. Recognised from what the
 * estate holds, each with how it was recognised:
 * - a delegation (`delegations[].serviceName`): the subnet is reserved for that service
 *   (https://learn.microsoft.com/azure/virtual-network/subnet-delegation-overview);
 * - a service association link or resource navigation link (`linkedResourceType`);
 * - a resource deployed in it: an application gateway's gateway IP configuration, a Bastion host,
 *   API Management's `virtualNetworkConfiguration`, Entra Domain Services' replica sets, an AKS
 *   cluster's node pools or a scale set in its node resource group;
 * - the names Azure requires (`AzureBastionSubnet`, `GatewaySubnet`, ...).
 *
 * A service owns an NSG when it writes it: AKS creates the node-pool NSG in its node resource
 * group (`MC_<group>_<cluster>_<location>` unless named) and writes the rules of LoadBalancer
 * services there (https://learn.microsoft.com/azure/aks/concepts-network#network-security-groups).
 * Pure.
 */
import { normalizeId } from '../arm/index.js';
import type { Estate, NetworkSecurityGroup, SubnetLink } from './model.js';
import { RESERVED_SUBNET_NAMES, subnetRole } from './relations.js';

/** The services nsgwatch knows by name (their documented NSG requirements are rules of the catalogue). */
export type ServiceKind =
  | 'applicationGateway'
  | 'apiManagement'
  | 'sqlManagedInstance'
  | 'databricks'
  | 'domainServices'
  | 'kubernetes'
  | 'bastion'
  | 'virtualNetworkGateway'
  | 'firewall'
  | 'routeServer'
  /** A delegation or link to a service without documented NSG requirements here. */
  | 'other';

export interface ServiceInfo {
  /** The service as Microsoft names it. */
  name: string;
  /** The Microsoft document of its network (NSG) requirements. */
  document: string;
}

/** The known services, as data: name and the document their requirements come from. */
export const SERVICES: Readonly<Record<Exclude<ServiceKind, 'other'>, ServiceInfo>> = {
  applicationGateway: { name: 'Azure Application Gateway', document: 'https://learn.microsoft.com/azure/application-gateway/configuration-infrastructure#network-security-groups' },
  apiManagement: { name: 'Azure API Management', document: 'https://learn.microsoft.com/azure/api-management/virtual-network-reference' },
  sqlManagedInstance: {
    name: 'Azure SQL Managed Instance',
    document: 'https://learn.microsoft.com/azure/azure-sql/managed-instance/connectivity-architecture-overview#mandatory-security-rules-with-service-aided-subnet-configuration',
  },
  databricks: { name: 'Azure Databricks', document: 'https://learn.microsoft.com/azure/databricks/security/network/classic/vnet-inject' },
  domainServices: { name: 'Microsoft Entra Domain Services', document: 'https://learn.microsoft.com/entra/identity/domain-services/network-considerations' },
  kubernetes: { name: 'Azure Kubernetes Service', document: 'https://learn.microsoft.com/azure/aks/concepts-network#network-security-groups' },
  bastion: { name: 'Azure Bastion', document: 'https://learn.microsoft.com/azure/bastion/bastion-nsg' },
  virtualNetworkGateway: { name: 'Azure VPN Gateway / ExpressRoute gateway', document: 'https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-about-vpn-gateway-settings' },
  // NSG-010 exempts these subnets: Azure manages them (the NSG overview).
  firewall: { name: 'Azure Firewall', document: 'https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview' },
  routeServer: { name: 'Azure Route Server', document: 'https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview' },
};

/**
 * Delegations and linked types by provider type (lower case): the delegations the documents name
 * (SQL MI: `Microsoft.Sql/managedInstances`; Databricks: `Microsoft.Databricks/workspaces`; ...).
 */
const BY_PROVIDER_TYPE: ReadonlyMap<string, Exclude<ServiceKind, 'other'>> = new Map([
  ['microsoft.sql/managedinstances', 'sqlManagedInstance'],
  ['microsoft.databricks/workspaces', 'databricks'],
  ['microsoft.apimanagement/service', 'apiManagement'],
  ['microsoft.aad/domainservices', 'domainServices'],
  ['microsoft.containerservice/managedclusters', 'kubernetes'],
]);

/** One way a subnet is known to belong to a service. */
export interface ServiceUse {
  kind: ServiceKind;
  /** The service's name (for `other`: the delegated or linked type as Azure spells it). */
  name: string;
  /** The document of its requirements; undefined for `other`. */
  document: string | undefined;
  /** How it was recognised, in words: "delegated to Microsoft.Sql/managedInstances". */
  recognisedBy: string;
  /** The resource that uses the subnet, when one is in the estate. */
  resourceId?: string;
  /** Application Gateway: the SKU generation the requirements depend on. */
  generation?: 'v1' | 'v2';
  /** API Management: `External` or `Internal`. */
  virtualNetworkType?: 'External' | 'Internal';
}

/** The services of an estate: per subnet, and the NSGs a service owns. */
export interface EstateServices {
  /** Subnet key → the services using it (a subnet may show the same service more than one way). */
  bySubnet: ReadonlyMap<string, ServiceUse[]>;
  /** NSG key → the service that writes it, and why that is known. */
  ownedNsgs: ReadonlyMap<string, ServiceUse>;
}

const cache = new WeakMap<Estate, EstateServices>();

/** Every service use the estate shows (computed once per estate). */
export function estateServices(estate: Estate): EstateServices {
  let found = cache.get(estate);
  if (!found) {
    found = computeServices(estate);
    cache.set(estate, found);
  }
  return found;
}

/** The services using one subnet (its key or id); empty when none is known. */
export function servicesOfSubnet(estate: Estate, subnetId: string): ServiceUse[] {
  return estateServices(estate).bySubnet.get(normalizeId(subnetId)) ?? [];
}

/** The service that writes an NSG, if one does. */
export function serviceOwningNsg(estate: Estate, nsgId: string): ServiceUse | undefined {
  return estateServices(estate).ownedNsgs.get(normalizeId(nsgId));
}

function known(kind: Exclude<ServiceKind, 'other'>, recognisedBy: string, extra: Partial<ServiceUse> = {}): ServiceUse {
  const info = SERVICES[kind];
  return { kind, name: info.name, document: info.document, recognisedBy, ...extra };
}

/** A delegation's or link's service: known by the table, else `other` named by its type. */
function byType(type: string, recognisedBy: string, resourceId?: string): ServiceUse {
  const kind = BY_PROVIDER_TYPE.get(type.trim().toLowerCase());
  const extra = resourceId ? { resourceId } : {};
  return kind ? known(kind, recognisedBy, extra) : { kind: 'other', name: type, document: undefined, recognisedBy, ...extra };
}

function linkUse(link: SubnetLink): ServiceUse | undefined {
  if (!link.linkedResourceType) return undefined;
  const what = link.kind === 'serviceAssociationLink' ? 'service association link' : 'resource navigation link';
  return byType(link.linkedResourceType, `${what} ${link.name} to ${link.linkedResourceType}`, link.link);
}

const ROLE_SERVICE: Readonly<Record<Exclude<ReturnType<typeof subnetRole>, 'workload'>, Exclude<ServiceKind, 'other'>>> = {
  bastion: 'bastion',
  gateway: 'virtualNetworkGateway',
  firewall: 'firewall',
  firewallManagement: 'firewall',
  routeServer: 'routeServer',
};

function computeServices(estate: Estate): EstateServices {
  const bySubnet = new Map<string, ServiceUse[]>();
  const add = (subnetKey: string, use: ServiceUse) => {
    const list = bySubnet.get(subnetKey);
    if (!list) bySubnet.set(subnetKey, [use]);
    else if (!list.some((u) => u.kind === use.kind && u.name === use.name && u.recognisedBy === use.recognisedBy)) list.push(use);
  };

  for (const subnet of estate.subnets.values()) {
    const role = subnetRole(subnet.name);
    if (role !== 'workload') add(subnet.key, known(ROLE_SERVICE[role], `the subnet name ${RESERVED_SUBNET_NAMES[role]}, which Azure reserves for it`));
    for (const delegation of subnet.delegations ?? []) add(subnet.key, byType(delegation, `delegated to ${delegation}`));
    for (const link of subnet.links ?? []) {
      const use = linkUse(link);
      if (use) add(subnet.key, use);
    }
  }
  for (const [subnetKey, links] of estate.subnetLinks) {
    for (const link of links) {
      const use = linkUse(link);
      if (use) add(subnetKey, use);
    }
  }
  for (const gateway of estate.applicationGateways.values()) {
    for (const subnet of gateway.subnets) {
      add(subnet.key, known('applicationGateway', `application gateway ${gateway.name} (${gateway.skuName ?? 'SKU not given'})`, {
        resourceId: gateway.id,
        ...(gateway.generation ? { generation: gateway.generation } : {}),
      }));
    }
  }
  for (const bastion of estate.bastionHosts.values()) {
    for (const subnet of bastion.subnets) add(subnet.key, known('bastion', `Bastion host ${bastion.name}`, { resourceId: bastion.id }));
  }
  for (const service of estate.apiManagementServices.values()) {
    if (!service.subnet || service.virtualNetworkType === 'None') continue;
    const mode = service.virtualNetworkType;
    add(service.subnet.key, known('apiManagement', `API Management ${service.name} (virtual network ${mode ?? 'type not given'})`, {
      resourceId: service.id,
      ...(mode ? { virtualNetworkType: mode } : {}),
    }));
  }
  for (const service of estate.domainServices.values()) {
    for (const subnet of service.subnets) add(subnet.key, known('domainServices', `Entra Domain Services ${service.name}`, { resourceId: service.id }));
  }

  const nodeGroups = new Map<string, string>();
  for (const cluster of estate.managedClusters.values()) {
    for (const subnet of cluster.subnets) add(subnet.key, known('kubernetes', `node pool subnet of AKS cluster ${cluster.name}`, { resourceId: cluster.id }));
    if (cluster.nodeResourceGroup) nodeGroups.set(cluster.nodeResourceGroup.toLowerCase(), `node resource group ${cluster.nodeResourceGroup} of AKS cluster ${cluster.name}`);
  }
  const nodeGroupOf = (group: string): string | undefined => {
    const named = nodeGroups.get(group.toLowerCase());
    if (named) return named;
    // AKS names the node resource group MC_<resource group>_<cluster>_<location> unless told otherwise.
    return /^mc_.+_.+_.+$/i.test(group) ? `resource group ${group}, named the way AKS names a cluster's node resource group (MC_<group>_<cluster>_<location>)` : undefined;
  };
  // Scale sets in a node resource group are node pools: their subnets are AKS node subnets.
  for (const scaleSet of estate.scaleSets.values()) {
    const group = nodeGroupOf(scaleSet.resourceGroup);
    if (!group) continue;
    for (const config of scaleSet.networkInterfaceConfigurations) {
      for (const ip of config.ipConfigurations) if (ip.subnet) add(ip.subnet.key, known('kubernetes', `node pool ${scaleSet.name} in the ${group}`, { resourceId: scaleSet.id }));
    }
  }

  const ownedNsgs = new Map<string, ServiceUse>();
  for (const nsg of estate.networkSecurityGroups.values()) {
    const owner = nsgOwner(nsg, nodeGroupOf);
    if (owner) ownedNsgs.set(nsg.key, owner);
  }
  return { bySubnet, ownedNsgs };
}

function nsgOwner(nsg: NetworkSecurityGroup, nodeGroupOf: (group: string) => string | undefined): ServiceUse | undefined {
  const group = nodeGroupOf(nsg.resourceGroup);
  return group ? known('kubernetes', `NSG ${nsg.name} in the ${group}`, { resourceId: nsg.id }) : undefined;
}

/**
 * Rules a service writes into an NSG on a delegated subnet through its network intent policy: SQL
 * Managed Instance and Databricks name them `Microsoft.Sql-managedInstances_UseOnly_...` and
 * `Microsoft.Databricks-workspaces_UseOnly_...`; the user cannot change them.
 */
export function intentPolicyAuthor(ruleName: string): ServiceUse | undefined {
  const match = /^(Microsoft\.[A-Za-z]+)-([A-Za-z]+)_UseOnly_/i.exec(ruleName);
  if (!match) return undefined;
  const type = `${match[1] ?? ''}/${match[2] ?? ''}`;
  return byType(type, `rule ${ruleName}, written by the network intent policy of ${type}`);
}
