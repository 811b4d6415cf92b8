/**
 * Public paths (DESIGN §3 "Public path"): how a flow from the Internet can reach an attachment
 * point. NSGs see traffic after Azure translates a public address to a private one, so an Allow
 * rule from the Internet is an exposure only where a public path exists: a public IP on the NIC's
 * IP configuration, or a public load-balancer frontend whose load-balancing rule, inbound NAT rule
 * or NAT pool sends traffic to it (frontend port → backend port; with floating IP the NSG sees the
 * frontend address as the destination), or another public entry named as such: an Application
 * Gateway's public frontend, which carries its listeners' ports into the gateway's own subnet (its
 * backends see the gateway's subnet addresses as the source, not the Internet).
 *
 * https://learn.microsoft.com/azure/virtual-network/network-security-group-how-it-works
 * https://learn.microsoft.com/azure/load-balancer/load-balancer-floating-ip
 * https://learn.microsoft.com/azure/virtual-network/ip-services/public-ip-addresses#sku
 * https://learn.microsoft.com/azure/application-gateway/application-gateway-components#frontend-ip-addresses
 *
 * Pure: reads the estate, answers per attachment point; where the estate lacks what would tell
 * the path, the answer is `unknown` with the reason (the rules then treat it as exposed and say so).
 */
import { nameOfId, normalizeId, parentId, topLevelId } from '../arm/index.js';
import { assertNever } from '../nsg/index.js';
import type {
  ApplicationGateway,
  ArmReference,
  Estate,
  LoadBalancer,
  LoadBalancerFrontend,
  LoadBalancerProtocol,
  PublicIpAddress,
  PublicIpSku,
} from './model.js';
import type { AttachmentPoint } from './relations.js';

/** A public IP on the IP configuration itself: every port, the NSG sees the private address. */
export interface PublicIpEntry {
  kind: 'publicIp';
  /** The public IP's id; for a scale set's per-instance IPs, the profile configuration's name. */
  publicIpId: string | undefined;
  name: string;
  /** undefined when not allocated yet, or not in the estate, or one per instance. */
  address: string | undefined;
  sku: PublicIpSku | undefined;
  /** False when the NIC names a public IP that is not in the estate. */
  inEstate: boolean;
}

/** A public load-balancer frontend that sends traffic to the point. */
export interface LoadBalancerEntry {
  kind: 'loadBalancingRule' | 'inboundNatRule' | 'inboundNatPool';
  loadBalancerId: string;
  loadBalancerName: string;
  ruleName: string;
  frontendName: string;
  /** The frontend's public address, when known. */
  address: string | undefined;
  protocol: LoadBalancerProtocol;
  frontendPorts: { from: number; to: number };
  /** The port the NSG sees; undefined for an HA-ports rule (every port, unchanged). */
  backendPort: number | undefined;
  floatingIp: boolean;
}

/** An Application Gateway's public frontend: its listeners' ports reach the gateway in its subnet. */
export interface ApplicationGatewayEntry {
  kind: 'applicationGateway';
  gatewayId: string;
  gatewayName: string;
  frontendName: string;
  /** The frontend's public address, when known. */
  address: string | undefined;
  /** The listeners on this frontend and their ports (TCP; the NSG sees them unchanged). */
  listeners: { name: string; port: number }[];
}

export type PublicEntry = PublicIpEntry | LoadBalancerEntry | ApplicationGatewayEntry;

export type PublicPath =
  /** Entries that can carry Internet traffic to the point (none: no public path, the point is latent). */
  | { state: 'known'; entries: PublicEntry[]; notes: string[] }
  /** The estate cannot tell: the rules treat the point as exposed and give the reason. */
  | { state: 'unknown'; reason: string }
  /** An NSG associated with nothing: no traffic reaches it at all. */
  | { state: 'unattached' };

