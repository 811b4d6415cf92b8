/** Policy files: YAML or JSON, validated with the file, line, column and field of each problem. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_PORTS, portSet } from '../../lib/nsg/index.js';
import { compilePolicy, formatPolicyError, parsePolicies } from '../../lib/policy/parse.js';
import { RULES } from '../../lib/rules/index.js';

const EXAMPLE = resolve(process.cwd(), 'samples/policies/example.yaml');

/** A minimal valid policy, as YAML lines, with `extra` lines appended to its mapping. */
function policy(...extra: string[]): string {
  return ['id: ORG-001', 'severity: high', 'message: SSH is open', 'deny:', '  - direction: inbound', '    protocol: tcp', '    ports: 22', '    from: Internet', ...extra].join('\n');
}

describe('parsePolicies: valid documents', () => {
  it('reads the example policy file', () => {
    const parsed = parsePolicies(readFileSync(EXAMPLE, 'utf8'), 'example.yaml', { reservedIds: RULES.map((r) => r.meta.id) });
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.policies.map((p) => [p.id, p.severity, p.assertions.map((a) => a.expect)])).toEqual([
      ['ORG-001', 'high', ['deny']],
      ['ORG-002', 'medium', ['deny']],
      ['ORG-003', 'high', ['allow']],
      ['ORG-004', 'high', ['deny']],
    ]);
    expect(parsed.policies[0]?.source).toBe('example.yaml:6');
    expect(parsed.policies[0]?.scope).toEqual({
      include: { resources: [], tags: [{ key: 'owner', value: 'platform' }], subnets: [] },
      exclude: { resources: [], tags: [], subnets: ['AzureBastionSubnet'] },
    });
  });

  it.each([
    ['a single policy', policy()],
    ['a list of policies', `- ${policy().split('\n').join('\n  ')}`],
    ['{ policies: [...] }', `policies:\n  - ${policy().split('\n').join('\n    ')}`],
    ['JSON', JSON.stringify({ policies: [{ id: 'ORG-001', severity: 'HIGH', message: 'SSH is open', deny: [{ direction: 'Inbound', protocol: 'TCP', ports: [22], from: ['Internet'] }] }] })],
  ])('%s', (_what, text) => {
    const parsed = parsePolicies(text, 'p.yaml');
    expect(parsed).toMatchObject({ ok: true, policies: [{ id: 'ORG-001', severity: 'high', title: 'SSH is open' }] });
    if (!parsed.ok) return;
    expect(parsed.policies[0]?.assertions).toEqual([
      {
        expect: 'deny',
        label: 'inbound TCP 22 from Internet',
        direction: 'Inbound',
        protocols: ['Tcp'],
        ports: portSet([22]),
        remote: ['Internet'],
        except: [],
        when: 'any',
        decidedBy: 'any',
      },
    ]);
  });

  it.each([
    ['ports "22, 80-90" and from "Internet, AzureCloud" (comma lists)', { ports: '22, 80-90', from: 'Internet, AzureCloud' }, { ports: portSet([22, [80, 90]]), remote: ['Internet', 'AzureCloud'] }],
    ['no ports: every port', {}, { ports: ALL_PORTS }],
    ['protocol * is every protocol', { protocol: '*' }, { protocols: ['Tcp', 'Udp', 'Icmp', 'Esp', 'Ah'] }],
    ['IPv6 and CIDRs', { from: ['::/0', '203.0.113.0/24', '192.0.2.7'] }, { remote: ['::/0', '203.0.113.0/24', '192.0.2.7'] }],
  ])('%s', (_what, fields, expected) => {
    const compiled = compilePolicy({ id: 'X-1', severity: 'low', message: 'm', deny: [{ direction: 'inbound', protocol: 'tcp', from: 'Internet', ...fields }] });
    expect(compiled.ok).toBe(true);
    if (compiled.ok) expect(compiled.policy.assertions[0]).toMatchObject(expected);
  });
});

