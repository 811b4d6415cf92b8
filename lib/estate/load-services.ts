/**
 * Readers for the resources that tell which service owns or uses a subnet: application gateways
 * (gateway IP configurations, frontends, listeners, SKU), API Management in a virtual network,
 * Microsoft Entra Domain Services, AKS clusters, and a subnet's delegations and links. Each reads
 * a flattened resource and throws through `fail` on a field it cannot read, so the loader reports
 * the resource, names the field, and goes on.
 *
 * Shapes: https://learn.microsoft.com/rest/api/application-gateway/application-gateways/get,
 * https://learn.microsoft.com/rest/api/apimanagement/api-management-service/get,
 * https://learn.microsoft.com/rest/api/aad-domainservices/domain-services/get,
 * https://learn.microsoft.com/rest/api/aks/managed-clusters/get,
 * https://learn.microsoft.com/rest/api/virtualnetwork/subnets/get (delegations, serviceAssociationLinks, resourceNavigationLinks)
 */
import { childId, nameOfId, normalizeId, parseResourceId } from '../arm/index.js';
import type {
  ApiManagementService,
  ApplicationGateway,
  ApplicationGatewayFrontend,
  ApplicationGatewayGeneration,
  ApplicationGatewayListener,
  ArmReference,
  DomainService,
  ManagedCluster,
  SubnetLink,
} from './model.js';
import type { FieldReader } from './load-paths.js';
import { flatten, isObject, type JsonObject } from './shape.js';

/** What every resource has (the loader's `base`). */
type Base = Pick<DomainService, 'id' | 'key' | 'name' | 'subscriptionId' | 'resourceGroup' | 'tags' | 'origin'>;

/**
 * The generation an Application Gateway SKU belongs to: `Standard_v2` and `WAF_v2` are v2,
 * `Standard` and `WAF` (sizes Small, Medium, Large) are v1
 * (https://learn.microsoft.com/azure/application-gateway/overview-v2). Other names: not known.
 */
export function gatewayGeneration(skuName: string | undefined, skuTier: string | undefined): ApplicationGatewayGeneration | undefined {
  const names = [skuTier, skuName].filter((v): v is string => v !== undefined).map((v) => v.toLowerCase());
  if (names.some((n) => n.endsWith('_v2'))) return 'v2';
  if (names.some((n) => n === 'standard' || n === 'waf' || /^(standard|waf)_(small|medium|large)$/.test(n))) return 'v1';
  return undefined;
}