interface Source {
  publicIps: ArmReference[];
  /** Per-instance public IPs of a scale set's profile. */
  profilePublicIps: { name: string; sku: PublicIpSku | undefined }[];
  pools: ArmReference[];
  natRules: ArmReference[];
  natPools: ArmReference[];
  /** The private addresses, for IP-based backend pools. */
  addresses: string[];
  /** The IP configurations, for pools that list them. */
  ipConfigurations: Set<string>;
}

const cache = new WeakMap<Estate, WeakMap<AttachmentPoint, PublicPath>>();

/** The public path of one attachment point (memoised per estate and point). */
export function publicPathOf(estate: Estate, point: AttachmentPoint): PublicPath {
  let byPoint = cache.get(estate);
  if (!byPoint) cache.set(estate, (byPoint = new WeakMap()));
  let path = byPoint.get(point);
  if (!path) {
    path = computePath(estate, point);
    byPoint.set(point, path);
  }
  return path;
}

/** What points look up in the estate, indexed once: public IPs by the IP configuration they name, pools by member. */
interface PathIndex {
  gatewaysBySubnet: Map<string, ApplicationGateway[]>;
  publicIpsByConfig: Map<string, PublicIpAddress[]>;
  poolsByConfig: Map<string, { lb: LoadBalancer; pool: ArmReference }[]>;
  poolsByAddress: Map<string, { lb: LoadBalancer; pool: ArmReference }[]>;
}

const indexes = new WeakMap<Estate, PathIndex>();

function indexOf(estate: Estate): PathIndex {
  let index = indexes.get(estate);
  if (index) return index;
  index = { gatewaysBySubnet: new Map(), publicIpsByConfig: new Map(), poolsByConfig: new Map(), poolsByAddress: new Map() };
  const push = <V>(map: Map<string, V[]>, key: string, value: V) => {
    const list = map.get(key);
    if (list) list.push(value);
    else map.set(key, [value]);
  };
  for (const ip of estate.publicIpAddresses.values()) if (ip.ipConfiguration) push(index.publicIpsByConfig, ip.ipConfiguration.key, ip);
  for (const gateway of estate.applicationGateways.values()) for (const subnet of gateway.subnets) push(index.gatewaysBySubnet, subnet.key, gateway);
  for (const lb of estate.loadBalancers.values()) {
    for (const pool of lb.backendPools) {
      const member = { lb, pool: { id: pool.id, key: pool.key } };
      for (const config of pool.backendIpConfigurations) push(index.poolsByConfig, config.key, member);
      for (const address of pool.addresses) push(index.poolsByAddress, address, member);
    }
  }
  indexes.set(estate, index);
  return index;
}

/** True when the estate holds the resources that give public paths (or could: any public IP or load balancer). */
function holdsPathInventory(estate: Estate): boolean {
  return estate.publicIpAddresses.size > 0 || estate.loadBalancers.size > 0;
}

