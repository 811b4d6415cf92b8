/**
 * `nsgwatch scan FILE --format json` at the scale the design holds it to: 200 virtual networks ×
 * 10 subnets, 2,000 NSGs of 10–60 rules (three at the 1,000-rule limit with prefix and port
 * lists), 10,000 NICs, 20 NAT gateways and a few Bastions, and public paths — 20 scale sets with
 * 1,000 instance NICs, 200 public IPs, 50 load balancers with rules and NAT pools — in ARM REST
 * shape, deterministic. The built CLI runs as a child process; wall time and peak RSS are
 * measured from outside. A per-rule string matcher (bench/string-matcher.js: "Allow from `*`,
 * Internet or 0.0.0.0/0 on port 22 or 3389") runs on the same file in the same run, and the scan's
 * time is held to a multiple of its time: on a shared machine that ratio is the steady figure.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Measurement } from './run.js';
import { mulberry32 } from '../test/support/random.js';
import { DEFAULT_RULES } from '../test/support/arm-estate.js';
import { benchManager, deploymentStatus, networkManager } from '../test/support/network-manager.js';
import { withNetworkLayers } from '../test/support/network-layers.js';

type Json = Record<string, unknown>;

const SUBSCRIPTION = '5c0ffee0-0000-4000-8000-00000000beef';
const GROUP = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-scale/providers/Microsoft.Network`;

const random = mulberry32;

export interface ScaleOptions {
  vnets: number;
  subnetsPerVnet: number;
  nsgs: number;
  nics: number;
  natGateways: number;
  /** NSGs at the 1,000-rule limit. */
  hugeNsgs: number;
  /** Uniform scale sets (AKS-style node pools), each with its own NSG and instance NICs. */
  scaleSets: number;
  instancesPerScaleSet: number;
  /** Public IPs, on the first NICs. */
  publicIps: number;
  /** Public load balancers with rules and a NAT pool, each fronting one scale set (or NICs). */
  loadBalancers: number;
  /** One network manager (3 collections, this many admin rules) over every network; 0: none. */
  adminRules: number;
  /** Route tables, each on one subnet; VPN gateways, each with a connection to a local network gateway. */
  routeTables: number;
  gateways: number;
  seed: number;
}

export const SCALE: ScaleOptions = {
  vnets: 200,
  subnetsPerVnet: 10,
  nsgs: 2_000,
  nics: 10_000,
  natGateways: 20,
  hugeNsgs: 3,
  scaleSets: 20,
  instancesPerScaleSet: 50,
  publicIps: 200,
  loadBalancers: 50,
  adminRules: 50,
  routeTables: 20,
  gateways: 20,
  seed: 7,
};

const SERVICE_TAGS = ['AzureCloud', 'Storage', 'Sql.WestEurope', 'AzureMonitor', 'AzureKeyVault', 'EventHub'];

