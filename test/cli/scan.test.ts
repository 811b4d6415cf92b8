/** `nsgwatch scan` in-process: inputs, formats, policies, exit codes and usage errors (DESIGN §5). */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../lib/cli/io.js';
import { main } from '../../lib/cli/main.js';
import { RULES } from '../../lib/rules/index.js';
import { vm } from '../rules/fixtures/build.js';

const ROOT = process.cwd();
const SAMPLES = ['gateways-and-groups', 'network-interfaces', 'network-security-groups', 'virtual-networks'].map((f) => `samples/estate/${f}.json`);
const SERVICE_TAGS = resolve(ROOT, '../shared/corpus/servicetags/ServiceTags_Public_20251028.json');
const QUICKSTART = (name: string) => `../shared/corpus/templates/arm-quickstarts/${name}/azuredeploy.json`;
const dir = mkdtempSync(join(tmpdir(), 'nsgwatch-scan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
}

async function scan(argv: string[], cwd = ROOT): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, cwd };
  const code = await main(['scan', ...argv], io);
  return { code, out, err };
}

interface JsonOut {
  findings: { ruleId: string; severity: string; resourceId: string; title: string; message: string; evidence: Record<string, unknown>; remediation: { az: string; bicep: string }; fingerprint: string }[];
  errors: { resourceId: string; message: string }[];
  unjudged: { resourceId: string; kind: string; reasons: string[] }[];
  summary: { findings: number; bySeverity: Record<string, number>; errors: number; unjudged: number; failed: boolean; incomplete: boolean; failOn: string };
}

describe('nsgwatch scan: table', () => {
  it('prints one line per finding, most severe first, and a summary; exit 1 at the default --fail-on low', async () => {
    const { code, out, err } = await scan(SAMPLES);
    expect(err).toBe('');
    expect(code).toBe(1);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SEVERITY\s+RULE\s+RESOURCE\s+MESSAGE$/);
    expect(lines[1]).toMatch(/^HIGH\s+NAT-001\s+snet-batch\s+Subnet snet-batch sends its outbound traffic through NAT gateway natgw-data/);
    const severities = lines.slice(1, 18).map((l) => l.split(/\s+/)[0]);
    expect(severities).toEqual([...Array(3).fill('HIGH'), ...Array(3).fill('MEDIUM'), ...Array(10).fill('LOW'), 'INFO']);
    expect(lines.at(-1)).toBe('17 findings (3 high, 3 medium, 10 low, 1 info) in 8 NSGs, 8 subnets, 6 NICs; 0 errors. Failing: findings at or above low.');
  });

  it.each([
    ['high', 1],
    ['critical', 0],
  ])('--fail-on %s exits %i', async (severity, expected) => {
    expect((await scan([...SAMPLES, '--fail-on', severity])).code).toBe(expected);
  });

  it('exits 0 with "No findings" on a clean estate', async () => {
    const file = write('clean.json', vm({ subnetNsg: [{ name: 'https-partner', priority: 100, source: '198.51.100.0/24', ports: '443' }] }));
    const { code, out } = await scan([file]);
    expect(code).toBe(0);
    expect(out).toMatch(/^No findings in 1 NSGs, 1 subnets, 1 NICs; 0 errors\. Passing at --fail-on low\.\n$/);
  });
});

