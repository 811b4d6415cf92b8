/**
 * A large synthetic estate in ARM REST shape, deterministic for a given size and seed: virtual
 * networks with subnets (a hub with AzureBastionSubnet and a Bastion host, spokes peered to it,
 * NAT gateways on some subnets), NSGs on subnets and NICs (and some on nothing) with rule sets
 * drawn from realistic patterns, NICs with ASG memberships. The back-references ARM fills in
 * (NSG → subnets/NICs, subnet → ipConfigurations, NAT gateway → subnets) are consistent.
 *
 * Served by serveEstate (arm-transport.ts) for the inventory tests and the sweep benchmark.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from './arm-transport.js';

export interface SyntheticEstateOptions {
  subscriptionId?: string;
  nsgs: number;
  vnets: number;
  nics: number;
  /** At most 16 (each subnet is a /24 of the VNet's /20). */
  subnetsPerVnet?: number;
  asgs?: number;
  seed?: number;
  location?: string;
  /**
   * Public load balancers (Standard, each with its public IP): a pool of up to 10 NICs of one subnet, a rule
   * TCP 443 → 443 and an inbound NAT rule 50001 → 22 to the pool's first NIC. Default none.
   */
  loadBalancers?: number;
}

export interface SyntheticEstate {
  subscriptionId: string;
  resources: Record<string, unknown>[];
  /** Resources per type segment, e.g. { networkSecurityGroups: 2000, ... }. */
  counts: Record<string, number>;
}

type Json = Record<string, unknown>;

const NET = 'Microsoft.Network';

interface RuleTemplate {
  name: string;
  direction: 'Inbound' | 'Outbound';
  access: 'Allow' | 'Deny';
  protocol: string;
  /** Fixed priority (catch-all rules go last); others are numbered 100, 110, ... */
  priority?: number;
  fields: Json;
}

const RULE_TEMPLATES: readonly RuleTemplate[] = [
  { name: 'allow-ssh-any', direction: 'Inbound', access: 'Allow', protocol: 'Tcp', fields: { sourceAddressPrefix: '*', destinationPortRange: '22' } },
  { name: 'allow-rdp-internet', direction: 'Inbound', access: 'Allow', protocol: 'Tcp', fields: { sourceAddressPrefix: 'Internet', destinationPortRange: '3389' } },
  { name: 'allow-https', direction: 'Inbound', access: 'Allow', protocol: 'Tcp', fields: { sourceAddressPrefix: '*', destinationPortRange: '443' } },
  {
    name: 'allow-web-partners',
    direction: 'Inbound',
    access: 'Allow',
    protocol: 'Tcp',
    fields: { sourceAddressPrefixes: ['203.0.113.0/24', '198.51.100.0/24'], destinationPortRanges: ['80', '443', '8080-8090'] },
  },
  { name: 'allow-sql-vnet', direction: 'Inbound', access: 'Allow', protocol: 'Tcp', fields: { sourceAddressPrefix: 'VirtualNetwork', destinationPortRange: '1433' } },
  { name: 'allow-dns-udp', direction: 'Inbound', access: 'Allow', protocol: 'Udp', fields: { sourceAddressPrefix: '10.0.0.0/8', destinationPortRange: '53' } },
  { name: 'allow-app-asg', direction: 'Inbound', access: 'Allow', protocol: 'Tcp', fields: { destinationPortRange: '8443' } },
  { name: 'allow-lb-probe', direction: 'Inbound', access: 'Allow', protocol: '*', fields: { sourceAddressPrefix: 'AzureLoadBalancer', destinationPortRange: '*' } },
  { name: 'deny-all-inbound', direction: 'Inbound', access: 'Deny', protocol: '*', priority: 4096, fields: { sourceAddressPrefix: '*', destinationPortRange: '*' } },
  { name: 'allow-smtp-out', direction: 'Outbound', access: 'Allow', protocol: 'Tcp', fields: { destinationAddressPrefix: 'Internet', destinationPortRange: '25' } },
  { name: 'allow-storage-out', direction: 'Outbound', access: 'Allow', protocol: 'Tcp', fields: { destinationAddressPrefix: 'Storage.WestEurope', destinationPortRange: '443' } },
  { name: 'deny-internet-out', direction: 'Outbound', access: 'Deny', protocol: '*', priority: 4000, fields: { destinationAddressPrefix: 'Internet', destinationPortRange: '*' } },
];

