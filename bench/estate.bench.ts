/**
 * The estate at the scale of the scan target (200 VNets × 10 subnets, 2,000 NSGs, 10,000 NICs,
 * NAT gateways, a Bastion) loaded from an export file and related; and `nsgwatch flow` answering
 * 10,000 queries from a JSONL file in one process.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flowCommand } from '../lib/cli/flow.js';
import { loadEstateFiles } from '../lib/local/files.js';
import { relateEstate } from '../lib/estate/relations.js';
import { syntheticEstate } from '../test/support/arm-estate.js';
import type { Measurement } from './run.js';

const QUERIES = 10_000;

export async function run(): Promise<Measurement[]> {
  const dir = mkdtempSync(join(tmpdir(), 'nsgwatch-estate-bench-'));
  try {
    const synthetic = syntheticEstate({ nsgs: 2_000, vnets: 200, nics: 10_000, subnetsPerVnet: 10, seed: 7 });
    const estateFile = join(dir, 'estate.json');
    writeFileSync(estateFile, JSON.stringify({ value: synthetic.resources }));

    global.gc?.();
    const started = performance.now();
    const loaded = await loadEstateFiles([estateFile]);
    if (!loaded.ok) throw new Error(loaded.problems.map((p) => p.message).join('; '));
    const loadMs = performance.now() - started;
    const relations = relateEstate(loaded.estate);
    const totalMs = performance.now() - started;
    const { estate } = loaded;
    if (estate.errors.length > 0) throw new Error(`synthetic estate has errors: ${estate.errors[0]?.message ?? ''}`);

    // Queries over the whole estate: NICs (subnet + NIC NSGs composed) and NSGs alone, both directions.
    const nics = [...estate.networkInterfaces.values()].filter((n) => n.ipConfigurations[0]?.privateIpAddresses[0]);
    const nsgs = [...estate.networkSecurityGroups.values()];
    const ports = [22, 80, 443, 1433, 3389, 8443];
    const lines: string[] = [];
    for (let i = 0; i < QUERIES; i += 1) {
      const nic = nics[(i * 7919) % nics.length];
      const ip = nic?.ipConfigurations[0]?.privateIpAddresses[0] ?? '10.0.0.4';
      const remote = `${(i % 200) + 20}.${(i * 13) % 256}.${(i * 7) % 256}.${(i % 250) + 1}`;
      const inbound = i % 3 !== 0;
      const target = i % 4 === 0 ? { nsg: nsgs[i % nsgs.length]?.id } : { nic: nic?.name };
      lines.push(
        JSON.stringify({
          ...target,
          direction: inbound ? 'Inbound' : 'Outbound',
          protocol: i % 5 === 0 ? 'Udp' : 'Tcp',
          source: inbound ? remote : ip,
          sourcePort: 40_000 + (i % 1000),
          destination: inbound ? ip : remote,
          destinationPort: ports[i % ports.length],
        }),
      );
    }
    const queries = join(dir, 'queries.jsonl');
    writeFileSync(queries, `${lines.join('\n')}\n`);

    let answered = 0;
    let errors = 0;
    const io = {
      stdout: {
        write: (chunk: string) => {
          for (const line of chunk.split('\n')) {
            if (line.startsWith('{"access"')) answered += 1;
            else if (line.startsWith('{"error"')) errors += 1;
          }
          return true;
        },
      },
      stderr: { write: () => true },
      cwd: dir,
    };
    const flowStarted = performance.now();
    const code = await flowCommand([estateFile, '--queries', queries], io);
    const flowMs = performance.now() - flowStarted;
    if (code !== 0 || answered + errors !== QUERIES) throw new Error(`flow answered ${answered} and failed ${errors} of ${QUERIES}`);

    const perSecond = QUERIES / ((flowMs - totalMs) / 1000);
    return [
      { name: `estate: load ${estate.networkSecurityGroups.size} NSGs, ${estate.networkInterfaces.size} NICs, ${estate.subnets.size} subnets`, value: loadMs, unit: 'ms' },
      { name: `estate: relate (${relations.attachments.length} attachment points)`, value: totalMs - loadMs, unit: 'ms' },
      { name: `flow: ${QUERIES} JSONL queries, whole run (load included)`, value: flowMs, unit: 'ms' },
      { name: 'flow: queries per second (load excluded)', value: Math.round(perSecond), unit: 'queries/s' },
      { name: 'flow: queries answered with an error line', value: errors, unit: 'queries' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