describe('nsgwatch scan: json', () => {
  it('has DESIGN §5\'s shape: findings, errors, what was not judged, summary', async () => {
    const { code, out } = await scan([...SAMPLES, '--format', 'json']);
    expect(code).toBe(1);
    const json = JSON.parse(out) as JsonOut;
    expect(Object.keys(json)).toEqual(['findings', 'errors', 'unjudged', 'summary']);
    expect(json.unjudged).toEqual([]);
    expect(json.findings).toHaveLength(17);
    for (const f of json.findings) {
      expect(Object.keys(f).sort()).toEqual(['evidence', 'fingerprint', 'message', 'remediation', 'resourceId', 'resourceName', 'ruleId', 'scope', 'severity', 'title']);
    }
    const rdp = json.findings.find((f) => f.ruleId === 'NSG-001');
    expect(rdp?.evidence).toMatchObject({
      witness: { direction: 'Inbound', protocol: 'Tcp', destination: '10.0.3.4', destinationPort: 3389 },
      decidedBy: [{ nsgName: 'nsg-shared', rule: 'AllowRdpFromInternet', priority: 200, access: 'Allow' }],
      attachments: [expect.stringMatching(/networkInterfaces\/nic-vm-jump$/)],
    });
    expect(rdp?.remediation.az).toBe('az network nsg rule delete --resource-group rg-nsgwatch-demo --nsg-name nsg-shared --name AllowRdpFromInternet');
    expect(json.errors).toEqual([]);
    expect(json.summary).toMatchObject({ findings: 17, bySeverity: { critical: 0, high: 3, medium: 3, low: 10, info: 1 }, errors: 0, failed: true, failOn: 'low' });
  });

  it('reports invalid NSGs in errors and goes on with the rest', async () => {
    const file = write('mixed.json', [
      ...vm({ subnetNsg: [{ name: 'ssh', priority: 100, source: '*', ports: '22' }] }),
      { name: 'nsg-bad', id: '/subscriptions/1f2e3d4c-0000-4000-8000-00000000f1a7/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg-bad', type: 'Microsoft.Network/networkSecurityGroups', properties: { securityRules: [{ name: 'weird', properties: { priority: 100, direction: 'Inbound', access: 'Allow', protocol: 'Gre', sourceAddressPrefix: '*', sourcePortRange: '*', destinationAddressPrefix: '*', destinationPortRange: '*' } }] } },
    ]);
    const { code, out } = await scan([file, '--format', 'json']);
    // nsg-bad is an attachment point of its own (an NSG alone) that could not be judged.
    expect(code).toBe(2);
    const json = JSON.parse(out) as JsonOut;
    expect(json.errors).toEqual([expect.objectContaining({ resourceId: expect.stringMatching(/nsg-bad$/), rule: 'weird', field: 'protocol' })]);
    expect(json.unjudged).toEqual([expect.objectContaining({ resourceId: expect.stringMatching(/nsg-bad$/), kind: 'networkSecurityGroup' })]);
    expect(json.findings.map((f) => f.ruleId)).toContain('NSG-002');
    expect((await scan([file, '--allow-unjudged'])).code).toBe(1);
  });

  it('reports a rule field nested 100,000 deep as an input error, not a stack trace', async () => {
    const text = JSON.stringify(vm({ subnetNsg: [{ name: 'ssh', priority: 100, source: '*', ports: '22' }] })).replace('"protocol":"Tcp"', `"protocol":${'['.repeat(100_000)}"Tcp"${']'.repeat(100_000)}`);
    const { code, out } = await scan([write('deep.json', text), '--format', 'json']);
    expect(code).toBe(2);
    const json = JSON.parse(out) as JsonOut;
    expect(json.errors).toEqual([expect.objectContaining({ resourceId: expect.stringMatching(/nsg-subnet$/), rule: 'ssh', field: 'protocol', message: expect.stringContaining('[[[…]]]') })]);
  });

  it('never passes a gate on what it could not judge: an invalid NIC NSG leaves the point unjudged, exit 2', async () => {
    const file = write('nic-invalid.json', vm({
      subnetNsg: [{ name: 'ssh', priority: 100, source: '*', ports: '22' }],
      nicNsg: [{ name: 'too-low', priority: 50, source: '*', ports: '443' }],
    }));
    const table = await scan([file, '--fail-on', 'high']);
    expect(table.code).toBe(2);
    expect(table.out).toMatch(/resource\(s\) not judged/);
    expect(table.out).toMatch(/nsg-subnet: at NIC nic-vm: NSG nsg-nic failed validation/);
    expect(table.out).toMatch(/Incomplete: 2 not judged \(--allow-unjudged to pass anyway\)\./);
    const json = JSON.parse((await scan([file, '--format', 'json', '--fail-on', 'high'])).out) as JsonOut;
    expect(json.unjudged.map((u) => u.resourceId.split('/').pop()).sort()).toEqual(['nsg-nic', 'nsg-subnet']);
    expect(json.summary).toMatchObject({ unjudged: 2, incomplete: true });
    const sarif = await scan([file, '--format', 'sarif', '--fail-on', 'high']);
    expect(sarif.code).toBe(2);
    const invocation = (JSON.parse(sarif.out) as { runs: { invocations: { executionSuccessful: boolean; toolExecutionNotifications: { level: string; message: { text: string } }[] }[] }[] }).runs[0]?.invocations[0];
    expect(invocation?.executionSuccessful).toBe(false);
    expect(invocation?.toolExecutionNotifications.filter((n) => /was not judged/.test(n.message.text))).toHaveLength(2);
    const allowed = await scan([file, '--fail-on', 'high', '--allow-unjudged']);
    expect(allowed.code).toBe(0);
    expect(allowed.out).toMatch(/with 2 not judged \(--allow-unjudged\)/);
  });

  it('reads ARM templates, reporting what it cannot resolve', async () => {
    const { code, out } = await scan([QUICKSTART('101-vm-simple-linux'), QUICKSTART('201-redis-vnet-nsg'), '--format', 'json']);
    expect(code).toBe(1);
    const json = JSON.parse(out) as JsonOut;
    expect(json.findings.map((f) => f.ruleId)).toContain('NSG-002');
    expect(json.errors.length).toBeGreaterThan(0);
    expect(json.errors[0]?.message).toMatch(/cannot be resolved offline/);
  });

  it('uses service tag data: SSH from Storage (498,017 addresses) is no exposure once the tag is known', async () => {
    const file = write('storage.json', vm({ subnetNsg: [{ name: 'ssh-storage', priority: 100, source: 'Storage', ports: '22' }] }));
    const without = JSON.parse((await scan([file, '--format', 'json'])).out) as JsonOut;
    expect(without.findings.map((f) => [f.ruleId, f.evidence['unresolvedTags']])).toEqual([['NSG-002', ['Storage']]]);
    const withTags = await scan([file, '--format', 'json', '--service-tags', SERVICE_TAGS]);
    expect(withTags.code).toBe(0);
    expect((JSON.parse(withTags.out) as JsonOut).findings).toEqual([]);
  });

  it('SSH from GatewayManager (a platform tag) is no exposure, with the tags file or without it', async () => {
    const file = write('gm.json', vm({ subnetNsg: [{ name: 'ssh-gm', priority: 100, source: 'GatewayManager', ports: '22' }] }));
    for (const extra of [[], ['--service-tags', SERVICE_TAGS]]) {
      const out = await scan([file, '--format', 'json', ...extra]);
      expect(out.code).toBe(0);
      expect((JSON.parse(out.out) as JsonOut).findings).toEqual([]);
    }
  });

  it('--broad-threshold moves the line between a restriction and an exposure', async () => {
    const file = write('office.json', vm({ subnetNsg: [{ name: 'ssh-office', priority: 100, source: '203.0.113.0/24', ports: '22' }] }));
    expect((await scan([file])).code).toBe(0);
    expect((await scan([file, '--broad-threshold', '7'])).code).toBe(1);
  });
});