describe('parsePolicies: every problem with file:line:column and field', () => {
  it.each([
    ['an unknown field', policy('    form: Internet'), [{ line: 9, column: 5, path: 'deny[0].form', message: /unknown field 'form'/ }]],
    ['a port out of range', policy().replace('ports: 22', 'ports: 70000'), [{ line: 7, column: 12, path: 'deny[0].ports', message: /70000 is outside 0-65535/ }]],
    ['a port range that ends before it starts', policy().replace('ports: 22', 'ports: 90-80'), [{ line: 7, path: 'deny[0].ports', message: /ends before it starts/ }]],
    ['an unknown protocol', policy().replace('protocol: tcp', 'protocol: sctp'), [{ line: 6, path: 'deny[0].protocol', message: /'sctp' is not one of tcp, udp, icmp, esp, ah/ }]],
    ['an unknown severity', policy().replace('severity: high', 'severity: urgent'), [{ line: 2, path: 'severity', message: /'urgent' is not one of critical/ }]],
    ['a missing message', policy().replace('message: SSH is open\n', ''), [{ line: 1, path: 'message', message: /message is required/ }]],
    ['outbound flows name their far side with to', policy().replace('direction: inbound', 'direction: outbound'), [{ path: 'deny[0].from', message: /outbound flows name their far side with 'to'/ }, { path: 'deny[0].to', message: /to is required/ }]],
    ['a CIDR with host bits set', policy().replace('from: Internet', 'from: 10.0.0.5/24'), [{ line: 8, path: 'deny[0].from', message: /host bits set.*10\.0\.0\.0\/24/ }]],
    ['a malformed address', policy().replace('from: Internet', 'from: 300.1.2.3'), [{ line: 8, path: 'deny[0].from', message: /neither an IP address, a CIDR prefix nor a service tag/ }]],
    ['ports on ICMP', policy().replace('protocol: tcp', 'protocol: icmp'), [{ path: 'deny[0].ports', message: /ICMP flows have no ports/ }]],
    ['when of the other kind', policy('    when: some'), [{ line: 9, path: 'deny[0].when', message: /"some" is not one of: any, broad, every-port/ }]],
    ['decidedBy on an allow assertion', 'id: A-1\nseverity: low\nmessage: m\nallow:\n  - direction: inbound\n    from: Internet\n    decidedBy: custom', [{ line: 7, path: 'allow[0].decidedBy', message: /deny assertions only/ }]],
    ['no assertion at all', 'id: A-1\nseverity: low\nmessage: m', [{ line: 1, path: '(document)', message: /at least one assertion/ }]],
    ['a built-in rule id', policy().replace('ORG-001', 'nsg-002'), [{ line: 1, path: 'id', message: /'nsg-002' is taken/ }]],
    ['an id with a separator', policy().replace('ORG-001', 'ORG|1'), [{ path: 'id', message: /must start with a letter/ }]],
    ['a tag selector without a value', policy('scope:', '  tags:', '    env:'), [{ line: 11, path: 'scope.tags.env', message: /needs a value/ }]],
    ['YAML that does not parse', 'id: [unclosed\nseverity: high', [{ line: 2, path: '(syntax)', message: /./ }]],
    ['a duplicate key', policy('severity: low'), [{ line: 9, path: '(syntax)', message: /unique/i }]],
    ['a document that is a string', 'just text', [{ line: 1, path: '(document)', message: /expected a policy/ }]],
  ])('%s', (_what, text, expected) => {
    const parsed = parsePolicies(text, 'policies/org.yaml', { reservedIds: RULES.map((r) => r.meta.id) });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors).toHaveLength(expected.length);
    expected.forEach((e, i) => {
      const error = parsed.errors[i];
      expect(error).toMatchObject({ source: 'policies/org.yaml', path: e.path, ...('line' in e ? { line: e.line } : {}), ...('column' in e ? { column: e.column } : {}) });
      expect(error?.message).toMatch(e.message);
    });
  });

  it('reports the problems of several policies at once, in JSON too, with lines', () => {
    const text = JSON.stringify({ policies: [{ id: 'A-1', severity: 'high', message: 'm', deny: [{ direction: 'inbound', from: 'Internet', ports: 99999 }] }, { id: 'A-1', severity: 'low', message: 'm', allow: [{ direction: 'sideways', from: 'Internet' }] }] }, null, 2);
    const parsed = parsePolicies(text, 'org.json');
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors.map(formatPolicyError)).toEqual([
      expect.stringMatching(/^org\.json:\d+:\d+: policies\[0\]\.deny\[0\]\.ports: port 99999 is outside 0-65535$/),
      expect.stringMatching(/^org\.json:\d+:\d+: policies\[1\]\.allow\[0\]\.direction: "sideways" is not one of: inbound, outbound$/),
    ]);
  });

  it('an id taken by another file is an error', () => {
    const parsed = parsePolicies(policy(), 'b.yaml', { reservedIds: ['org-001'] });
    expect(parsed.ok).toBe(false);
  });
});
