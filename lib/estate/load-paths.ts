/**
 * Readers for the resources that give an attachment point its public path or its NICs: scale
 * sets (the network profile every instance NIC copies), public IP addresses and load balancers.
 * Each reads a flattened resource (fields at top level) and throws through `fail` on a field it
 * cannot read, so the loader reports the resource, names the field, and goes on.
 *
 * Shapes: https://learn.microsoft.com/rest/api/compute/virtual-machine-scale-sets/get,
 * https://learn.microsoft.com/rest/api/virtualnetwork/public-ip-addresses/get,
 * https://learn.microsoft.com/rest/api/virtualnetwork/load-balancers/get
 */
import { childId, nameOfId, normalizeId } from '../arm/index.js';
import type {
  ArmReference,
  InboundNatPool,
  InboundNatRule,
  LoadBalancer,
  LoadBalancerBackendPool,
  LoadBalancerFrontend,
  LoadBalancerProtocol,
  LoadBalancingRule,
  OutboundRule,
  PublicIpAddress,
  PublicIpSku,
  ScaleSet,
  ScaleSetIpConfiguration,
  ScaleSetNicConfiguration,
} from './model.js';
import { flatten, isObject, type JsonObject } from './shape.js';

/** The loader's field readers; `fail` throws the error that reports the resource. */
export interface FieldReader {
  reference(flat: JsonObject, field: string, label: string): ArmReference | undefined;
  references(flat: JsonObject, field: string, label: string): ArmReference[];
  fail(field: string, message: string): never;
}

type Base = Omit<ScaleSet, 'kind' | 'orchestrationMode' | 'capacity' | 'networkInterfaceConfigurations'>;

export function readScaleSet(flat: JsonObject, base: Base, read: FieldReader): ScaleSet {
  const mode = flat['orchestrationMode'];
  const orchestrationMode = typeof mode === 'string' ? (mode.toLowerCase() === 'flexible' ? 'Flexible' : mode.toLowerCase() === 'uniform' ? 'Uniform' : undefined) : undefined;
  if (typeof mode === 'string' && orchestrationMode === undefined) read.fail('orchestrationMode', `orchestrationMode '${mode}' is neither Uniform nor Flexible`);
  const sku = flat['sku'];
  const capacity = isObject(sku) && typeof sku['capacity'] === 'number' ? sku['capacity'] : undefined;
  const profile = flat['virtualMachineProfile'];
  const network = isObject(profile) ? flatten(profile)['networkProfile'] : undefined;
  const configs = isObject(network) ? objects(flatten(network), 'networkInterfaceConfigurations', 'virtualMachineProfile.networkProfile', read) : [];
  return {
    ...base,
    kind: 'virtualMachineScaleSet',
    orchestrationMode,
    capacity,
    networkInterfaceConfigurations: configs.map((raw, i) => nicConfiguration(raw, `virtualMachineProfile.networkProfile.networkInterfaceConfigurations[${i}]`, read)),
  };
}

function nicConfiguration(raw: JsonObject, label: string, read: FieldReader): ScaleSetNicConfiguration {
  const flat = flatten(raw);
  return {
    name: stringOr(flat['name'], ''),
    networkSecurityGroup: read.reference(flat, 'networkSecurityGroup', `${label}.networkSecurityGroup`),
    ipConfigurations: objects(flat, 'ipConfigurations', label, read).map((c, i) => {
      const config = flatten(c);
      const at = `${label}.ipConfigurations[${i}]`;
      const publicConfig = config['publicIPAddressConfiguration'];
      const ip: ScaleSetIpConfiguration = {
        name: stringOr(config['name'], ''),
        subnet: read.reference(config, 'subnet', `${at}.subnet`),
        loadBalancerBackendAddressPools: read.references(config, 'loadBalancerBackendAddressPools', `${at}.loadBalancerBackendAddressPools`),
        loadBalancerInboundNatPools: read.references(config, 'loadBalancerInboundNatPools', `${at}.loadBalancerInboundNatPools`),
        publicIpAddressConfiguration: isObject(publicConfig)
          ? { name: stringOr(publicConfig['name'], ''), sku: skuOf(publicConfig['sku'], `${at}.publicIPAddressConfiguration.sku`, read) }
          : undefined,
      };
      return ip;
    }),
  };
}