export function readApplicationGateway(flat: JsonObject, base: Base, read: FieldReader): ApplicationGateway {
  const sku = flat['sku'];
  const skuName = isObject(sku) ? optionalString(sku, 'name', 'sku.name', read) : undefined;
  const skuTier = isObject(sku) ? optionalString(sku, 'tier', 'sku.tier', read) : undefined;
  const part = (raw: JsonObject, segment: string, label: string): { child: JsonObject; id: string; key: string; name: string } => {
    const child = flatten(raw);
    const own = child['id'];
    const name = typeof child['name'] === 'string' && child['name'] !== '' ? child['name'] : typeof own === 'string' ? nameOfId(own) : '';
    if (name === '' && (typeof own !== 'string' || own.trim() === '')) read.fail(label, `${label} has neither an id nor a name`);
    const id = typeof own === 'string' && own.trim() !== '' ? own.trim() : childId(base.id, segment, name);
    return { child, id, key: normalizeId(id), name };
  };
  const subnets = objects(flat, 'gatewayIPConfigurations', read).flatMap((raw, i) => {
    const label = `gatewayIPConfigurations[${i}]`;
    const ref = read.reference(flatten(raw), 'subnet', `${label}.subnet`);
    return ref ? [ref] : [];
  });
  const frontends = objects(flat, 'frontendIPConfigurations', read).map((raw, i): ApplicationGatewayFrontend => {
    const label = `frontendIPConfigurations[${i}]`;
    const { child, id, key, name } = part(raw, 'frontendIPConfigurations', label);
    const privateIp = get(child, 'privateIPAddress');
    return {
      id,
      key,
      name,
      publicIpAddress: read.reference(child, 'publicIPAddress', `${label}.publicIPAddress`),
      privateIpAddress: typeof privateIp === 'string' && privateIp !== '' ? privateIp : undefined,
    };
  });
  const ports = new Map<string, number>();
  objects(flat, 'frontendPorts', read).forEach((raw, i) => {
    const label = `frontendPorts[${i}]`;
    const { child, key } = part(raw, 'frontendPorts', label);
    const value = get(child, 'port');
    const port = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value.trim()) : value;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      read.fail(`${label}.port`, `${label}.port ${port === undefined ? 'is missing' : `'${String(port)}' is not a port 1-65535`}`);
    }
    ports.set(key, port);
  });
  const listeners = ['httpListeners', 'listeners'].flatMap((segment) =>
    objects(flat, segment, read).map((raw, i): ApplicationGatewayListener => {
      const label = `${segment}[${i}]`;
      const { child, name } = part(raw, segment, label);
      const portRef = read.reference(child, 'frontendPort', `${label}.frontendPort`);
      const protocol = get(child, 'protocol');
      return {
        name,
        frontend: read.reference(child, 'frontendIPConfiguration', `${label}.frontendIPConfiguration`),
        port: portRef ? ports.get(portRef.key) : undefined,
        protocol: typeof protocol === 'string' && protocol !== '' ? protocol : undefined,
      };
    }),
  );
  return {
    ...base,
    kind: 'applicationGateway',
    skuName,
    skuTier,
    generation: gatewayGeneration(skuName, skuTier),
    subnets: uniqueRefs(subnets),
    frontends,
    listeners,
  };
}

const VNET_TYPES = ['External', 'Internal', 'None'] as const;

export function readApiManagementService(flat: JsonObject, base: Base, read: FieldReader): ApiManagementService {
  const config = get(flat, 'virtualNetworkConfiguration');
  if (config !== undefined && config !== null && !isObject(config)) read.fail('virtualNetworkConfiguration', 'virtualNetworkConfiguration is not an object');
  const subnetId = isObject(config) ? get(config, 'subnetResourceId') : undefined;
  let subnet: ArmReference | undefined;
  if (subnetId !== undefined && subnetId !== null && subnetId !== '') {
    if (typeof subnetId !== 'string' || !parseResourceId(subnetId)) read.fail('virtualNetworkConfiguration.subnetResourceId', 'virtualNetworkConfiguration.subnetResourceId is not an ARM resource id');
    subnet = { id: subnetId.trim(), key: normalizeId(subnetId) };
  }
  const type = get(flat, 'virtualNetworkType');
  let virtualNetworkType: ApiManagementService['virtualNetworkType'];
  if (type !== undefined && type !== null) {
    virtualNetworkType = typeof type === 'string' ? VNET_TYPES.find((t) => t.toLowerCase() === type.trim().toLowerCase()) : undefined;
    if (!virtualNetworkType) read.fail('virtualNetworkType', `virtualNetworkType ${JSON.stringify(type)} is not one of ${VNET_TYPES.join(', ')}`);
  }
  return { ...base, kind: 'apiManagementService', subnet, virtualNetworkType };
}

export function readDomainService(flat: JsonObject, base: Base, read: FieldReader): DomainService {
  const subnets: ArmReference[] = [];
  const add = (value: unknown, label: string) => {
    if (value === undefined || value === null || value === '') return;
    if (typeof value !== 'string' || !parseResourceId(value)) read.fail(label, `${label} is not an ARM resource id`);
    subnets.push({ id: value.trim(), key: normalizeId(value) });
  };
  add(get(flat, 'subnetId'), 'subnetId');
  objects(flat, 'replicaSets', read).forEach((r, i) => add(get(flatten(r), 'subnetId'), `replicaSets[${i}].subnetId`));
  return { ...base, kind: 'domainService', subnets: uniqueRefs(subnets) };
}

