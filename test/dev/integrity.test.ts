/** Local mode, end to end: a bad child resource in one file changes nothing it does not touch (issue 16). */
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDevRuntime } from '../../lib/dev/runtime.js';
import { copyEstate } from '../../lib/dev/estate-files.js';
import { evaluateRules, ruleInfos } from '../../lib/runtime/catalogue.js';

interface Vnets {
  value: { name: string; properties: { subnets: { name?: string; properties: { addressPrefix?: string } }[] } }[];
}

describe('a bad subnet in the sample estate', () => {
  it('resolves nothing, opens nothing false, and restoring the file makes no transition', async () => {
    const scratch = await mkdtemp(path.join(tmpdir(), 'nsgwatch-integrity-'));
    const estateDir = path.join(scratch, 'estate');
    try {
      await copyEstate(path.resolve(process.cwd(), 'samples/estate'), estateDir);
      const file = path.join(estateDir, 'virtual-networks.json');
      const original = await readFile(file, 'utf8');
      const runtime = await startDevRuntime({ estateDir, port: 0, evaluate: evaluateRules, rules: ruleInfos, print: () => undefined, env: {} });
      try {
        const [first] = await runtime.sweep();
        expect(first?.transitions.length).toBeGreaterThan(0);
        const breakages: ((vnets: Vnets) => void)[] = [
          (vnets) => vnets.value.find((v) => v.name === 'vnet-spoke-web')?.properties.subnets.push({ properties: { addressPrefix: '10.1.9.0/24' } }),
          (vnets) => {
            const subnet = vnets.value.find((v) => v.name === 'vnet-spoke-web')?.properties.subnets.find((s) => s.name === 'snet-app');
            if (subnet) subnet.properties.addressPrefix = '10.1.2.0/33';
          },
        ];
        for (const breakage of breakages) {
          const vnets = JSON.parse(original) as Vnets;
          breakage(vnets);
          await writeFile(file, JSON.stringify(vnets));
          const [broken] = await runtime.sweep();
          expect(broken?.status).toBe('evaluated');
          expect(broken?.errors.length).toBeGreaterThan(0);
          expect(broken?.transitions.map((t) => `${t.kind} ${t.finding.ruleId} ${t.finding.resourceName}`)).toEqual([]);
          await writeFile(file, original);
          const [restored] = await runtime.sweep();
          expect(restored?.transitions.map((t) => `${t.kind} ${t.finding.ruleId} ${t.finding.resourceName}`)).toEqual([]);
        }
      } finally {
        await runtime.stop();
      }
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }, 60_000);
});