function computePath(estate: Estate, point: AttachmentPoint): PublicPath {
  const gateways = point.kind === 'subnet' ? (indexOf(estate).gatewaysBySubnet.get(point.key) ?? []) : [];
  if (gateways.length > 0) return gatewayPath(estate, point, gateways);
  const source = sourceOf(estate, point);
  if (source.kind === 'unattached') return { state: 'unattached' };
  if (source.kind === 'unknown') return { state: 'unknown', reason: source.reason };
  const from = source.source;
  const entries: PublicEntry[] = [];
  const notes: string[] = [];
  for (const ref of from.publicIps) {
    const ip = estate.publicIpAddresses.get(ref.key);
    entries.push({
      kind: 'publicIp',
      publicIpId: ref.id,
      name: ip?.name ?? nameOfId(ref.id),
      address: ip?.ipAddress,
      sku: ip?.sku,
      inEstate: ip !== undefined,
    });
  }
  for (const config of from.profilePublicIps) {
    entries.push({ kind: 'publicIp', publicIpId: undefined, name: config.name, address: undefined, sku: config.sku, inEstate: true });
  }

  const balancers = new Map<string, LoadBalancer>();
  const missing = new Set<string>();
  for (const ref of [...from.pools, ...from.natRules, ...from.natPools]) {
    const lbId = topLevelId(ref.id);
    const lb = estate.loadBalancers.get(normalizeId(lbId));
    if (lb) balancers.set(lb.key, lb);
    else missing.add(lbId);
  }
  // Pools that list the point themselves (by IP configuration or, IP-based, by address).
  const index = indexOf(estate);
  const listed = [...[...from.ipConfigurations].flatMap((k) => index.poolsByConfig.get(k) ?? []), ...from.addresses.flatMap((a) => index.poolsByAddress.get(a) ?? [])];
  for (const { lb, pool } of listed) {
    balancers.set(lb.key, lb);
    from.pools.push(pool);
  }
  if (missing.size > 0) {
    const names = [...missing].map(nameOfId).join(', ');
    return { state: 'unknown', reason: `load balancer ${names} holds ${point.name} in a pool or NAT rule but is not in the estate: whether its frontends are public is not known` };
  }
  const poolKeys = new Set(from.pools.map((p) => p.key));
  const natRuleKeys = new Set(from.natRules.map((r) => r.key));
  const natPoolKeys = new Set(from.natPools.map((r) => r.key));
  for (const lb of balancers.values()) {
    const frontend = (ref: ArmReference | undefined) => publicFrontend(estate, lb, ref);
    /** One way in through this load balancer: a rule, NAT rule or NAT pool on a public frontend. */
    const entry = (
      kind: LoadBalancerEntry['kind'],
      rule: { name: string; protocol: LoadBalancerProtocol; floatingIp: boolean },
      front: { frontend: LoadBalancerFrontend; address: string | undefined },
      frontendPorts: LoadBalancerEntry['frontendPorts'],
      backendPort: number | undefined,
    ): LoadBalancerEntry => ({
      kind,
      loadBalancerId: lb.id,
      loadBalancerName: lb.name,
      ruleName: rule.name,
      frontendName: front.frontend.name,
      address: front.address,
      protocol: rule.protocol,
      frontendPorts,
      backendPort,
      floatingIp: rule.floatingIp,
    });
    for (const rule of lb.rules) {
      if (!rule.backendPools.some((p) => poolKeys.has(p.key))) continue;
      const front = frontend(rule.frontend);
      if (!front) continue;
      const haPorts = rule.protocol === 'All' && rule.frontendPort === 0;
      const ports = haPorts ? { from: 0, to: 65535 } : { from: rule.frontendPort, to: rule.frontendPort };
      entries.push(entry('loadBalancingRule', rule, front, ports, haPorts ? undefined : rule.backendPort));
    }
    for (const rule of lb.inboundNatRules) {
      const pooled = rule.backendPool !== undefined && poolKeys.has(rule.backendPool.key);
      const own = (rule.backendIpConfiguration !== undefined && from.ipConfigurations.has(rule.backendIpConfiguration.key)) || natRuleKeys.has(rule.key);
      if (!pooled && !own) continue;
      const front = frontend(rule.frontend);
      if (!front) continue;
      entries.push(entry('inboundNatRule', rule, front, rule.frontendPorts, rule.backendPort));
    }
    // A scale set's instances get NAT rules named `{pool}.{instance}` from the pools of its profile.
    const natPoolNames = new Set([...natRuleKeys].map((k) => nameOfId(k).replace(/\.\d+$/, '')));
    for (const pool of lb.inboundNatPools) {
      if (!natPoolKeys.has(pool.key) && !(natPoolNames.has(pool.name.toLowerCase()) && !lb.inboundNatRules.some((r) => natRuleKeys.has(r.key)))) continue;
      const front = frontend(pool.frontend);
      if (!front) continue;
      entries.push(entry('inboundNatPool', pool, front, pool.frontendPorts, pool.backendPort));
    }
  }
  if (entries.length === 0 && !holdsPathInventory(estate)) {
    return {
      state: 'unknown',
      reason: `the estate holds no public IPs or load balancers, so whether one reaches ${point.name} (an IP-based pool, a frontend) is not known`,
    };
  }
  if (entries.length === 0) notes.push(`no public IP or public load-balancer frontend reaches ${point.name}`);
  return { state: 'known', entries, notes };
}