/** Azure's six default rules: name, direction, access, priority, source, destination. */
export const DEFAULT_RULES: readonly [string, 'Inbound' | 'Outbound', 'Allow' | 'Deny', number, string, string][] = [
  ['AllowVnetInBound', 'Inbound', 'Allow', 65000, 'VirtualNetwork', 'VirtualNetwork'],
  ['AllowAzureLoadBalancerInBound', 'Inbound', 'Allow', 65001, 'AzureLoadBalancer', '*'],
  ['DenyAllInBound', 'Inbound', 'Deny', 65500, '*', '*'],
  ['AllowVnetOutBound', 'Outbound', 'Allow', 65000, 'VirtualNetwork', 'VirtualNetwork'],
  ['AllowInternetOutBound', 'Outbound', 'Allow', 65001, '*', 'Internet'],
  ['DenyAllOutBound', 'Outbound', 'Deny', 65500, '*', '*'],
];

export function syntheticEstate(options: SyntheticEstateOptions): SyntheticEstate {
  const subscriptionId = options.subscriptionId ?? '5e5e5e5e-0000-4000-8000-00000000e57a';
  const subnetsPerVnet = options.subnetsPerVnet ?? 8;
  if (subnetsPerVnet < 1 || subnetsPerVnet > 16) throw new RangeError('subnetsPerVnet must be in 1..16');
  if (options.vnets > 4096) throw new RangeError('at most 4096 VNets (10.0.0.0/8 in /20s)');
  if (options.nics > 0 && options.vnets === 0) throw new RangeError('NICs need at least one VNet');
  const asgCount = options.asgs ?? Math.max(1, Math.floor(options.nsgs / 50));
  const location = options.location ?? 'westeurope';
  const random = mulberry32(options.seed ?? 1);
  const rg = (i: number): string => `rg-${String(i % 10).padStart(2, '0')}`;
  const idOf = (type: string, name: string, i: number): string =>
    `/subscriptions/${subscriptionId}/resourceGroups/${rg(i)}/providers/${NET}/${type}/${name}`;

  // --- skeletons -------------------------------------------------------------------------------
  const asgs: Json[] = Array.from({ length: asgCount }, (_, a) => ({
    id: idOf('applicationSecurityGroups', `asg-${a}`, a),
    name: `asg-${a}`,
    type: `${NET}/applicationSecurityGroups`,
    location,
    properties: { provisioningState: 'Succeeded', resourceGuid: guid(random) },
  }));

  interface SubnetSlot {
    vnet: number;
    index: number;
    id: string;
    json: Json;
    props: Json;
  }
  const vnets: Json[] = [];
  const subnets: SubnetSlot[] = [];
  for (let v = 0; v < options.vnets; v += 1) {
    const second = v >> 4;
    const third = (v & 15) << 4;
    const vnetId = idOf('virtualNetworks', `vnet-${v}`, v);
    const vnetSubnets: Json[] = [];
    for (let s = 0; s < subnetsPerVnet; s += 1) {
      const name = v === 0 && s === 0 ? 'AzureBastionSubnet' : `snet-${s}`;
      const props: Json = { provisioningState: 'Succeeded', addressPrefix: `10.${second}.${third + s}.0/24` };
      const json: Json = { id: `${vnetId}/subnets/${name}`, name, type: `${NET}/virtualNetworks/subnets`, properties: props };
      vnetSubnets.push(json);
      subnets.push({ vnet: v, index: s, id: json['id'] as string, json, props });
    }
    vnets.push({
      id: vnetId,
      name: `vnet-${v}`,
      type: `${NET}/virtualNetworks`,
      location,
      properties: {
        provisioningState: 'Succeeded',
        addressSpace: { addressPrefixes: [`10.${second}.${third}.0/20`] },
        subnets: vnetSubnets,
        virtualNetworkPeerings: [],
      },
    });
  }

  // Spokes 1..50 peer with the hub, both ways, connected.
  const hub = vnets[0];
  for (let v = 1; v < Math.min(vnets.length, 51); v += 1) {
    const spoke = vnets[v] as Json;
    peer(spoke, hub as Json);
    peer(hub as Json, spoke);
  }

  // --- NSGs and their attachment ----------------------------------------------------------------
  const subnetNsgCount = Math.min(subnets.length, Math.ceil(options.nsgs / 2));
  const nicNsgCount = Math.min(options.nsgs - subnetNsgCount, Math.floor(options.nsgs * 0.4));
  const nsgs: Json[] = [];
  for (let n = 0; n < options.nsgs; n += 1) {
    const name = `nsg-${n}`;
    const id = idOf('networkSecurityGroups', name, n);
    nsgs.push({
      id,
      name,
      type: `${NET}/networkSecurityGroups`,
      location,
      properties: {
        provisioningState: 'Succeeded',
        resourceGuid: guid(random),
        securityRules: customRules(id, random, asgs),
        defaultSecurityRules: DEFAULT_RULES.map(([ruleName, direction, access, priority, source, destination]) => ({
          id: `${id}/defaultSecurityRules/${ruleName}`,
          name: ruleName,
          type: `${NET}/networkSecurityGroups/defaultSecurityRules`,
          properties: {
            provisioningState: 'Succeeded',
            description: `Default rule ${ruleName}`,
            protocol: '*',
            sourcePortRange: '*',
            destinationPortRange: '*',
            sourceAddressPrefix: source,
            destinationAddressPrefix: destination,
            access,
            priority,
            direction,
          },
        })),
      },
    });
  }
  const nsgProps = (n: number): Json => (nsgs[n] as Json)['properties'] as Json;
  for (let n = 0; n < subnetNsgCount; n += 1) {
    const slot = subnets[Math.floor((n * subnets.length) / subnetNsgCount)] as SubnetSlot;
    slot.props['networkSecurityGroup'] = { id: (nsgs[n] as Json)['id'] };
    pushRef(nsgProps(n), 'subnets', slot.id);
  }

  // --- NAT gateways and the Bastion host --------------------------------------------------------
  const natGateways: Json[] = [];
  if (subnetsPerVnet >= 2) {
    for (let v = 0; v < options.vnets; v += 10) {
      const slot = subnets[v * subnetsPerVnet + 1] as SubnetSlot;
      const name = `nat-${v / 10}`;
      const id = idOf('natGateways', name, v);
      slot.props['natGateway'] = { id };
      natGateways.push({
        id,
        name,
        type: `${NET}/natGateways`,
        location,
        sku: { name: 'Standard' },
        properties: { provisioningState: 'Succeeded', idleTimeoutInMinutes: 4, subnets: [{ id: slot.id }] },
      });
    }
  }
  const bastionHosts: Json[] = [];
  const bastionSlot = subnets[0];
  if (bastionSlot) {
    const id = idOf('bastionHosts', 'bastion-hub', 0);
    const configId = `${id}/bastionHostIpConfigurations/IpConf`;
    pushRef(bastionSlot.props, 'ipConfigurations', configId);
    bastionHosts.push({
      id,
      name: 'bastion-hub',
      type: `${NET}/bastionHosts`,
      location,
      sku: { name: 'Standard' },
      properties: {
        provisioningState: 'Succeeded',
        dnsName: 'bst-synthetic.bastion.azure.com',
        ipConfigurations: [
          {
            id: configId,
            name: 'IpConf',
            properties: {
              provisioningState: 'Succeeded',
              privateIPAllocationMethod: 'Dynamic',
              subnet: { id: bastionSlot.id },
              publicIPAddress: { id: idOf('publicIPAddresses', 'pip-bastion', 0) },
            },
          },
        ],
      },
    });
  }

  // --- NICs ---------------------------------------------------------------------------------------
  const usable = subnets.filter((s) => s.json['name'] !== 'AzureBastionSubnet');
  const nics: Json[] = [];
  for (let m = 0; m < options.nics; m += 1) {
    const slot = usable[m % usable.length] as SubnetSlot;
    const host = 4 + (Math.floor(m / usable.length) % 250);
    const prefix = (slot.props['addressPrefix'] as string).replace(/\.0\/24$/, '');
    const name = `nic-${m}`;
    const id = idOf('networkInterfaces', name, m);
    const configId = `${id}/ipConfigurations/ipconfig1`;
    const config: Json = {
      provisioningState: 'Succeeded',
      privateIPAddress: `${prefix}.${host}`,
      privateIPAllocationMethod: 'Dynamic',
      privateIPAddressVersion: 'IPv4',
      primary: true,
      subnet: { id: slot.id },
    };
    if (m % 5 === 0 && asgs.length > 0) config['applicationSecurityGroups'] = [{ id: (asgs[(m / 5) % asgs.length] as Json)['id'] }];
    const props: Json = {
      provisioningState: 'Succeeded',
      ipConfigurations: [{ id: configId, name: 'ipconfig1', type: `${NET}/networkInterfaces/ipConfigurations`, properties: config }],
      enableAcceleratedNetworking: false,
      enableIPForwarding: false,
    };
    if (nicNsgCount > 0 && m % 4 === 0) {
      const n = subnetNsgCount + ((m / 4) % nicNsgCount);
      props['networkSecurityGroup'] = { id: (nsgs[n] as Json)['id'] };
      pushRef(nsgProps(n), 'networkInterfaces', id);
    }
    pushRef(slot.props, 'ipConfigurations', configId);
    nics.push({ id, name, type: `${NET}/networkInterfaces`, location, properties: props });
  }

  const { publicIps, loadBalancers } = publicLoadBalancers(options.loadBalancers ?? 0, nics, idOf, location);

  const resources = [...nsgs, ...vnets, ...nics, ...natGateways, ...bastionHosts, ...asgs, ...publicIps, ...loadBalancers];
  return {
    subscriptionId,
    resources,
    counts: {
      networkSecurityGroups: nsgs.length,
      virtualNetworks: vnets.length,
      subnets: subnets.length,
      networkInterfaces: nics.length,
      natGateways: natGateways.length,
      bastionHosts: bastionHosts.length,
      applicationSecurityGroups: asgs.length,
      publicIPAddresses: publicIps.length,
      loadBalancers: loadBalancers.length,
    },
  };
}

