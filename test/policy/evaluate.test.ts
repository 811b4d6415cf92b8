/** Users' policies on the effective policy at each attachment point: scopes, both kinds of assertion, real data. */
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadEstate } from '../../lib/estate/load.js';
import { globMatches } from '../../lib/policy/evaluate.js';
import type { FlowPolicy } from '../../lib/policy/model.js';
import { compilePolicy, parsePolicies } from '../../lib/policy/parse.js';
import { RULES, evaluateEstate } from '../../lib/rules/index.js';
import { cassetteDocuments } from '../estate/corpus.js';
import { nic, nsg, vnet, type Json } from '../rules/fixtures/build.js';
import { checkFinding, estateOf } from '../rules/support.js';

function policyOf(spec: unknown): FlowPolicy {
  const compiled = compilePolicy(spec, 'test');
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
  return compiled.policy;
}

const sshDeny = { direction: 'inbound', protocol: 'tcp', ports: 22, from: '*' };

/** Two subnets with their own NSGs (tagged), a NIC in each; both NSGs allow SSH from anywhere. */
function twoTiers(): Json[] {
  const open = [{ name: 'ssh', priority: 100, source: '*', ports: '22' }];
  return [
    vnet('vnet-a', ['10.0.0.0/16'], [
      { name: 'snet-web', prefix: '10.0.1.0/24', nsg: 'nsg-web' },
      { name: 'snet-db', prefix: '10.0.2.0/24', nsg: 'nsg-db' },
    ]),
    { ...nsg('nsg-web', open), tags: { env: 'prod', tier: 'web' } },
    { ...nsg('nsg-db', open), tags: { env: 'dev' } },
    nic('nic-web', { vnet: 'vnet-a', subnet: 'snet-web', ip: '10.0.1.4' }),
    nic('nic-db', { vnet: 'vnet-a', subnet: 'snet-db', ip: '10.0.2.4' }),
  ];
}

describe('scope selectors', () => {
  const estate = estateOf(twoTiers());
  it.each([
    ['no scope: every attachment point', {}, ['nsg-db', 'nsg-web']],
    ['resources by name with a wildcard', { resources: ['nsg-w*'] }, ['nsg-web']],
    ['resources by ARM id (case-insensitive)', { resources: ['*/NETWORKSECURITYGROUPS/NSG-DB'] }, ['nsg-db']],
    ['a NIC by name', { resources: ['nic-db'] }, ['nsg-db']],
    ['tags key=value', { tags: { env: 'prod' } }, ['nsg-web']],
    ['tags as a list, any value', { tags: ['tier=*'] }, ['nsg-web']],
    ['subnet names', { subnets: ['snet-d?'] }, ['nsg-db']],
    ['selectors of several kinds must all match', { tags: { env: 'prod' }, subnets: ['snet-db'] }, []],
    ['exclude', { exclude: { subnets: ['snet-web'] } }, ['nsg-db']],
    ['exclude by tag', { exclude: { tags: { env: 'dev' } } }, ['nsg-web']],
  ])('%s', (_what, scope, expected) => {
    const policy = policyOf({ id: 'ORG-1', severity: 'high', message: 'SSH is open', scope, deny: [sshDeny] });
    const out = evaluateEstate(estate, { rules: [], policies: [policy] });
    expect(out.findings.map((f) => f.resourceName).sort()).toEqual(expected);
  });

  it.each([
    ['nsg-*', 'nsg-web', true],
    ['NSG-WEB', 'nsg-web', true],
    ['nsg-?eb', 'nsg-web', true],
    ['nsg-we', 'nsg-web', false],
    ['a.b', 'aXb', false],
    ['*', '', true],
  ])('glob %s matches %s: %s', (pattern, value, matches) => {
    expect(globMatches(pattern, value)).toBe(matches);
  });
});

