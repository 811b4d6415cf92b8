/** evaluateEstate: reporting only on `only`, what `judged` holds, bad input, service tags, settings. */
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadEstate } from '../../lib/estate/load.js';
import type { Estate } from '../../lib/estate/model.js';
import type { EstateEvaluator } from '../../lib/pipeline/pipeline.js';
import { RULES, evaluateEstate, type Rule } from '../../lib/rules/index.js';
import { normalizeId } from '../../lib/arm/index.js';
import { ids, nic, nsg, vm, vnet } from './fixtures/build.js';
import { estateOf } from './support.js';

const SAMPLES = resolve(process.cwd(), 'samples/estate');
const SERVICE_TAGS = resolve(process.cwd(), '../shared/corpus/servicetags/ServiceTags_Public_20251028.json');

function sampleEstate(): Estate {
  return loadEstate(readdirSync(SAMPLES).filter((f) => f.endsWith('.json')).sort().map((f) => ({ source: f, json: JSON.parse(readFileSync(resolve(SAMPLES, f), 'utf8')) as unknown })));
}

const sample = sampleEstate();
const full = evaluateEstate(sample);
const keyOf = (name: string): string => {
  for (const map of [sample.networkSecurityGroups, sample.subnets, sample.networkInterfaces]) {
    for (const [key, resource] of map) if (resource.name === name) return key;
  }
  throw new Error(`no resource ${name} in the sample estate`);
};

describe('evaluateEstate with only', () => {
  it('fits the pipeline as its EstateEvaluator without an adapter', () => {
    const evaluate: EstateEvaluator = evaluateEstate;
    expect(evaluate(sample, { only: new Set([keyOf('nsg-db')]), serviceTags: undefined }).judged).toEqual([keyOf('nsg-db')]);
  });

  it.each([
    ['one NSG', ['nsg-db']],
    ['one subnet', ['snet-batch']],
    ['one NIC', ['nic-vm-app-1']],
    ['a NIC NSG and its subnet NSG', ['nsg-vm-app', 'nsg-app']],
    ['the Bastion NSG and the VM NSGs it serves', ['nsg-bastion', 'nsg-web', 'nsg-db']],
    ['the unattached NSG', ['nsg-orphan']],
  ])('%s: exactly the full run\'s findings on those resources, judged with full context', (_what, names) => {
    const only = new Set(names.map(keyOf));
    const out = evaluateEstate(sample, { only });
    const expected = full.findings.filter((f) => only.has(normalizeId(f.resourceId)));
    expect(out.findings).toEqual(expected);
    expect([...out.judged].sort()).toEqual([...only].sort());
  });

  it('judges everything without only', () => {
    expect(full.judged).toHaveLength(sample.networkSecurityGroups.size + sample.subnets.size + sample.networkInterfaces.size);
    expect(full.errors).toEqual([]);
  });

  it('returns findings most severe first', () => {
    const order = ['critical', 'high', 'medium', 'low', 'info'];
    const ranks = full.findings.map((f) => order.indexOf(f.severity));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
  });
});