type PublicBase = Omit<PublicIpAddress, 'kind' | 'ipAddress' | 'version' | 'sku' | 'ipConfiguration'>;

export function readPublicIp(flat: JsonObject, base: PublicBase, read: FieldReader, checkAddress: (value: unknown, field: string) => string): PublicIpAddress {
  const address = flat['ipAddress'];
  const version = flat['publicIPAddressVersion'];
  if (version !== undefined && version !== null && (typeof version !== 'string' || !/^ipv[46]$/i.test(version))) {
    read.fail('publicIPAddressVersion', `publicIPAddressVersion '${String(version)}' is neither IPv4 nor IPv6`);
  }
  return {
    ...base,
    kind: 'publicIPAddress',
    ipAddress: address === undefined || address === null || address === '' ? undefined : checkAddress(address, 'ipAddress'),
    version: typeof version === 'string' && version.toLowerCase() === 'ipv6' ? 'IPv6' : 'IPv4',
    sku: skuOf(flat['sku'], 'sku', read),
    ipConfiguration: read.reference(flat, 'ipConfiguration', 'ipConfiguration'),
  };
}

function skuOf(value: unknown, label: string, read: FieldReader): PublicIpSku | undefined {
  if (value === undefined || value === null) return undefined;
  const name = isObject(value) ? value['name'] : value;
  if (typeof name !== 'string') return read.fail(label, `${label}.name is not a string`);
  if (name.toLowerCase() === 'basic') return 'Basic';
  if (name.toLowerCase() === 'standard') return 'Standard';
  return read.fail(label, `${label} '${name}' is neither Basic nor Standard`);
}

type LoadBalancerBase = Omit<LoadBalancer, 'kind' | 'sku' | 'frontends' | 'backendPools' | 'rules' | 'inboundNatRules' | 'inboundNatPools' | 'outboundRules'>;

export function readLoadBalancer(flat: JsonObject, base: LoadBalancerBase, read: FieldReader): LoadBalancer {
  const sku = flat['sku'];
  const part = (raw: JsonObject, segment: string, label: string) => {
    const child = flatten(raw);
    const own = child['id'];
    const name = stringOr(child['name'], typeof own === 'string' ? nameOfId(own) : '');
    if (typeof own !== 'string' && name === '') read.fail(label, `${label} has neither an id nor a name`);
    const id = typeof own === 'string' && own.trim() !== '' ? own.trim() : childId(base.id, segment, name);
    return { child, at: { id, key: normalizeId(id), name } };
  };
  const each = <T>(segment: string, reader: (child: JsonObject, at: { id: string; key: string; name: string }, label: string) => T): T[] =>
    objects(flat, segment, '', read).map((raw, i) => {
      const label = `${segment}[${i}]`;
      const { child, at } = part(raw, segment, label);
      return reader(child, at, label);
    });

  const frontends = each('frontendIPConfigurations', (c, at, label): LoadBalancerFrontend => ({
    ...at,
    publicIpAddress: read.reference(c, 'publicIPAddress', `${label}.publicIPAddress`),
    privateIpAddress: typeof c['privateIPAddress'] === 'string' && c['privateIPAddress'] !== '' ? c['privateIPAddress'] : undefined,
    subnet: read.reference(c, 'subnet', `${label}.subnet`),
  }));
  const backendPools = each('backendAddressPools', (c, at, label): LoadBalancerBackendPool => ({
    ...at,
    backendIpConfigurations: read.references(c, 'backendIPConfigurations', `${label}.backendIPConfigurations`),
    addresses: objects(c, 'loadBalancerBackendAddresses', label, read).flatMap((a) => {
      const address = flatten(a)['ipAddress'];
      return typeof address === 'string' && address !== '' ? [address] : [];
    }),
  }));
  const rules = each('loadBalancingRules', (c, at, label): LoadBalancingRule => {
    const single = read.reference(c, 'backendAddressPool', `${label}.backendAddressPool`);
    return {
      ...at,
      protocol: protocolOf(c, label, read),
      frontendPort: port(c, 'frontendPort', label, read),
      backendPort: port(c, 'backendPort', label, read, c['frontendPort']),
      floatingIp: c['enableFloatingIP'] === true,
      frontend: read.reference(c, 'frontendIPConfiguration', `${label}.frontendIPConfiguration`),
      backendPools: uniqueRefs([...(single ? [single] : []), ...read.references(c, 'backendAddressPools', `${label}.backendAddressPools`)]),
    };
  });
  const inboundNatRules = each('inboundNatRules', (c, at, label): InboundNatRule => {
    const hasRange = c['frontendPortRangeStart'] !== undefined && c['frontendPortRangeStart'] !== null;
    const frontendPorts = hasRange
      ? range(c, label, read)
      : { from: port(c, 'frontendPort', label, read), to: port(c, 'frontendPort', label, read) };
    return {
      ...at,
      protocol: protocolOf(c, label, read),
      frontendPorts,
      backendPort: port(c, 'backendPort', label, read),
      floatingIp: c['enableFloatingIP'] === true,
      frontend: read.reference(c, 'frontendIPConfiguration', `${label}.frontendIPConfiguration`),
      backendIpConfiguration: read.reference(c, 'backendIPConfiguration', `${label}.backendIPConfiguration`),
      backendPool: read.reference(c, 'backendAddressPool', `${label}.backendAddressPool`),
    };
  });
  const inboundNatPools = each('inboundNatPools', (c, at, label): InboundNatPool => ({
    ...at,
    protocol: protocolOf(c, label, read),
    frontendPorts: range(c, label, read),
    backendPort: port(c, 'backendPort', label, read),
    floatingIp: c['enableFloatingIP'] === true,
    frontend: read.reference(c, 'frontendIPConfiguration', `${label}.frontendIPConfiguration`),
  }));
  const outboundRules = each('outboundRules', (c, at, label): OutboundRule => ({
    ...at,
    protocol: protocolOf(c, label, read),
    frontends: read.references(c, 'frontendIPConfigurations', `${label}.frontendIPConfigurations`),
    backendPool: read.reference(c, 'backendAddressPool', `${label}.backendAddressPool`),
  }));
  return {
    ...base,
    kind: 'loadBalancer',
    sku: isObject(sku) && typeof sku['name'] === 'string' ? sku['name'] : undefined,
    frontends,
    backendPools,
    rules,
    inboundNatRules,
    inboundNatPools,
    outboundRules,
  };
}