describe('assertions', () => {
  it('a deny assertion reports the rule that lets the flows in, with its finding fields', () => {
    const estate = estateOf(twoTiers());
    const policy = policyOf({ id: 'ORG-1', severity: 'high', title: 'No SSH from outside', message: 'SSH is open', scope: { resources: ['nsg-web'] }, deny: [{ ...sshDeny, except: 'VirtualNetwork' }] });
    const [finding, ...rest] = evaluateEstate(estate, { rules: [], policies: [policy] }).findings;
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ ruleId: 'ORG-1', severity: 'high', title: 'No SSH from outside', resourceName: 'nsg-web', scope: 'ssh' });
    expect(finding?.message).toMatch(/^SSH is open: rule ssh \(priority 100, source \*\) of NSG nsg-web lets in TCP 22 from any Internet address/);
    if (finding) checkFinding(finding, estate);
  });

  it('an allow assertion reports the rule that blocks a required flow; "some" is content with part of it', () => {
    const estate = estateOf([
      vnet('vnet-a', ['10.0.0.0/16'], [{ name: 'snet-web', prefix: '10.0.1.0/24', nsg: 'nsg-web' }]),
      nsg('nsg-web', [{ name: 'https-partner', priority: 100, source: '198.51.100.0/24', ports: '443' }]),
    ]);
    const all = policyOf({ id: 'ORG-2', severity: 'medium', message: 'HTTPS must be open', allow: [{ direction: 'inbound', protocol: 'tcp', ports: 443, from: 'Internet' }] });
    const some = policyOf({ id: 'ORG-3', severity: 'medium', message: 'HTTPS must be open', allow: [{ direction: 'inbound', protocol: 'tcp', ports: 443, from: 'Internet', when: 'some' }] });
    const out = evaluateEstate(estate, { rules: [], policies: [all, some] });
    expect(out.findings.map((f) => [f.ruleId, f.scope])).toEqual([['ORG-2', 'DenyAllInBound']]);
    expect(out.findings[0]?.message).toMatch(/is denied by rule DenyAllInBound \(priority 65500\) of NSG nsg-web, at subnet snet-web/);
    if (out.findings[0]) checkFinding(out.findings[0], estate);
  });

  it('decidedBy custom leaves flows the default rules decide alone', () => {
    const estate = estateOf(twoTiers());
    const outbound = { direction: 'outbound', protocol: 'tcp', ports: 443, to: 'Internet' };
    const any = policyOf({ id: 'ORG-4', severity: 'low', message: 'egress', deny: [outbound] });
    const custom = policyOf({ id: 'ORG-5', severity: 'low', message: 'egress', deny: [{ ...outbound, decidedBy: 'custom' }] });
    const out = evaluateEstate(estate, { rules: [], policies: [any, custom] });
    expect(out.findings.map((f) => [f.ruleId, f.resourceName, f.scope])).toEqual([
      ['ORG-4', 'nsg-db', 'AllowInternetOutBound'],
      ['ORG-4', 'nsg-web', 'AllowInternetOutBound'],
    ]);
  });
});

describe('the example policies', () => {
  const samples = resolve(process.cwd(), 'samples/estate');
  const estate = loadEstate(readdirSync(samples).filter((f) => f.endsWith('.json')).map((f) => ({ source: f, json: JSON.parse(readFileSync(resolve(samples, f), 'utf8')) as unknown })));
  const parsed = parsePolicies(readFileSync(resolve(process.cwd(), 'samples/policies/example.yaml'), 'utf8'), 'example.yaml', { reservedIds: RULES.map((r) => r.meta.id) });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));

  it('find what the sample estate breaks', () => {
    const out = evaluateEstate(estate, { rules: [], policies: parsed.policies });
    expect(out.findings.map((f) => [f.ruleId, f.resourceName, f.scope])).toEqual([
      // nsg-shared (owner=platform): RDP from anywhere, and SSH from the whole VNet through AllowVnetInBound.
      ['ORG-001', 'nsg-shared', 'AllowRdpFromInternet'],
      ['ORG-001', 'nsg-shared', 'AllowVnetInBound'],
      // snet-db: SQL from 0.0.0.0/1 + 128.0.0.0/1 is more than snet-app.
      ['ORG-002', 'nsg-db', 'AllowSqlFromPartners'],
    ]);
    for (const finding of out.findings) checkFinding(finding, estate);
  });
});

describe('real data: the Cloud Custodian estate', () => {
  const estate = loadEstate(cassetteDocuments('NetworkSecurityGroupTest.test_cidr_and_ingress_no_match.json'));

  it('a policy catches etcd (2379) open to * on the Kubernetes etcd NSGs, which no built-in port list covers', () => {
    const etcd = policyOf({ id: 'ORG-ETCD', severity: 'high', message: 'etcd is reachable from the Internet', deny: [{ direction: 'inbound', protocol: 'tcp', ports: '2379-2380', from: 'Internet', when: 'broad' }] });
    const out = evaluateEstate(estate, { policies: [etcd] });
    const etcdFindings = out.findings.filter((f) => f.ruleId === 'ORG-ETCD').map((f) => [f.resourceName, f.scope]);
    // Both NSGs allow 2379/TCP from '*' (rule ...-tcp2379, priority 1002); 2380 comes from an ASG only.
    expect(etcdFindings).toEqual([
      ['parent11-k8s-parent11-cilium-etcd', 'parent11-k8s-parent11-cilium-etcd-tcp2379'],
      ['parent11-k8s-parent11-kube-etcd', 'parent11-k8s-parent11-kube-etcd-tcp2379'],
    ]);
    expect(out.findings.filter((f) => f.resourceName.includes('etcd') && f.ruleId.startsWith('NSG-00'))).toEqual([]);
  });
});