describe('bad input', () => {
  it('a network whose address space covers all of IPv4 (Internet empty there) is still judged, BAS-003 included', () => {
    const files = ['gateways-and-groups', 'network-interfaces', 'network-security-groups', 'virtual-networks'].map((f) => ({
      source: f,
      json: JSON.parse(readFileSync(resolve(process.cwd(), `samples/estate/${f}.json`), 'utf8')) as { value: { name: string; properties: { addressSpace?: { addressPrefixes: string[] } } }[] },
    }));
    for (const vnet of files.find((f) => f.source === 'virtual-networks')?.json.value ?? []) {
      vnet.properties.addressSpace?.addressPrefixes.push('0.0.0.0/1', '128.0.0.0/1');
    }
    const out = evaluateEstate(loadEstate(files));
    expect(out.errors).toEqual([]);
    expect(out.judged.length).toBe(full.judged.length);
    expect(out.findings.filter((f) => f.ruleId === 'BAS-003').length).toBeGreaterThan(0);
  });

  const bad = nsg('nsg-bad', [
    { name: 'too-early', priority: 50, source: '*', ports: '22' },
    { name: 'bad-port', priority: 200, source: '*', ports: '70000' },
  ]);

  it('an NSG that fails validation is an error naming the resource, the rule and the field, and is not judged', () => {
    const estate = estateOf([...vm({ subnetNsg: [{ name: 'ssh', priority: 100, source: '*', ports: '22' }] }), bad]);
    const out = evaluateEstate(estate);
    expect(out.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ resourceId: ids.nsg('nsg-bad'), rule: 'too-early', field: 'priority' }),
        expect.objectContaining({ resourceId: ids.nsg('nsg-bad'), rule: 'bad-port', field: expect.stringMatching(/destinationPort/) }),
      ]),
    );
    expect(out.judged).not.toContain(normalizeId(ids.nsg('nsg-bad')));
    expect(out.findings.some((f) => normalizeId(f.resourceId) === normalizeId(ids.nsg('nsg-bad')))).toBe(false);
    // The rest goes on: the valid NSG is judged and its exposure found.
    expect(out.judged).toContain(normalizeId(ids.nsg('nsg-subnet')));
    expect(out.findings.map((f) => [f.ruleId, f.resourceName])).toContainEqual(['NSG-002', 'nsg-subnet']);
  });

  it('an NSG composed with an invalid one at a NIC is not judged there, nor listed as judged', () => {
    const estate = estateOf([
      vnet('vnet-a', ['10.0.0.0/16'], [{ name: 'snet-a', prefix: '10.0.1.0/24', nsg: 'nsg-bad' }]),
      bad,
      nsg('nsg-nic', [{ name: 'ssh', priority: 100, source: '*', ports: '22' }]),
      nic('nic-a', { vnet: 'vnet-a', subnet: 'snet-a', ip: '10.0.1.4', nsg: 'nsg-nic' }),
    ]);
    const out = evaluateEstate(estate);
    expect(out.judged).not.toContain(normalizeId(ids.nsg('nsg-nic')));
    expect(out.findings.filter((f) => f.resourceName === 'nsg-nic').map((f) => f.ruleId)).not.toContain('NSG-002');
    // Subnets and NICs are still judged: NSG-011 holds whatever the NSGs' rules say.
    expect(out.judged).toEqual(expect.arrayContaining([normalizeId(ids.subnet('vnet-a', 'snet-a')), normalizeId(ids.nic('nic-a'))]));
    expect(out.findings.map((f) => f.ruleId)).toContain('NSG-011');
    expect(out.unjudged.map((u) => [u.resourceId.split('/').pop(), u.kind])).toEqual(expect.arrayContaining([['nsg-nic', 'networkSecurityGroup'], ['nsg-bad', 'networkSecurityGroup']]));
  });

  it('a subnet that fails validation is reported alone: the network, its other subnets and their NSGs keep their verdicts', () => {
    const good = [
      vnet('vnet-a', ['10.0.0.0/16'], [
        { name: 'snet-a', prefix: '10.0.1.0/24', nsg: 'nsg-a' },
        { name: 'snet-b', prefix: '10.0.2.0/24', nsg: 'nsg-b' },
      ]),
      nsg('nsg-a', [{ name: 'ssh', priority: 100, source: '*', ports: '22' }]),
      nsg('nsg-b', [{ name: 'rdp', priority: 100, source: '*', ports: '3389' }]),
      nic('nic-b', { vnet: 'vnet-a', subnet: 'snet-b', ip: '10.0.2.4' }),
    ];
    const before = evaluateEstate(estateOf(good));
    const broken = (mutate: (subnets: Record<string, unknown>[]) => void) => {
      const copy = structuredClone(good);
      mutate(((copy[0] as { properties: { subnets: Record<string, unknown>[] } }).properties.subnets));
      const estate = loadEstate([{ source: 'broken.json', json: copy }]);
      expect(estate.errors).toHaveLength(1);
      expect(estate.virtualNetworks.size).toBe(1);
      return evaluateEstate(estate);
    };
    const fingerprints = (out: typeof before, name: string) => out.findings.filter((f) => f.resourceName === name).map((f) => f.fingerprint);
    for (const out of [
      broken((subnets) => subnets.push({ properties: { addressPrefix: '10.0.9.0/24' } })),
      broken((subnets) => ((subnets[1] as { properties: { addressPrefix: string } }).properties.addressPrefix = '10.0.2.0/33')),
    ]) {
      expect(fingerprints(out, 'nsg-a')).toEqual(fingerprints(before, 'nsg-a'));
      expect(out.judged).toContain(normalizeId(ids.nsg('nsg-a')));
      expect(out.findings.filter((f) => f.ruleId === 'NSG-012')).toEqual([]);
    }
    // A subnets list holding something that is not an object: the NIC's subnet may be it.
    const notObject = broken((subnets) => subnets.splice(1, 1, 'Tcp' as unknown as Record<string, unknown>));
    expect(notObject.judged).not.toContain(normalizeId(ids.nic('nic-b')));
    expect(notObject.unjudged.map((u) => u.resourceId.split('/').pop())).toContain('nic-b');
    const prefix33 = broken((subnets) => ((subnets[1] as { properties: { addressPrefix: string } }).properties.addressPrefix = '10.0.2.0/33'));
    // nsg-b guards the bad subnet: nothing of it is judged, so nothing of it may resolve.
    expect(prefix33.judged).not.toContain(normalizeId(ids.nsg('nsg-b')));
    expect(prefix33.judged).not.toContain(normalizeId(ids.nic('nic-b')));
    expect(prefix33.unjudged.map((u) => u.resourceId.split('/').pop()).sort()).toEqual(['nic-b', 'nsg-b', 'snet-b']);
  });

  it('a rule that fails judges nothing, so nothing resolves', () => {
    const broken: Rule = {
      meta: { ...(RULES[0] as Rule).meta, id: 'TEST-001' },
      evaluate: () => {
        throw new Error('defect');
      },
    };
    const out = evaluateEstate(sample, { rules: [...RULES, broken] });
    expect(out.judged).toEqual([]);
    expect(out.errors).toContainEqual(expect.objectContaining({ message: expect.stringMatching(/TEST-001.*defect/) }));
    expect(out.findings.length).toBe(full.findings.length);
  });

  it('service tag data that cannot be read is reported and tags stay unresolved', () => {
    const out = evaluateEstate(sample, { serviceTags: { values: 'nope' } });
    expect(out.errors).toContainEqual(expect.objectContaining({ field: 'serviceTags' }));
    expect(out.findings).toEqual(full.findings);
  });
});