/** Public load balancers over the NICs, with the back-references ARM fills in on the NICs and the public IPs. */
function publicLoadBalancers(
  count: number,
  nics: readonly Json[],
  idOf: (type: string, name: string, i: number) => string,
  location: string,
): { publicIps: Json[]; loadBalancers: Json[] } {
  const publicIps: Json[] = [];
  const loadBalancers: Json[] = [];
  const groups = new Map<string, Json[]>();
  for (const nic of nics) {
    const config = ((nic['properties'] as Json)['ipConfigurations'] as Json[])[0] as Json;
    const subnet = String(((config['properties'] as Json)['subnet'] as Json)['id']);
    groups.set(subnet, [...(groups.get(subnet) ?? []), nic]);
  }
  const bySubnet = [...groups.values()];
  for (let l = 0; l < count; l += 1) {
    const lbId = idOf('loadBalancers', `lb-${l}`, l);
    const pipId = idOf('publicIPAddresses', `pip-lb-${l}`, l);
    const frontendId = `${lbId}/frontendIPConfigurations/frontend`;
    const poolId = `${lbId}/backendAddressPools/pool`;
    // Azure keeps a pool's members in one virtual network: here, up to 10 NICs of one subnet.
    const members = bySubnet[l % bySubnet.length]?.slice(0, 10) ?? [];
    const configIds = members.map((nic, k) => {
      const config = ((nic['properties'] as Json)['ipConfigurations'] as Json[])[0] as Json;
      const props = config['properties'] as Json;
      props['loadBalancerBackendAddressPools'] = [{ id: poolId }];
      if (k === 0) props['loadBalancerInboundNatRules'] = [{ id: `${lbId}/inboundNatRules/ssh` }];
      return String(config['id']);
    });
    publicIps.push({
      id: pipId,
      name: `pip-lb-${l}`,
      type: `${NET}/publicIPAddresses`,
      location,
      sku: { name: 'Standard', tier: 'Regional' },
      properties: {
        provisioningState: 'Succeeded',
        publicIPAddressVersion: 'IPv4',
        publicIPAllocationMethod: 'Static',
        ipAddress: `20.${50 + Math.floor(l / 250)}.${l % 250}.10`,
        ipConfiguration: { id: frontendId },
      },
    });
    loadBalancers.push({
      id: lbId,
      name: `lb-${l}`,
      type: `${NET}/loadBalancers`,
      location,
      sku: { name: 'Standard', tier: 'Regional' },
      properties: {
        provisioningState: 'Succeeded',
        frontendIPConfigurations: [{ id: frontendId, name: 'frontend', properties: { publicIPAddress: { id: pipId } } }],
        backendAddressPools: [{ id: poolId, name: 'pool', properties: { backendIPConfigurations: configIds.map((id) => ({ id })) } }],
        loadBalancingRules: [
          {
            id: `${lbId}/loadBalancingRules/https`,
            name: 'https',
            properties: {
              protocol: 'Tcp',
              frontendPort: 443,
              backendPort: 443,
              enableFloatingIP: false,
              frontendIPConfiguration: { id: frontendId },
              backendAddressPool: { id: poolId },
            },
          },
        ],
        inboundNatRules: configIds.slice(0, 1).map((configId) => ({
          id: `${lbId}/inboundNatRules/ssh`,
          name: 'ssh',
          properties: {
            protocol: 'Tcp',
            frontendPort: 50001,
            backendPort: 22,
            enableFloatingIP: false,
            frontendIPConfiguration: { id: frontendId },
            backendIPConfiguration: { id: configId },
          },
        })),
      },
    });
  }
  return { publicIps, loadBalancers };
}