/** One estate in ARM REST shape, as a bare array of resources. */
export function scaleEstate(options: ScaleOptions = SCALE): Json[] {
  const rnd = random(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const publicPrefix = (length: number): string => `${int(20, 200)}.${int(0, 255)}.${int(0, 255)}.0/${length}`;
  const nsgId = (i: number): string => `${GROUP}/networkSecurityGroups/nsg-${i}`;
  const subnetId = (v: number, s: number): string => `${GROUP}/virtualNetworks/vnet-${v}/subnets/${subnetName(v, s)}`;
  const subnetName = (v: number, s: number): string => (s === 0 && v % 40 === 0 ? 'AzureBastionSubnet' : `snet-${s}`);

  const ruleFor = (nsg: number, index: number, priority: number): Json => {
    const inbound = rnd() < 0.7;
    const roll = rnd();
    const access = rnd() < 0.75 ? 'Allow' : 'Deny';
    const protocol = pick(['Tcp', 'Tcp', 'Tcp', 'Udp', '*']);
    const properties: Json = { priority, direction: inbound ? 'Inbound' : 'Outbound', access, protocol, sourcePortRange: '*' };
    const remote =
      roll < 0.08 ? '*' : roll < 0.15 ? 'Internet' : roll < 0.45 ? 'VirtualNetwork' : roll < 0.55 ? pick(SERVICE_TAGS) : roll < 0.75 ? publicPrefix(pick([24, 26, 28])) : `10.${int(0, 199)}.${int(0, 9)}.0/24`;
    const ports = pick(['22', '3389', '443', '80', '1433', '8080-8090', '5432', '53', '25', '*', '10000-20000', `${int(1024, 60000)}`]);
    if (inbound) {
      properties['sourceAddressPrefix'] = remote;
      properties['destinationAddressPrefix'] = rnd() < 0.7 ? '*' : `10.${int(0, 199)}.${int(0, 9)}.${int(0, 15) * 16}/28`;
    } else {
      properties['sourceAddressPrefix'] = '*';
      properties['destinationAddressPrefix'] = remote;
    }
    properties['destinationPortRange'] = ports;
    return { name: `rule-${nsg}-${index}`, id: `${nsgId(nsg)}/securityRules/rule-${nsg}-${index}`, properties };
  };

  const hugeRule = (nsg: number, index: number): Json => ({
    name: `partner-${index}`,
    id: `${nsgId(nsg)}/securityRules/partner-${index}`,
    properties: {
      priority: 100 + (index % 3997),
      direction: index < 3997 ? (index % 4 === 0 ? 'Outbound' : 'Inbound') : 'Inbound',
      access: index % 7 === 0 ? 'Deny' : 'Allow',
      protocol: index % 5 === 0 ? 'Udp' : 'Tcp',
      sourcePortRange: '*',
      sourceAddressPrefixes: Array.from({ length: int(2, 5) }, () => publicPrefix(pick([24, 27, 29, 32]))),
      destinationAddressPrefix: '*',
      destinationPortRanges: Array.from({ length: int(2, 4) }, () => (rnd() < 0.5 ? `${int(1, 65000)}` : `${int(1000, 30000)}-${int(30001, 40000)}`)),
    },
  });

  const defaultRules = (nsg: number): Json[] =>
    DEFAULT_RULES.map(([name, direction, access, priority, source, destination]) => ({
      name,
      id: `${nsgId(nsg)}/defaultSecurityRules/${name}`,
      properties: { priority, direction, access, protocol: '*', sourcePortRange: '*', destinationPortRange: '*', sourceAddressPrefix: source, destinationAddressPrefix: destination },
    }));

  const subnetCount = options.vnets * options.subnetsPerVnet;
  // NSGs: one per subnet for most subnets, the rest on NICs (each shared by a few NICs).
  const subnetNsgs = Math.min(subnetCount - Math.floor(subnetCount / 10), options.nsgs);
  const nicNsgs = options.nsgs - subnetNsgs;
  const resources: Json[] = [];

  for (let i = 0; i < options.nsgs; i += 1) {
    // The largest NSGs are NIC NSGs (each shared by a few NICs), as big rule sets usually are.
    const huge = i >= options.nsgs - options.hugeNsgs;
    const count = huge ? 1000 : int(10, 60);
    const securityRules = huge
      ? Array.from({ length: count }, (_, r) => hugeRule(i, r))
      : Array.from({ length: count }, (_, r) => ruleFor(i, r, 100 + r * 10));
    resources.push({
      name: `nsg-${i}`,
      id: nsgId(i),
      type: 'Microsoft.Network/networkSecurityGroups',
      location: 'westeurope',
      tags: { team: `team-${i % 12}` },
      properties: { securityRules, defaultSecurityRules: defaultRules(i) },
    });
  }

  // Subnet k (in VNet order) gets NSG k while k < subnetNsgs; every tenth subnet has none.
  let nextSubnetNsg = 0;
  const subnetNsgOf = new Map<string, number>();
  const natOf = new Map<string, number>();
  for (let n = 0; n < options.natGateways; n += 1) {
    for (let k = 0; k < 5; k += 1) natOf.set(`${(n * 10 + k * 3) % options.vnets}/${1 + k}`, n);
  }
  for (let v = 0; v < options.vnets; v += 1) {
    const subnets: Json[] = [];
    for (let s = 0; s < options.subnetsPerVnet; s += 1) {
      const properties: Json = { addressPrefix: `10.${v}.${s}.0/24` };
      if ((v * options.subnetsPerVnet + s) % 10 !== 9 && nextSubnetNsg < subnetNsgs) {
        const nsg = nextSubnetNsg;
        subnetNsgOf.set(`${v}/${s}`, nsg);
        properties['networkSecurityGroup'] = { id: nsgId(nsg) };
        nextSubnetNsg += 1;
      }
      const nat = natOf.get(`${v}/${s}`);
      if (nat !== undefined) properties['natGateway'] = { id: `${GROUP}/natGateways/natgw-${nat}` };
      subnets.push({ name: subnetName(v, s), id: subnetId(v, s), type: 'Microsoft.Network/virtualNetworks/subnets', properties });
    }
    // Hubs (every 40th) peer with the next spokes.
    const peerings: Json[] = [];
    const hub = v - (v % 40);
    const peers = v === hub ? Array.from({ length: 4 }, (_, k) => hub + 1 + k).filter((p) => p < options.vnets) : v - hub <= 4 ? [hub] : [];
    for (const p of peers) {
      peerings.push({
        name: `vnet-${v}-to-vnet-${p}`,
        id: `${GROUP}/virtualNetworks/vnet-${v}/virtualNetworkPeerings/vnet-${v}-to-vnet-${p}`,
        properties: { peeringState: 'Connected', remoteVirtualNetwork: { id: `${GROUP}/virtualNetworks/vnet-${p}` }, remoteAddressSpace: { addressPrefixes: [`10.${p}.0.0/16`] } },
      });
    }
    resources.push({
      name: `vnet-${v}`,
      id: `${GROUP}/virtualNetworks/vnet-${v}`,
      type: 'Microsoft.Network/virtualNetworks',
      location: 'westeurope',
      properties: { addressSpace: { addressPrefixes: [`10.${v}.0.0/16`] }, subnets, virtualNetworkPeerings: peerings },
    });
    if (v === hub) {
      resources.push({
        name: `bas-${v}`,
        id: `${GROUP}/bastionHosts/bas-${v}`,
        type: 'Microsoft.Network/bastionHosts',
        location: 'westeurope',
        properties: { ipConfigurations: [{ name: 'ipconf', id: `${GROUP}/bastionHosts/bas-${v}/bastionHostIpConfigurations/ipconf`, properties: { subnet: { id: subnetId(v, 0) } } }] },
      });
    }
  }

  for (let n = 0; n < options.natGateways; n += 1) {
    const subnets = [...natOf].filter(([, g]) => g === n).map(([key]) => {
      const [v, s] = key.split('/').map(Number);
      return { id: subnetId(v ?? 0, s ?? 0) };
    });
    resources.push({ name: `natgw-${n}`, id: `${GROUP}/natGateways/natgw-${n}`, type: 'Microsoft.Network/natGateways', location: 'westeurope', sku: { name: 'Standard' }, properties: { subnets } });
  }

  // NICs: spread over the workload subnets; one in ten carries one of the NIC NSGs.
  for (let i = 0; i < options.nics; i += 1) {
    const v = i % options.vnets;
    const s = 1 + (Math.floor(i / options.vnets) % (options.subnetsPerVnet - 1));
    const host = 4 + Math.floor(i / (options.vnets * (options.subnetsPerVnet - 1)));
    const properties: Json = {
      ipConfigurations: [
        {
          name: 'ipconfig1',
          id: `${GROUP}/networkInterfaces/nic-${i}/ipConfigurations/ipconfig1`,
          properties: { privateIPAddress: `10.${v}.${s}.${host}`, privateIPAllocationMethod: 'Dynamic', subnet: { id: subnetId(v, s) } },
        },
      ],
    };
    if (nicNsgs > 0 && i % 10 === 0) properties['networkSecurityGroup'] = { id: nsgId(subnetNsgs + ((i / 10) % nicNsgs)) };
    const config = (properties['ipConfigurations'] as Json[])[0]?.['properties'] as Json;
    if (i < options.publicIps) config['publicIPAddress'] = { id: `${GROUP}/publicIPAddresses/pip-${i}` };
    const lb = options.loadBalancers > options.scaleSets ? options.scaleSets + (i % (options.loadBalancers - options.scaleSets)) : -1;
    if (lb >= 0 && i >= options.publicIps && i < options.publicIps + 500) config['loadBalancerBackendAddressPools'] = [{ id: `${GROUP}/loadBalancers/lb-${lb}/backendAddressPools/pool` }];
    resources.push({ name: `nic-${i}`, id: `${GROUP}/networkInterfaces/nic-${i}`, type: 'Microsoft.Network/networkInterfaces', location: 'westeurope', properties });
  }

  for (let i = 0; i < options.publicIps; i += 1) {
    resources.push({
      name: `pip-${i}`,
      id: `${GROUP}/publicIPAddresses/pip-${i}`,
      type: 'Microsoft.Network/publicIPAddresses',
      sku: { name: i % 5 === 0 ? 'Basic' : 'Standard' },
      properties: { ipAddress: `20.${Math.floor(i / 250)}.${i % 250}.1`, publicIPAddressVersion: 'IPv4', ipConfiguration: { id: `${GROUP}/networkInterfaces/nic-${i}/ipConfigurations/ipconfig1` } },
    });
  }
  // Load balancers: the first ones front a scale set each (rules and a NAT pool), the rest front NICs.
  for (let l = 0; l < options.loadBalancers; l += 1) {
    const lbId = `${GROUP}/loadBalancers/lb-${l}`;
    const fe = { id: `${lbId}/frontendIPConfigurations/fe` };
    const pool = { id: `${lbId}/backendAddressPools/pool` };
    resources.push({ name: `pip-lb-${l}`, id: `${GROUP}/publicIPAddresses/pip-lb-${l}`, type: 'Microsoft.Network/publicIPAddresses', sku: { name: 'Standard' }, properties: { ipAddress: `52.1.${l}.1`, ipConfiguration: fe } });
    resources.push({
      name: `lb-${l}`,
      id: lbId,
      type: 'Microsoft.Network/loadBalancers',
      sku: { name: 'Standard' },
      properties: {
        frontendIPConfigurations: [{ name: 'fe', id: fe.id, properties: { publicIPAddress: { id: `${GROUP}/publicIPAddresses/pip-lb-${l}` } } }],
        backendAddressPools: [{ name: 'pool', id: pool.id, properties: {} }],
        loadBalancingRules: [80, 443].map((port) => ({ name: `http-${port}`, id: `${lbId}/loadBalancingRules/http-${port}`, properties: { protocol: 'Tcp', frontendPort: port, backendPort: port, enableFloatingIP: port === 443 && l % 3 === 0, frontendIPConfiguration: fe, backendAddressPool: pool } })),
        inboundNatPools: [{ name: 'ssh', id: `${lbId}/inboundNatPools/ssh`, properties: { protocol: 'Tcp', frontendPortRangeStart: 50000, frontendPortRangeEnd: 50099, backendPort: 22, frontendIPConfiguration: fe } }],
      },
    });
  }
  // Scale sets: each puts its instances in a workload subnet with its own NSG, behind load balancer s.
  const compute = GROUP.replace('Microsoft.Network', 'Microsoft.Compute');
  for (let s = 0; s < options.scaleSets; s += 1) {
    const vmss = `${compute}/virtualMachineScaleSets/aks-pool-${s}`;
    const v = (s * 7) % options.vnets;
    const subnet = subnetId(v, 1 + (s % (options.subnetsPerVnet - 1)));
    const poolNsg = nsgId(s % options.nsgs);
    const lb = s < options.loadBalancers ? `${GROUP}/loadBalancers/lb-${s}` : undefined;
    resources.push({
      name: `aks-pool-${s}`,
      id: vmss,
      type: 'Microsoft.Compute/virtualMachineScaleSets',
      sku: { name: 'Standard_D4s_v5', capacity: options.instancesPerScaleSet },
      properties: {
        orchestrationMode: 'Uniform',
        virtualMachineProfile: {
          networkProfile: {
            networkInterfaceConfigurations: [
              {
                name: 'nic',
                properties: {
                  networkSecurityGroup: { id: poolNsg },
                  ipConfigurations: [
                    {
                      name: 'ipconfig1',
                      properties: {
                        subnet: { id: subnet },
                        ...(lb ? { loadBalancerBackendAddressPools: [{ id: `${lb}/backendAddressPools/pool` }], loadBalancerInboundNatPools: [{ id: `${lb}/inboundNatPools/ssh` }] } : {}),
                      },
                    },
                  ],
                },
              },
            ],
          },
        },
      },
    });
    for (let i = 0; i < options.instancesPerScaleSet; i += 1) {
      const nicId = `${vmss}/virtualMachines/${i}/networkInterfaces/nic`;
      resources.push({
        name: 'nic',
        id: nicId,
        properties: {
          networkSecurityGroup: { id: poolNsg },
          ipConfigurations: [
            {
              name: 'ipconfig1',
              id: `${nicId}/ipConfigurations/ipconfig1`,
              properties: {
                privateIPAddress: `10.${v}.${1 + (s % (options.subnetsPerVnet - 1))}.${100 + (i % 150)}`,
                subnet: { id: subnet },
                ...(lb ? { loadBalancerBackendAddressPools: [{ id: `${lb}/backendAddressPools/pool` }], loadBalancerInboundNatRules: [{ id: `${lb}/inboundNatRules/ssh.${i}` }] } : {}),
              },
            },
          ],
        },
      });
    }
  }
  if (options.adminRules > 0) {
    // Security admin rules over the bench networks, committed to their region (DESIGN §3 "Composition").
    const spec = benchManager(Array.from({ length: options.vnets }, (_, v) => `${GROUP}/virtualNetworks/vnet-${v}`), options.adminRules);
    resources.push(...networkManager(spec), deploymentStatus(spec));
  }
  // Route tables and VPN gateways (connections, local network gateways) widen VirtualNetwork (DESIGN §3).
  return options.routeTables + options.gateways > 0 ? withNetworkLayers(resources, { routeTables: options.routeTables, gateways: options.gateways }).resources : resources;
}

interface ChildRun {
  code: number | null;
  wallMs: number;
  maxRssKiB: number | undefined;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI under `/usr/bin/time -v` when present (peak RSS from the kernel's accounting). */
function runCli(args: string[], cwd: string): Promise<ChildRun> {
  const timeBin = '/usr/bin/time';
  const useTime = existsSync(timeBin);
  const command = useTime ? timeBin : process.execPath;
  const argv = useTime ? ['-v', process.execPath, ...args] : args;
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(command, argv, { cwd, env: { ...process.env, NSGWATCH_REPORT_RSS: useTime ? '' : '1' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      const stderr = Buffer.concat(err).toString('utf8');
      const fromTime = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1];
      const fromHook = /nsgwatch maxRSS: (\d+) KiB/.exec(stderr)?.[1];
      const rss = fromTime ?? fromHook;
      resolvePromise({ code, wallMs, maxRssKiB: rss === undefined ? undefined : Number(rss), stdout: Buffer.concat(out).toString('utf8'), stderr });
    });
  });
}

export async function run(): Promise<Measurement[]> {
  const root = resolve(import.meta.dirname, '..');
  const dir = mkdtempSync(join(tmpdir(), 'nsgwatch-scan-bench-'));
  try {
    const file = join(dir, 'estate.json');
    const resources = scaleEstate();
    writeFileSync(file, JSON.stringify(resources));
    const matcher = await runCli([join(root, 'bench/string-matcher.js'), file], root);
    if (matcher.code !== 0) throw new Error(`string matcher failed (exit ${String(matcher.code)}): ${matcher.stderr.slice(0, 2000)}`);
    const result = await runCli([join(root, 'bin/nsgwatch.js'), 'scan', file, '--format', 'json', '--progress'], root);
    if (result.code !== 0 && result.code !== 1) throw new Error(`nsgwatch scan failed (exit ${String(result.code)}): ${result.stderr.slice(0, 2000)}`);
    // Two threads asked for (auto takes one on a machine with no idle core): the same report.
    const threaded = await runCli([join(root, 'bin/nsgwatch.js'), 'scan', file, '--format', 'json', '--threads', '2'], root);
    if (threaded.stdout !== result.stdout) throw new Error(`nsgwatch scan --threads 2 wrote another report (exit ${String(threaded.code)}): ${threaded.stderr.slice(0, 2000)}`);
    const report = JSON.parse(result.stdout) as { findings: unknown[]; errors: unknown[] };
    const flagged = (JSON.parse(matcher.stdout) as unknown[]).length;
    const rssMiB = result.maxRssKiB === undefined ? Number.NaN : result.maxRssKiB / 1024;
    const threadedRssMiB = threaded.maxRssKiB === undefined ? Number.NaN : threaded.maxRssKiB / 1024;
    const ratio = result.wallMs / matcher.wallMs;
    return [
      { name: `scan 2,000 NSGs / 10,000 NICs, ${SCALE.adminRules} security admin rules, ${SCALE.routeTables} route tables, ${SCALE.gateways} gateways (--format json): wall time`, value: result.wallMs, unit: 'ms', target: '≤ 10000 ms', ok: result.wallMs <= 10_000 },
      { name: 'string matcher (22/3389 from */Internet): wall time', value: matcher.wallMs, unit: 'ms' },
      { name: 'scan --threads 2: wall time (same report)', value: threaded.wallMs, unit: 'ms' },
      { name: 'scan --threads 2: peak RSS (both threads)', value: threadedRssMiB, unit: 'MiB' },
      { name: 'scan time / string matcher time', value: ratio, unit: '×', target: '≤ 3 ×', ok: ratio <= 3 },
      { name: 'string matcher: rules flagged', value: flagged, unit: 'rules' },
      { name: 'scan: threads (auto: 2 for this input when 3 cores are idle)', value: Number(/evaluating on (\d+) threads/.exec(result.stderr)?.[1] ?? 1), unit: 'threads' },
      { name: 'scan: peak RSS of the CLI process', value: rssMiB, unit: 'MiB', target: '≤ 512 MiB', ok: rssMiB <= 512 },
      { name: 'scan: findings', value: report.findings.length, unit: 'findings' },
      { name: 'scan: errors', value: report.errors.length, unit: 'errors' },
      { name: 'scan: input file', value: JSON.stringify(resources).length / 2 ** 20, unit: 'MiB' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