/** An Application Gateway subnet: reached from the Internet only through the gateways' public frontends, on their listeners' ports. */
function gatewayPath(estate: Estate, point: AttachmentPoint, gateways: readonly ApplicationGateway[]): PublicPath {
  const entries: PublicEntry[] = [];
  const notes: string[] = [];
  for (const gateway of gateways) {
    for (const frontend of gateway.frontends) {
      if (!frontend.publicIpAddress) continue;
      const listeners = gateway.listeners
        .filter((l) => l.frontend?.key === frontend.key || (l.frontend === undefined && gateway.frontends.length === 1))
        .flatMap((l) => (l.port === undefined ? [] : [{ name: l.name, port: l.port }]));
      const unknown = gateway.listeners.filter((l) => l.frontend?.key === frontend.key && l.port === undefined);
      for (const l of unknown) notes.push(`listener ${l.name} of application gateway ${gateway.name} names a frontend port the gateway does not list`);
      if (listeners.length === 0) continue;
      entries.push({
        kind: 'applicationGateway',
        gatewayId: gateway.id,
        gatewayName: gateway.name,
        frontendName: frontend.name,
        address: estate.publicIpAddresses.get(frontend.publicIpAddress.key)?.ipAddress,
        listeners,
      });
    }
  }
  if (entries.length === 0) notes.push(`no application gateway in ${point.name} has a listener on a public frontend`);
  return { state: 'known', entries, notes };
}

function publicFrontend(estate: Estate, lb: LoadBalancer, ref: ArmReference | undefined): { frontend: LoadBalancerFrontend; address: string | undefined } | undefined {
  const frontend = lb.frontends.find((f) => f.key === ref?.key) ?? (ref === undefined && lb.frontends.length === 1 ? lb.frontends[0] : undefined);
  if (!frontend?.publicIpAddress) return undefined;
  const ip: PublicIpAddress | undefined = estate.publicIpAddresses.get(frontend.publicIpAddress.key);
  return { frontend, address: ip?.ipAddress };
}

type SourceResult = { kind: 'known'; source: Source } | { kind: 'unknown'; reason: string } | { kind: 'unattached' };

function emptySource(): Source {
  return { publicIps: [], profilePublicIps: [], pools: [], natRules: [], natPools: [], addresses: [], ipConfigurations: new Set() };
}

/** What the point's own record says about its public path. */
function sourceOf(estate: Estate, point: AttachmentPoint): SourceResult {
  switch (point.kind) {
    case 'unattached':
      return { kind: 'unattached' };
    case 'subnet':
      return { kind: 'unknown', reason: `no NIC of subnet ${point.name} is in the estate, so whether a public IP or load balancer reaches it is not known` };
    case 'networkInterface': {
      const nic = point.networkInterface;
      if (!nic || nic.partial) {
        const scaleSet = point.scaleSetId ? estate.scaleSets.get(normalizeId(point.scaleSetId)) : undefined;
        if (scaleSet) return scaleSetSource(estate, point);
        return { kind: 'unknown', reason: `NIC ${point.name} is not in the estate (known by back-reference), so its public IP and load balancers are not known` };
      }
      const source = emptySource();
      const subnetKey = point.subnetId?.toLowerCase();
      for (const config of nic.ipConfigurations) {
        if ((config.subnet?.key ?? undefined) !== subnetKey) continue;
        if (config.publicIpAddress) source.publicIps.push(config.publicIpAddress);
        source.pools.push(...config.loadBalancerBackendAddressPools);
        source.natRules.push(...config.loadBalancerInboundNatRules);
        source.addresses.push(...config.privateIpAddresses);
        source.ipConfigurations.add(config.key);
      }
      // A public IP that names this NIC's configuration (the NIC may be an older snapshot).
      const byConfig = indexOf(estate).publicIpsByConfig;
      for (const configKey of source.ipConfigurations) {
        for (const ip of byConfig.get(configKey) ?? []) if (!source.publicIps.some((r) => r.key === ip.key)) source.publicIps.push({ id: ip.id, key: ip.key });
      }
      return { kind: 'known', source };
    }
    case 'scaleSet':
      return scaleSetSource(estate, point);
    default:
      return assertNever(point.kind, 'attachment kind');
  }
}