function customRules(nsgId: string, random: () => number, asgs: readonly Json[]): Json[] {
  const count = 2 + Math.floor(random() * 5);
  const picked = new Set<number>();
  while (picked.size < count) picked.add(Math.floor(random() * RULE_TEMPLATES.length));
  const next = { Inbound: 100, Outbound: 100 };
  return [...picked]
    .sort((a, b) => a - b)
    .map((index) => {
      const template = RULE_TEMPLATES[index] as RuleTemplate;
      const priority = template.priority ?? next[template.direction];
      if (template.priority === undefined) next[template.direction] += 10;
      const fields: Json = {
        sourcePortRange: '*',
        ...(template.direction === 'Inbound' ? { destinationAddressPrefix: '*' } : { sourceAddressPrefix: '*' }),
        ...template.fields,
      };
      if (template.name === 'allow-app-asg') {
        const asg = asgs[Math.floor(random() * asgs.length)];
        fields['sourceApplicationSecurityGroups'] = asg ? [{ id: asg['id'] }] : [];
        if (!asg) fields['sourceAddressPrefix'] = 'VirtualNetwork';
      }
      return {
        id: `${nsgId}/securityRules/${template.name}`,
        name: template.name,
        type: `${NET}/networkSecurityGroups/securityRules`,
        properties: {
          provisioningState: 'Succeeded',
          protocol: template.protocol,
          ...fields,
          access: template.access,
          priority,
          direction: template.direction,
        },
      };
    });
}

