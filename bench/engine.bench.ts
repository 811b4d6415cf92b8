/**
 * The evaluation engine at Azure's limits and at a typical size. A full analysis is: every rule's
 * shadowing verdict (both directions) plus Internet exposure per protocol (Tcp, Udp, Icmp, Esp,
 * Ah) inbound and outbound, from a fresh context (rules resolved again). NSGs are generated from a
 * fixed seed: the limit NSG has 1,000 rules with 4,000 source and 4,000 destination prefixes in
 * total, port lists, IPv6, VirtualNetwork/Internet/service tags (resolved from the real weekly
 * ServiceTags file) and overlapping Allow/Deny rules.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  type AddressSet,
  type EvaluationContext,
  type Nsg,
  type ServiceTagData,
  ANY_ADDRESS,
  FLOW_PROTOCOLS,
  addressesFromPrefixes,
  createContext,
  internetExposure,
  parseNsg,
  parseServiceTags,
  ruleDecisions,
} from '../lib/nsg/index.js';
import type { Measurement } from './run.js';
import { mulberry32 } from '../test/support/random.js';

const random = mulberry32;

const COMMON_PORTS = ['22', '80', '443', '3389', '1433', '3306', '5432', '6379', '8080', '8443', '25', '53', '123', '445', '5985-5986', '27017-27019', '9200', '1024-65535', '49152-65535', '8000-8100'];
const TAGS = ['Internet', 'VirtualNetwork', 'AzureLoadBalancer', 'Storage.WestEurope', 'Sql.WestEurope', 'AzureCloud.WestEurope', 'GatewayManager', 'AzureMonitor', 'AzureKeyVault', 'UnknownPartnerTag'];

export interface GeneratedNsgOptions {
  rules: number;
  prefixesPerSide: number;
  seed: number;
}

/** An NSG in the ARM REST shape; prefixes per side average `prefixesPerSide`. */
export function generateNsg(options: GeneratedNsgOptions): unknown {
  const rnd = random(options.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const publicCidr = (): string => `${pick([13, 20, 40, 52, 104, 151, 185, 203])}.${int(0, 255)}.${int(0, 255)}.${int(0, 255)}/${int(20, 32)}`;
  const privateCidr = (): string => `10.${int(0, 3)}.${int(0, 255)}.${int(0, 255)}/${int(24, 32)}`;
  const v6Cidr = (): string => `2001:db8:${int(0, 65535).toString(16)}::/${int(48, 64)}`;
  const side = (remote: boolean): { prefixes: string[] } => {
    const roll = rnd();
    if (roll < 0.08) return { prefixes: ['*'] };
    if (roll < 0.2) return { prefixes: [pick(TAGS)] };
    const count = Math.max(1, Math.round(options.prefixesPerSide + (rnd() - 0.5) * 2));
    const prefixes: string[] = [];
    for (let i = 0; i < count; i++) {
      const r = rnd();
      prefixes.push(r < 0.1 ? v6Cidr() : remote ? (r < 0.7 ? publicCidr() : privateCidr()) : privateCidr());
    }
    return { prefixes };
  };
  const id = `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/bench/providers/Microsoft.Network/networkSecurityGroups/nsg-${options.seed}`;
  const inboundCount = Math.round(options.rules * 0.6);
  const securityRules = [];
  for (let i = 0; i < options.rules; i++) {
    const inbound = i < inboundCount;
    const priority = 100 + (inbound ? i : i - inboundCount) * 3;
    const source = side(inbound);
    const destination = side(!inbound);
    const roll = rnd();
    const ports = roll < 0.2 ? ['*'] : Array.from({ length: int(1, 4) }, () => pick(COMMON_PORTS));
    const name = `rule-${i}`;
    securityRules.push({
      name,
      id: `${id}/securityRules/${name}`,
      properties: {
        priority,
        direction: inbound ? 'Inbound' : 'Outbound',
        access: rnd() < 0.6 ? 'Allow' : 'Deny',
        protocol: pick(['Tcp', 'Tcp', 'Tcp', 'Udp', '*', '*', 'Icmp']),
        sourcePortRange: rnd() < 0.9 ? '*' : '1024-65535',
        ...(ports.length === 1 ? { destinationPortRange: ports[0] } : { destinationPortRanges: ports }),
        ...(source.prefixes.length === 1 ? { sourceAddressPrefix: source.prefixes[0] } : { sourceAddressPrefixes: source.prefixes }),
        ...(destination.prefixes.length === 1
          ? { destinationAddressPrefix: destination.prefixes[0] }
          : { destinationAddressPrefixes: destination.prefixes }),
      },
    });
  }
  return { id, name: `nsg-${options.seed}`, type: 'Microsoft.Network/networkSecurityGroups', properties: { securityRules } };
}

function loadServiceTags(): ServiceTagData {
  const file = resolve(process.cwd(), '../shared/corpus/servicetags/ServiceTags_Public_20251028.json');
  const parsed = parseServiceTags(readFileSync(file, 'utf8'));
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.data;
}

/** Shadowing of every rule plus Internet exposure per protocol, both directions. */
export function fullAnalysis(nsg: Nsg, ctx: EvaluationContext, local: AddressSet): number {
  let found = 0;
  found += ruleDecisions(nsg, ctx).filter((d) => !d.decides).length;
  for (const direction of ['Inbound', 'Outbound'] as const) {
    for (const protocol of FLOW_PROTOCOLS) {
      found += internetExposure({ nsg, ctx }, { direction, protocol, local }).reach.length;
    }
  }
  return found;
}

function prefixTotals(raw: unknown): { source: number; destination: number } {
  const rules = (raw as { properties: { securityRules: { properties: Record<string, unknown> }[] } }).properties.securityRules;
  const count = (p: Record<string, unknown>, side: string): number =>
    (p[`${side}AddressPrefix`] === undefined ? 0 : 1) + ((p[`${side}AddressPrefixes`] as unknown[] | undefined)?.length ?? 0);
  return {
    source: rules.reduce((n, r) => n + count(r.properties, 'source'), 0),
    destination: rules.reduce((n, r) => n + count(r.properties, 'destination'), 0),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/**
 * Median and best of `iterations` runs after a warm-up of at least half a second (JIT; service
 * tag sets are built once per process), as in a long-running Functions host.
 */
function time(iterations: number, work: () => void): { median: number; best: number } {
  const warmUntil = performance.now() + 500;
  do work();
  while (performance.now() < warmUntil);
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    work();
    samples.push(performance.now() - started);
  }
  return { median: median(samples), best: Math.min(...samples) };
}

export async function run(): Promise<Measurement[]> {
  const serviceTags = loadServiceTags();
  const vnet = ['10.0.0.0/14', '2001:db8::/32'];
  const subnet = addressesFromPrefixes(['10.0.1.0/24']).set;
  const out: Measurement[] = [];

  const limitRaw = generateNsg({ rules: 1000, prefixesPerSide: 4.6, seed: 1 });
  const totals = prefixTotals(limitRaw);
  const limit = parseNsg(limitRaw);
  if (!limit.ok) throw new Error(limit.errors[0]?.message);
  const limitNsg = limit.nsg;
  const context = (): EvaluationContext => createContext({ virtualNetworkPrefixes: vnet, serviceTags });
  out.push({ name: `limit NSG: rules / source prefixes / destination prefixes`, value: limitNsg.inbound.length + limitNsg.outbound.length - 6, unit: `rules, ${totals.source} / ${totals.destination} prefixes` });
  out.push({ name: 'limit NSG: parse + validate', value: time(5, () => void parseNsg(limitRaw)).median, unit: 'ms' });
  const limitSubnet = time(25, () => void fullAnalysis(limitNsg, context(), subnet));
  out.push({ name: 'limit NSG: full analysis, local = one subnet (/24), median', value: limitSubnet.median, unit: 'ms', target: '≤ 50 ms', ok: limitSubnet.median <= 50 });
  out.push({ name: 'limit NSG: full analysis, local = one subnet (/24), best', value: limitSubnet.best, unit: 'ms' });
  out.push({ name: 'limit NSG: shadowing of every rule alone, median', value: time(15, () => void ruleDecisions(limitNsg, context())).median, unit: 'ms' });
  // A lone NSG judged for every local address: the local side is split by every rule's prefixes.
  out.push({ name: 'limit NSG: full analysis, local = every address, median', value: time(3, () => void fullAnalysis(limitNsg, context(), ANY_ADDRESS)).median, unit: 'ms' });

  const typicalRaws = Array.from({ length: 20 }, (_, i) => generateNsg({ rules: 40, prefixesPerSide: 1.5, seed: 100 + i }));
  const typical = typicalRaws.map((raw) => {
    const parsed = parseNsg(raw);
    if (!parsed.ok) throw new Error(parsed.errors[0]?.message);
    return parsed.nsg;
  });
  const perNsg = (t: { median: number; best: number }) => ({ median: t.median / typical.length, best: t.best / typical.length });
  const typicalSubnet = perNsg(time(40, () => typical.forEach((nsg) => fullAnalysis(nsg, context(), subnet))));
  out.push({ name: 'typical NSG (40 rules): full analysis, local = one subnet, median', value: typicalSubnet.median, unit: 'ms', target: '≤ 1 ms', ok: typicalSubnet.median <= 1 });
  out.push({ name: 'typical NSG (40 rules): full analysis, local = one subnet, best', value: typicalSubnet.best, unit: 'ms' });
  const typicalAny = perNsg(time(10, () => typical.forEach((nsg) => fullAnalysis(nsg, context(), ANY_ADDRESS))));
  out.push({ name: 'typical NSG (40 rules): full analysis, local = every address, median', value: typicalAny.median, unit: 'ms' });
  return out;
}