function scaleSetSource(estate: Estate, point: AttachmentPoint): SourceResult {
  const scaleSet = point.scaleSetId ? estate.scaleSets.get(normalizeId(point.scaleSetId)) : undefined;
  if (!scaleSet) return { kind: 'unknown', reason: `scale set of ${point.name} is not in the estate` };
  const source = emptySource();
  const subnetKey = point.subnetId?.toLowerCase();
  for (const config of scaleSet.networkInterfaceConfigurations) {
    for (const ip of config.ipConfigurations) {
      if (ip.subnet?.key !== subnetKey) continue;
      if (ip.publicIpAddressConfiguration) source.profilePublicIps.push(ip.publicIpAddressConfiguration);
      source.pools.push(...ip.loadBalancerBackendAddressPools);
      source.natPools.push(...ip.loadBalancerInboundNatPools);
    }
  }
  // Instance NICs known by back-reference: the pools that list their configurations count too.
  if (point.kind === 'networkInterface') {
    for (const subnet of estate.subnets.values()) {
      for (const config of subnet.ipConfigurations) if (parentId(config.id)?.toLowerCase() === point.key) source.ipConfigurations.add(config.key);
    }
  }
  return { kind: 'known', source };
}

/** "public IP pip-web (20.1.2.3)", "frontend fe-public (20.1.2.3):50001 → 22 of load balancer lb-web, NAT rule ssh-1". */
export function describeEntry(entry: PublicEntry): string {
  switch (entry.kind) {
    case 'publicIp': {
      const address = entry.address ? ` ${entry.address}` : '';
      const name = entry.publicIpId === undefined ? `a public IP per instance (${entry.name})` : `public IP${address || ` ${entry.name}`}`;
      return address && entry.publicIpId !== undefined ? `${name} (${entry.name})` : name;
    }
    case 'loadBalancingRule':
    case 'inboundNatRule':
    case 'inboundNatPool': {
      const what = entry.kind === 'loadBalancingRule' ? 'rule' : entry.kind === 'inboundNatRule' ? 'NAT rule' : 'NAT pool';
      const ports = entry.backendPort === undefined ? 'every port' : `${portsText(entry.frontendPorts)} → ${entry.backendPort}`;
      const at = entry.address ?? `frontend ${entry.frontendName}`;
      return `load balancer ${entry.loadBalancerName} ${at} ${entry.protocol === 'All' ? '' : `${entry.protocol.toUpperCase()} `}${ports} (${what} ${entry.ruleName}${entry.floatingIp ? ', floating IP' : ''})`;
    }
    case 'applicationGateway': {
      const at = entry.address ?? `frontend ${entry.frontendName}`;
      const ports = [...new Set(entry.listeners.map((l) => l.port))].join(', ');
      const names = entry.listeners.map((l) => l.name).join(', ');
      return `application gateway ${entry.gatewayName} ${at} TCP ${ports} (listener${entry.listeners.length > 1 ? 's' : ''} ${names})`;
    }
    default:
      return assertNever(entry, 'public entry');
  }
}

function portsText(range: { from: number; to: number }): string {
  return range.from === range.to ? String(range.from) : `${range.from}-${range.to}`;
}