function peer(from: Json, to: Json): void {
  const props = from['properties'] as Json;
  const toProps = to['properties'] as Json;
  const name = `peer-to-${String(to['name'])}`;
  (props['virtualNetworkPeerings'] as Json[]).push({
    id: `${String(from['id'])}/virtualNetworkPeerings/${name}`,
    name,
    type: `${NET}/virtualNetworks/virtualNetworkPeerings`,
    properties: {
      provisioningState: 'Succeeded',
      peeringState: 'Connected',
      allowVirtualNetworkAccess: true,
      remoteVirtualNetwork: { id: to['id'] },
      remoteAddressSpace: toProps['addressSpace'],
    },
  });
}

function pushRef(props: Json, key: string, id: string): void {
  const list = (props[key] as Json[] | undefined) ?? [];
  list.push({ id });
  props[key] = list;
}

function guid(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20)}`;
}

/**
 * Copies of REST-shaped resources with the read-only back-references ARM fills in and
 * hand-written estates leave out: an NSG's `subnets` and `networkInterfaces`, a subnet's
 * `ipConfigurations`, a NAT gateway's `subnets`, each from the forward reference on the other side.
 */
export function withBackReferences(resources: readonly Json[]): Json[] {
  const copies = resources.map((r) => structuredClone(r));
  const byId = new Map(copies.map((r) => [String(r['id']).toLowerCase(), r]));
  const subnets = new Map<string, Json>();
  for (const vnet of copies.filter((r) => r['type'] === `${NET}/virtualNetworks`)) {
    for (const subnet of ((vnet['properties'] as Json)['subnets'] as Json[] | undefined) ?? []) subnets.set(String(subnet['id']).toLowerCase(), subnet);
  }
  const propsOf = (resource: Json | undefined): Json | undefined => resource?.['properties'] as Json | undefined;
  const link = (target: Json | undefined, key: string, id: string): void => {
    const props = propsOf(target);
    if (!props) return;
    const list = (props[key] as Json[] | undefined) ?? [];
    if (!list.some((r) => String(r['id']).toLowerCase() === id.toLowerCase())) list.push({ id });
    props[key] = list;
  };
  const idOf = (value: unknown): string | undefined => (value as Json | undefined)?.['id'] as string | undefined;
  for (const subnet of subnets.values()) {
    const props = propsOf(subnet) ?? {};
    const nsg = idOf(props['networkSecurityGroup']);
    if (nsg) link(byId.get(nsg.toLowerCase()), 'subnets', String(subnet['id']));
    const nat = idOf(props['natGateway']);
    if (nat) link(byId.get(nat.toLowerCase()), 'subnets', String(subnet['id']));
  }
  for (const nic of copies.filter((r) => r['type'] === `${NET}/networkInterfaces`)) {
    const props = propsOf(nic) ?? {};
    const nsg = idOf(props['networkSecurityGroup']);
    if (nsg) link(byId.get(nsg.toLowerCase()), 'networkInterfaces', String(nic['id']));
    for (const config of (props['ipConfigurations'] as Json[] | undefined) ?? []) {
      const subnet = idOf(propsOf(config)?.['subnet']);
      if (subnet) link(subnets.get(subnet.toLowerCase()), 'ipConfigurations', String(config['id']));
    }
  }
  for (const bastion of copies.filter((r) => r['type'] === `${NET}/bastionHosts`)) {
    for (const config of (propsOf(bastion)?.['ipConfigurations'] as Json[] | undefined) ?? []) {
      const subnet = idOf(propsOf(config)?.['subnet']);
      if (subnet) link(subnets.get(subnet.toLowerCase()), 'ipConfigurations', String(config['id']));
    }
  }
  return copies;
}

/** The demo estate (samples/estate) as REST-shaped resources, as the hand-written files hold them. */
export function sampleEstateResources(): Json[] {
  const dir = join(process.cwd(), 'samples', 'estate');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((f) => {
      const doc = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Json | Json[];
      return Array.isArray(doc) ? doc : (doc['value'] as Json[]);
    });
}