function protocolOf(flat: JsonObject, label: string, read: FieldReader): LoadBalancerProtocol {
  const value = flat['protocol'];
  if (typeof value !== 'string') return read.fail(`${label}.protocol`, `${label}.protocol is missing`);
  switch (value.toLowerCase()) {
    case 'tcp':
      return 'Tcp';
    case 'udp':
      return 'Udp';
    case 'all':
      return 'All';
    default:
      return read.fail(`${label}.protocol`, `${label}.protocol '${value}' is not Tcp, Udp or All`);
  }
}

function port(flat: JsonObject, field: string, label: string, read: FieldReader, fallback?: unknown): number {
  const given = flat[field] ?? fallback;
  // Templates give numbers from parameters as strings.
  const value = typeof given === 'string' && /^\d+$/.test(given.trim()) ? Number(given.trim()) : given;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535) {
    return read.fail(`${label}.${field}`, `${label}.${field} ${value === undefined ? 'is missing' : `'${String(value)}' is not a port 0-65535`}`);
  }
  return value;
}

function range(flat: JsonObject, label: string, read: FieldReader): { from: number; to: number } {
  const from = port(flat, 'frontendPortRangeStart', label, read);
  const to = port(flat, 'frontendPortRangeEnd', label, read);
  if (to < from) read.fail(`${label}.frontendPortRangeEnd`, `${label}.frontendPortRangeEnd ${to} is below frontendPortRangeStart ${from}`);
  return { from, to };
}

function objects(flat: JsonObject, field: string, label: string, read: FieldReader): JsonObject[] {
  const value = flat[field];
  const at = label === '' ? field : `${label}.${field}`;
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return read.fail(at, `${at} is not an array`);
  return value.map((item, i) => (isObject(item) ? item : read.fail(`${at}[${i}]`, `${at}[${i}] is not an object`)));
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' && value !== '' ? value : fallback;
}

function uniqueRefs(refs: readonly ArmReference[]): ArmReference[] {
  return [...new Map(refs.map((r) => [r.key, r])).values()];
}
