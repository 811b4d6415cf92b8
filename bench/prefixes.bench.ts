/**
 * Cost in the number of address prefixes (issue 16): IPv6 prefixes, scattered so they never merge,
 * in the rules of NSGs at Azure's limit of 4,000 source prefixes per NSG, each NSG on a NIC. The
 * whole scan (load, validate, resolve, every rule of the catalogue) at 4,000 and at 20,000
 * prefixes; near-linear means five times the prefixes costs about five times the time.
 */
import { loadEstate } from '../lib/estate/load.js';
import { addressUnionAll, parseAddressPrefix, type AddressSet } from '../lib/nsg/index.js';
import { evaluateEstate } from '../lib/rules/index.js';
import { mulberry32 } from '../test/support/random.js';
import type { Measurement } from './run.js';

const SUB = '/subscriptions/00000000-0000-4000-8000-000000000016/resourceGroups/rg/providers/Microsoft.Network';
const PER_NSG = 4_000;

function scattered(count: number, seed: number): string[] {
  const random = mulberry32(seed);
  const seen = new Set<string>();
  while (seen.size < count) {
    const hex = () => Math.floor(random() * 0x8000).toString(16);
    seen.add(`2001:db8:${hex()}:${(Math.floor(random() * 0x8000) * 2).toString(16)}::/64`);
  }
  return [...seen];
}

function estateWith(prefixes: number): unknown[] {
  const nsgs = Math.ceil(prefixes / PER_NSG);
  const all = scattered(prefixes, 16);
  const resources: unknown[] = [
    {
      id: `${SUB}/virtualNetworks/v`,
      type: 'Microsoft.Network/virtualNetworks',
      properties: { addressSpace: { addressPrefixes: ['10.0.0.0/16', 'fd00::/48'] }, subnets: [{ name: 's', properties: { addressPrefixes: ['10.0.1.0/24', 'fd00:0:0:1::/64'] } }] },
    },
  ];
  for (let n = 0; n < nsgs; n++) {
    const mine = all.slice(n * PER_NSG, (n + 1) * PER_NSG);
    const half = mine.length >> 1;
    const rule = (name: string, priority: number, access: string, source: string[]) => ({
      name,
      properties: { priority, direction: 'Inbound', access, protocol: 'Tcp', sourceAddressPrefixes: source, sourcePortRange: '*', destinationAddressPrefix: '*', destinationPortRange: '22' },
    });
    resources.push({
      id: `${SUB}/networkSecurityGroups/nsg-${n}`,
      type: 'Microsoft.Network/networkSecurityGroups',
      properties: { securityRules: [rule('allow-partners', 100, 'Allow', mine.slice(0, half)), rule('deny-others', 110, 'Deny', mine.slice(half))] },
    });
    resources.push({
      id: `${SUB}/networkInterfaces/nic-${n}`,
      type: 'Microsoft.Network/networkInterfaces',
      properties: {
        networkSecurityGroup: { id: `${SUB}/networkSecurityGroups/nsg-${n}` },
        ipConfigurations: [{ name: 'ip', properties: { privateIPAddress: `fd00:0:0:1::${(n + 4).toString(16)}`, subnet: { id: `${SUB}/virtualNetworks/v/subnets/s` } } }],
      },
    });
  }
  return resources;
}

function timeScan(prefixes: number): number {
  const json = estateWith(prefixes);
  const started = performance.now();
  const out = evaluateEstate(loadEstate([{ source: 'bench', json }]));
  const elapsed = performance.now() - started;
  if (out.errors.length > 0 || out.unjudged.length > 0) throw new Error(`bench estate is not valid: ${JSON.stringify(out.errors[0])}`);
  return elapsed;
}

function best(runs: number, measure: () => number): number {
  let min = Infinity;
  for (let i = 0; i < runs; i++) min = Math.min(min, measure());
  return min;
}

export async function run(): Promise<Measurement[]> {
  timeScan(PER_NSG); // warm-up
  const small = best(3, () => timeScan(4_000));
  const large = best(3, () => timeScan(20_000));
  const sets: AddressSet[] = scattered(20_000, 7).map((p) => {
    const parsed = parseAddressPrefix(p);
    if (!parsed.ok) throw new Error(parsed.message);
    return parsed.set;
  });
  const union = best(5, () => {
    const started = performance.now();
    addressUnionAll(sets);
    return performance.now() - started;
  });
  return [
    { name: 'scan, 4,000 IPv6 prefixes (1 NSG at the limit)', value: small, unit: 'ms' },
    { name: 'scan, 20,000 IPv6 prefixes (5 NSGs at the limit)', value: large, unit: 'ms', target: '≤ 2,000 ms', ok: large <= 2_000 },
    { name: 'growth 4,000 → 20,000 prefixes (5× the input)', value: large / small, unit: '×', target: '≤ 7.5× (near-linear)', ok: large / small <= 7.5 },
    { name: 'union of 20,000 scattered IPv6 prefixes', value: union, unit: 'ms', target: '≤ 100 ms', ok: union <= 100 },
  ];
}
