/**
 * Platform tags (lib/nsg/platform-tags.ts): the control-plane sources of Databricks, HDInsight,
 * Entra Domain Services, API Management and the gateways are not "the Internet" for exposure, and
 * no verdict depends on whether the weekly service tags file was given.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadEstate } from '../../lib/estate/load.js';
import type { Estate } from '../../lib/estate/model.js';
import { PLATFORM_TAGS, parseServiceTags, platformTag } from '../../lib/nsg/index.js';
import { evaluateEstate } from '../../lib/rules/index.js';
import type { Finding } from '../../lib/verdicts/finding.js';
import { cassetteDocuments, cassetteFiles, restExampleDocuments, restExampleFiles } from '../estate/corpus.js';
import { vm, type RuleSpec } from './fixtures/build.js';
import { estateOf } from './support.js';

const SERVICE_TAGS_FILE = resolve(process.cwd(), '../shared/corpus/servicetags/ServiceTags_Public_20251028.json');
const serviceTags = JSON.parse(readFileSync(SERVICE_TAGS_FILE, 'utf8')) as unknown;
const SAMPLES = resolve(process.cwd(), 'samples/estate');

/** What a verdict is, apart from the evidence's wording of unresolved tags. */
const verdicts = (findings: readonly Finding[]): string[] =>
  findings.map((f) => `${f.ruleId}|${f.severity}|${f.resourceId.toLowerCase()}|${f.scope}`).sort();

const bothWays = (estate: Estate): { withFile: Finding[]; without: Finding[] } => ({
  withFile: evaluateEstate(estate, { serviceTags }).findings,
  without: evaluateEstate(estate).findings,
});