export function readManagedCluster(flat: JsonObject, base: Base, read: FieldReader): ManagedCluster {
  const subnets: ArmReference[] = [];
  objects(flat, 'agentPoolProfiles', read).forEach((p, i) => {
    const value = get(flatten(p), 'vnetSubnetID');
    if (value === undefined || value === null || value === '') return;
    const label = `agentPoolProfiles[${i}].vnetSubnetID`;
    if (typeof value !== 'string' || !parseResourceId(value)) read.fail(label, `${label} is not an ARM resource id`);
    subnets.push({ id: value.trim(), key: normalizeId(value) });
  });
  const group = get(flat, 'nodeResourceGroup');
  return { ...base, kind: 'managedCluster', nodeResourceGroup: typeof group === 'string' && group !== '' ? group : undefined, subnets: uniqueRefs(subnets) };
}

/** `delegations[].serviceName` of a subnet (a delegation without one is an error naming it). */
export function readDelegations(flat: JsonObject, label: (field: string) => string, read: FieldReader): string[] | undefined {
  if (get(flat, 'delegations') === undefined || get(flat, 'delegations') === null) return undefined;
  return objects(flat, 'delegations', read, label('delegations')).map((raw, i) => {
    const name = get(flatten(raw), 'serviceName');
    const at = `${label('delegations')}[${i}].serviceName`;
    if (typeof name !== 'string' || name.trim() === '') return read.fail(at, `${at} is missing`);
    return name.trim();
  });
}

/** The links a subnet lists inline (`serviceAssociationLinks`, `resourceNavigationLinks`). */
export function readSubnetLinks(flat: JsonObject, label: (field: string) => string, read: FieldReader): SubnetLink[] | undefined {
  const fields = [
    ['serviceAssociationLinks', 'serviceAssociationLink'],
    ['resourceNavigationLinks', 'resourceNavigationLink'],
  ] as const;
  if (fields.every(([field]) => get(flat, field) === undefined || get(flat, field) === null)) return undefined;
  return fields.flatMap(([field, kind]) => objects(flat, field, read, label(field)).map((raw, i) => subnetLink(flatten(raw), kind, `${label(field)}[${i}]`)));
}

/** One link: inline in a subnet, or a resource of its own. */
export function subnetLink(flat: JsonObject, kind: SubnetLink['kind'], label: string): SubnetLink {
  const name = typeof flat['name'] === 'string' && flat['name'] !== '' ? flat['name'] : typeof flat['id'] === 'string' ? nameOfId(flat['id']) : label;
  const type = get(flat, 'linkedResourceType');
  const link = get(flat, 'link');
  return {
    kind,
    name,
    linkedResourceType: typeof type === 'string' && type !== '' ? type : undefined,
    link: typeof link === 'string' && link !== '' ? link : undefined,
  };
}

/** A field in any casing (ARM ignores the case of property names; templates write `Port` for `port`). */
function get(flat: JsonObject, field: string): unknown {
  if (field in flat) return flat[field];
  const lower = field.toLowerCase();
  const key = Object.keys(flat).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : flat[key];
}

function optionalString(flat: JsonObject, field: string, label: string, read: FieldReader): string | undefined {
  const value = get(flat, field);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') return read.fail(label, `${label} is not a string`);
  return value;
}

function objects(flat: JsonObject, field: string, read: FieldReader, at: string = field): JsonObject[] {
  const value = get(flat, field);
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return read.fail(at, `${at} is not an array`);
  return value.map((item, i) => (isObject(item) ? item : read.fail(`${at}[${i}]`, `${at}[${i}] is not an object`)));
}

function uniqueRefs(refs: readonly ArmReference[]): ArmReference[] {
  return [...new Map(refs.map((r) => [r.key, r])).values()];
}