describe('nsgwatch scan: sarif', () => {
  it('is SARIF 2.1.0 as code scanning takes it', async () => {
    const { code, out } = await scan([...SAMPLES, '--format', 'sarif']);
    expect(code).toBe(1);
    const sarif = JSON.parse(out) as {
      version: string;
      $schema: string;
      runs: {
        tool: { driver: { name: string; rules: { id: string; name: string; shortDescription: { text: string }; fullDescription: { text: string }; help: { text: string; markdown: string }; properties: { 'security-severity': string; tags: string[] } }[] } };
        results: { ruleId: string; ruleIndex: number; level: string; message: { text: string }; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } }; logicalLocations: { fullyQualifiedName: string }[] }[]; partialFingerprints: Record<string, string> }[];
      }[];
    };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.$schema).toMatch(/sarif-2\.1\.0/);
    const run = sarif.runs[0];
    expect(run?.tool.driver.name).toBe('nsgwatch');
    const rules = run?.tool.driver.rules ?? [];
    expect(rules.map((r) => r.id)).toEqual(RULES.map((r) => r.meta.id));
    for (const rule of rules) {
      expect(rule.name).toMatch(/^[A-Z][A-Za-z0-9]+$/);
      expect(rule.shortDescription.text.length).toBeGreaterThan(5);
      expect(rule.fullDescription.text.length).toBeGreaterThan(20);
      expect(rule.help.text).toMatch(/Fix \(az\): az network /);
      expect(rule.help.markdown).toMatch(/```bicep/);
      expect(Number(rule.properties['security-severity'])).toBeGreaterThanOrEqual(0);
      expect(Number(rule.properties['security-severity'])).toBeLessThanOrEqual(10);
      expect(rule.properties.tags).toContain('security');
    }
    const json = JSON.parse((await scan([...SAMPLES, '--format', 'json'])).out) as JsonOut;
    expect(run?.results).toHaveLength(json.findings.length);
    run?.results.forEach((result, i) => {
      const finding = json.findings[i];
      expect(result.ruleId).toBe(finding?.ruleId);
      expect(rules[result.ruleIndex]?.id).toBe(result.ruleId);
      expect(['error', 'warning', 'note']).toContain(result.level);
      expect(result.message.text).toBe(finding?.message);
      expect(result.partialFingerprints).toEqual({ 'nsgwatchFindingFingerprint/v1': finding?.fingerprint });
      const [location] = result.locations;
      expect(location?.logicalLocations[0]?.fullyQualifiedName).toBe(finding?.resourceId);
      const uri = location?.physicalLocation.artifactLocation.uri ?? '';
      expect(SAMPLES).toContain(uri);
      // The region points at the line of the input file that names the resource.
      const line = readFileSync(resolve(ROOT, uri), 'utf8').split('\n')[(location?.physicalLocation.region.startLine ?? 0) - 1];
      expect(line?.toLowerCase()).toContain(finding?.resourceId.toLowerCase());
    });
    const levels = Object.fromEntries(run?.results.map((r) => [r.ruleId, r.level]) ?? []);
    expect(levels).toMatchObject({ 'NSG-001': 'error', 'NSG-010': 'warning', 'NSG-013': 'note', 'NSG-012': 'note' });
  });
});

describe('nsgwatch scan: policies', () => {
  it('adds the findings of users\' policies', async () => {
    const { code, out } = await scan([...SAMPLES, '--policy', 'samples/policies/example.yaml', '--format', 'json']);
    expect(code).toBe(1);
    const json = JSON.parse(out) as JsonOut;
    expect(json.findings.filter((f) => f.ruleId.startsWith('ORG-')).map((f) => f.ruleId)).toEqual(['ORG-001', 'ORG-001', 'ORG-002']);
  });

  it('stops with exit 2 on an invalid policy, naming file:line:column and the field', async () => {
    const file = write('bad-policy.yaml', 'id: ORG-9\nseverity: high\nmessage: m\ndeny:\n  - direction: inbound\n    from: Internet\n    ports: 65536\n');
    const { code, err } = await scan([...SAMPLES, '--policy', file]);
    expect(code).toBe(2);
    expect(err).toContain(`${file}:7:12: deny[0].ports: port 65536 is outside 0-65535`);
  });

  it('refuses a policy that reuses a built-in id or an id of another file', async () => {
    const a = write('a.yaml', 'id: NSG-002\nseverity: low\nmessage: m\ndeny: { direction: inbound, from: Internet }\n');
    expect((await scan([...SAMPLES, '--policy', a])).err).toMatch(/id 'NSG-002' is taken/);
    const b = write('b.yaml', 'id: ORG-1\nseverity: low\nmessage: m\ndeny: { direction: inbound, from: Internet }\n');
    expect((await scan([...SAMPLES, '--policy', b, '--policy', b])).err).toMatch(/id 'ORG-1' is taken/);
  });
});

describe('nsgwatch scan: usage and input errors (exit 2)', () => {
  it.each([
    ['no input', [], /give estate files to read or --subscription/],
    ['an unknown format', [...SAMPLES, '--format', 'xml'], /--format xml: expected table, json or sarif/],
    ['an unknown severity', [...SAMPLES, '--fail-on', 'urgent'], /--fail-on urgent: expected one of critical, high, medium, low, info/],
    ['a subscription that is not a GUID', ['--subscription', 'prod'], /--subscription prod: not a subscription id/],
    ['a bad threshold', [...SAMPLES, '--broad-threshold', '40'], /--broad-threshold 40/],
    ['a missing file', ['samples/estate/nope.json'], /cannot read samples\/estate\/nope\.json: no such file/],
    ['an unknown option', [...SAMPLES, '--frobnicate'], /Unknown option '--frobnicate'/],
  ])('%s', async (_what, argv, message) => {
    const { code, err, out } = await scan(argv);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(message);
  });

  it('a file with no Azure resources is an error naming the file', async () => {
    const file = write('empty.json', { hello: 'world' });
    const { code, err } = await scan([file]);
    expect(code).toBe(2);
    expect(err).toContain(`${file} holds no Azure resources`);
  });

  it('--help prints the usage', async () => {
    const { code, out } = await scan(['--help']);
    expect(code).toBe(0);
    expect(out).toMatch(/^usage: nsgwatch scan \[FILE \.\.\.\]/);
    expect(out).toMatch(/--fail-on SEVERITY/);
  });

  it('--progress reports on stderr', async () => {
    const { err } = await scan([...SAMPLES, '--progress', '--format', 'json']);
    expect(err).toMatch(/^nsgwatch scan: read 4 input\(s\)\nnsgwatch scan: evaluating 8 NSGs, 8 subnets, 6 NICs\nnsgwatch scan: rule 1\/23: NSG-001\n/);
  });
});

describe('nsgwatch scan: types it reads and does not use, empty lists', () => {
  it('names per file the types it skipped, with counts; an empty list file does not stop the scan', async () => {
    const clean = vm({ subnetNsg: [{ name: 'https-partner', priority: 100, source: '198.51.100.0/24', ports: '443' }] });
    const vmId = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines';
    const mixed = write('mixed.json', { value: [...clean, { id: `${vmId}/vm-1`, type: 'Microsoft.Compute/virtualMachines' }, { id: `${vmId}/vm-2`, type: 'Microsoft.Compute/virtualMachines' }] });
    const empty = write('empty-nics.json', { value: [] });
    const table = await scan([mixed, empty]);
    expect(table.code).toBe(0);
    expect(table.out).toContain(`Read but not used (nsgwatch does not model these types):\n  ${mixed}: microsoft.compute/virtualmachines (2)\n`);
    const json = JSON.parse((await scan([mixed, empty, '--format', 'json'])).out) as { summary: { unusedTypes: unknown } };
    expect(json.summary.unusedTypes).toEqual([{ source: mixed, types: { 'microsoft.compute/virtualmachines': 2 } }]);
  });
});