describe('service tags and the broadness threshold', () => {
  const sshFrom = (source: string) => estateOf(vm({ subnetNsg: [{ name: 'ssh', priority: 100, source, ports: '22' }] }));
  const serviceTags = JSON.parse(readFileSync(SERVICE_TAGS, 'utf8')) as unknown;
  const nsg002 = (estate: Estate, options: Parameters<typeof evaluateEstate>[1] = {}) =>
    evaluateEstate(estate, { rules: RULES.filter((r) => r.meta.id === 'NSG-002'), ...options }).findings;

  it.each([
    // AzureCloud: 47,777,112 IPv4 addresses (about 2^25.5): any Azure customer, an exposure.
    ['AzureCloud', true],
    // Storage: 498,017 IPv4 addresses in the 2025-10-28 data: a restriction once resolved.
    ['Storage', false],
  ])('SSH from %s: exposure with tag data = %s, and without data an unresolved tag counts as broad', (tag, exposed) => {
    const estate = sshFrom(tag);
    expect(nsg002(estate, { serviceTags }).length > 0).toBe(exposed);
    const unresolved = nsg002(estate);
    expect(unresolved).toHaveLength(1);
    expect(unresolved[0]?.evidence.unresolvedTags).toEqual([tag]);
  });

  it.each([
    ['AzureCloud', 'AzureCloud'],
    ['azurecloud', 'AzureCloud'],
  ])('the message names SSH from %s by the tag, as the data spells it (%s); the exact set stays in the evidence', (source, named) => {
    const [finding] = nsg002(sshFrom(source), { serviceTags });
    expect(finding?.message).toContain(`from ${named}`);
    expect(finding?.message).not.toMatch(/IPv4 addresses|more prefixes/);
    expect(JSON.stringify(finding?.evidence)).toMatch(/\d+\.\d+\.\d+\.\d+\/\d+/);
  });

  it('without data, the message names the tag as the rule writes it, never lower-cased', () => {
    const [finding] = nsg002(sshFrom('AzureCloud.WestEurope'));
    expect(finding?.message).toContain('service tag AzureCloud.WestEurope (no address data)');
    expect(finding?.message).not.toContain('azurecloud');
  });

  it('SSH from GatewayManager (a platform tag: 4,825 Microsoft-operated addresses) is no exposure, with the data or without it', () => {
    const estate = sshFrom('GatewayManager');
    expect(nsg002(estate, { serviceTags })).toEqual([]);
    expect(nsg002(estate)).toEqual([]);
  });

  it('the threshold is a setting: a /24 counts as broad when the threshold is 2^7 addresses', () => {
    const estate = sshFrom('203.0.113.0/24');
    expect(nsg002(estate)).toEqual([]);
    expect(nsg002(estate, { settings: { broadThreshold: { ipv4: 2 ** 7, ipv6: 1n << 96n } } })).toHaveLength(1);
  });
});