describe('the platform tag table', () => {
  it('gives every tag a service, a reason and a Microsoft source', () => {
    for (const t of PLATFORM_TAGS) {
      expect(t.service.length, t.tag).toBeGreaterThan(3);
      expect(t.reason.length, t.tag).toBeGreaterThan(20);
      expect(t.source, t.tag).toMatch(/^https:\/\/learn\.microsoft\.com\//);
    }
    expect(new Set(PLATFORM_TAGS.map((t) => t.tag.toLowerCase())).size).toBe(PLATFORM_TAGS.length);
  });

  it('names tags of the weekly file (CorpNetSaw aside: Microsoft does not publish it)', () => {
    const parsed = parseServiceTags(serviceTags);
    if (!parsed.ok) throw new Error(parsed.error);
    for (const t of PLATFORM_TAGS) expect(parsed.data.has(t.tag), t.tag).toBe(t.tag !== 'CorpNetSaw');
  });

  it.each([
    ['GatewayManager', 'GatewayManager'],
    ['hdinsight.WestEurope', 'HDInsight'],
    ['ApiManagement.westeurope', 'ApiManagement'],
    ['CORPNETSAW', 'CorpNetSaw'],
    ['AzureCloud', undefined],
    ['Storage.WestEurope', undefined],
    ['GatewayManagerX', undefined],
  ])('platformTag(%s) → %s', (name, tag) => {
    expect(platformTag(name)?.tag).toBe(tag);
  });
});

// The NSG rules each service documents (sources in PLATFORM_TAGS), on one VM's subnet.
const SERVICE_RULE_SETS: [string, RuleSpec[]][] = [
  [
    'Azure Databricks (no secure cluster connectivity): SSH and the worker proxy from the control plane',
    [
      { name: 'databricks-control-plane-ssh', priority: 100, source: 'AzureDatabricks', ports: '22' },
      { name: 'databricks-worker-proxy', priority: 110, source: 'AzureDatabricks', ports: '5557' },
    ],
  ],
  ['HDInsight: health and management on 443', [{ name: 'hdinsight-management', priority: 100, source: 'HDInsight', ports: '443' }]],
  [
    'Entra Domain Services: WinRM from the service, RDP from CorpNetSaw',
    [
      { name: 'AllowPSRemoting', priority: 301, source: 'AzureActiveDirectoryDomainServices', ports: '5986' },
      { name: 'AllowRD', priority: 201, source: 'CorpNetSaw', ports: '3389' },
    ],
  ],
  ['API Management: the management endpoint', [{ name: 'apim-management', priority: 100, source: 'ApiManagement', ports: '3443' }]],
  ['Application Gateway v2: infrastructure ports', [{ name: 'appgw-infra', priority: 100, source: 'GatewayManager', ports: '65200-65535' }]],
  [
    'every platform tag on every port, one rule',
    [{ name: 'platform-all', priority: 100, protocol: '*', source: PLATFORM_TAGS.map((t) => t.tag), ports: '*' }],
  ],
];

describe('service-owned rule sets from control-plane tags', () => {
  it.each(SERVICE_RULE_SETS)('%s: no exposure finding, with the weekly file and without it', (_what, rules) => {
    const { withFile, without } = bothWays(estateOf(vm({ subnetNsg: rules })));
    const exposure = (fs: Finding[]): Finding[] => fs.filter((f) => /^NSG-00[1-7]$/.test(f.ruleId));
    expect(exposure(withFile)).toEqual([]);
    expect(exposure(without)).toEqual([]);
    expect(verdicts(withFile)).toEqual(verdicts(without));
  });

  it('a platform tag does not tip a narrow source over the threshold (2^24 - 4,096 addresses plus GatewayManager\'s 4,825)', () => {
    // 1.0.0.0/8 less 1.255.240.0/20; the default AllowAzureLoadBalancerInBound adds one more public address.
    const narrow = ['1.0.0.0/9', '1.128.0.0/10', '1.192.0.0/11', '1.224.0.0/12', '1.240.0.0/13', '1.248.0.0/14', '1.252.0.0/15', '1.254.0.0/16', '1.255.0.0/17', '1.255.128.0/18', '1.255.192.0/19', '1.255.224.0/20'];
    const estate = estateOf(vm({ subnetNsg: [{ name: 'ssh', priority: 100, source: [...narrow, 'GatewayManager'], ports: '22' }] }));
    const { withFile, without } = bothWays(estate);
    expect(withFile.filter((f) => f.ruleId === 'NSG-002')).toEqual([]);
    expect(without.filter((f) => f.ruleId === 'NSG-002')).toEqual([]);
  });

  it('a platform tag beside the Internet is still an exposure, and the exposure comes from the Internet', () => {
    const estate = estateOf(vm({ subnetNsg: [{ name: 'ssh', priority: 100, source: ['GatewayManager', 'Internet'], ports: '22' }] }));
    const { withFile, without } = bothWays(estate);
    expect(withFile.filter((f) => f.ruleId === 'NSG-002')).toHaveLength(1);
    expect(verdicts(withFile)).toEqual(verdicts(without));
  });
});

describe('verdicts do not depend on the weekly file', () => {
  it('the sample estate: the same findings with the file and without it', () => {
    const estate = loadEstate(
      readdirSync(SAMPLES)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => ({ source: f, json: JSON.parse(readFileSync(resolve(SAMPLES, f), 'utf8')) as unknown })),
    );
    const { withFile, without } = bothWays(estate);
    expect(withFile.length).toBeGreaterThan(0);
    expect(verdicts(withFile)).toEqual(verdicts(without));
  });

  it.each([
    ['the REST API examples', () => restExampleFiles().flatMap((file) => restExampleDocuments(file))],
    ['the Cloud Custodian cassettes', () => cassetteFiles().flatMap(cassetteDocuments)],
  ])('%s, each file an estate: the same findings with the file and without it', (_what, documents) => {
    let judged = 0;
    for (const document of documents()) {
      const estate = loadEstate([document]);
      if (estate.networkSecurityGroups.size === 0) continue;
      const { withFile, without } = bothWays(estate);
      expect(verdicts(withFile), document.source).toEqual(verdicts(without));
      judged++;
    }
    expect(judged).toBeGreaterThan(5);
  });
});
