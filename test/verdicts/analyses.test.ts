/** The view's memoised region analyses: shared while rules ask for them, let go once they stop. */
import { describe, expect, it } from 'vitest';
import { loadEstate } from '../../lib/estate/load.js';
import { createEstateView } from '../../lib/verdicts/view.js';
import { ALL_PORTS } from '../../lib/nsg/index.js';
import { nic, nsg, vnet } from '../rules/fixtures/build.js';
import { RULES, prepareEvaluation } from '../../lib/rules/index.js';
import { builtinPolicy } from '../../lib/policy/parse.js';
import { evaluatePolicy } from '../../lib/policy/evaluate.js';

const estate = loadEstate([
  {
    source: 'estate.json',
    json: {
      value: [
        vnet('vnet-app', ['10.0.0.0/16'], [{ name: 'snet-vm', prefix: '10.0.1.0/24', nsg: 'nsg-vm' }]),
        nsg('nsg-vm', [{ name: 'allow-ssh', priority: 100, source: '*', ports: '22' }]),
        nic('nic-a', { vnet: 'vnet-app', subnet: 'snet-vm', ip: '10.0.1.4' }),
        nic('nic-b', { vnet: 'vnet-app', subnet: 'snet-vm', ip: '10.0.1.5' }),
      ],
    },
  },
]);

/** The estate's first NIC point, and the Internet in its context. */
function firstNic(view: ReturnType<typeof createEstateView>) {
  const [a] = view.points().filter((p) => p.point.kind === 'networkInterface');
  if (!a) throw new Error('expected a NIC point');
  return { a, internet: view.remote(a.ctx, ['Internet']) };
}

describe('region analyses across rules', () => {
  it('points of one NSG pair share one analysis; one no rule asked for during the last two rules is computed again, the same', () => {
    const view = createEstateView(estate);
    const [a, b] = view.points().filter((p) => p.point.kind === 'networkInterface');
    if (!a || !b) throw new Error('expected two NIC points');
    expect(a.pairKey).toBe(b.pairKey);
    const internet = view.remote(a.ctx, ['Internet']);
    const first = view.analyze(a, 'Inbound', 'Tcp', internet, ALL_PORTS);
    expect(view.analyze(b, 'Inbound', 'Tcp', internet, ALL_PORTS)).toBe(first);
    // Asked during the rule that ends and the next: kept.
    view.endRule();
    expect(view.analyze(a, 'Inbound', 'Tcp', internet, ALL_PORTS)).toBe(first);
    view.endRule();
    view.endRule();
    expect(view.analyze(a, 'Inbound', 'Tcp', internet, ALL_PORTS)).toBe(first);
    // Two rules without asking: let go, and the same answer when asked again.
    view.endRule();
    view.endRule();
    view.endRule();
    const again = view.analyze(b, 'Inbound', 'Tcp', internet, ALL_PORTS);
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
    expect(again.analysis.parts.some((part) => part.access === 'Allow')).toBe(true);
  });
});

describe('region analyses a later rule will ask for', () => {
  const questions = [
    { direction: 'Inbound', protocol: 'Tcp', remote: ['Internet'], except: [], ports: [3389, 3389], asker: 0 },
    { direction: 'Inbound', protocol: 'Tcp', remote: ['Internet'], except: [], ports: [22, 22], asker: 4 },
  ] as const;

  it('are kept until the last rule that asks them has run, then let go as any other', () => {
    const view = createEstateView(estate, { questions });
    const { a, internet } = firstNic(view);
    const ports = view.askedPorts('Inbound', 'Tcp', internet);
    const first = view.analyze(a, 'Inbound', 'Tcp', internet, ports);
    // Rules 1 to 3 do not ask it; rule 4 will.
    for (const index of [0, 1, 2, 3]) view.endRule(index);
    expect(view.analyze(a, 'Inbound', 'Tcp', internet, ports)).toBe(first);
    for (const index of [4, 5, 6]) view.endRule(index);
    const again = view.analyze(a, 'Inbound', 'Tcp', internet, ports);
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
  });

  it('are let go after two rules when the rule that ends is not numbered', () => {
    const view = createEstateView(estate, { questions });
    const { a, internet } = firstNic(view);
    const first = view.analyze(a, 'Inbound', 'Tcp', internet, ALL_PORTS);
    for (let i = 0; i < 3; i += 1) view.endRule();
    expect(view.analyze(a, 'Inbound', 'Tcp', internet, ALL_PORTS)).not.toBe(first);
  });
});

describe('the ports a run asks of a question', () => {
  const questions = [
    { direction: 'Inbound', protocol: 'Tcp', remote: ['Internet'], except: [], ports: [3389, 3389] },
    { direction: 'Inbound', protocol: 'Tcp', remote: ['internet'], except: [], ports: [22, 22] },
    { direction: 'Inbound', protocol: 'Icmp', remote: ['Internet'], except: [], ports: [22, 22] },
    { direction: 'Outbound', protocol: 'Tcp', remote: ['Internet'], except: ['AzureCloud'], ports: [25, 25] },
  ] as const;

  it('are the union of what every rule asks, by direction, protocol and remote side as written; every port when nobody said', () => {
    const view = createEstateView(estate, { questions });
    const { a, internet } = firstNic(view);
    expect(view.askedPorts('Inbound', 'Tcp', internet)).toEqual([22, 22, 3389, 3389]);
    expect(view.askedPorts('Inbound', 'Udp', internet)).toEqual(ALL_PORTS);
    // Protocols without ports ask of every port.
    expect(view.askedPorts('Inbound', 'Icmp', internet)).toEqual(ALL_PORTS);
    expect(view.askedPorts('Outbound', 'Tcp', view.remote(a.ctx, ['Internet'], ['AzureCloud']))).toEqual([25, 25]);
    expect(view.askedPorts('Outbound', 'Tcp', internet)).toEqual(ALL_PORTS);
    expect(createEstateView(estate).askedPorts('Inbound', 'Tcp', internet)).toEqual(ALL_PORTS);
  });

  it('give the rules one analysis, and the findings of each rule as on a view that was told nothing', () => {
    const policies = ['22', '3389'].map((port, i) =>
      builtinPolicy({ id: `POL-${i}`, severity: 'high', title: `port ${port}`, message: `port ${port} is open`, deny: [{ label: `${port} from the Internet`, direction: 'inbound', protocol: 'tcp', ports: Number(port), from: 'Internet', when: 'broad' }] }),
    );
    const open = loadEstate([
      {
        source: 'estate.json',
        json: {
          value: [
            vnet('vnet-app', ['10.0.0.0/16'], [{ name: 'snet-vm', prefix: '10.0.1.0/24', nsg: 'nsg-vm' }]),
            nsg('nsg-vm', [
              { name: 'allow-admin', priority: 100, source: '*', ports: '22' },
              { name: 'allow-rdp', priority: 110, source: 'Internet', ports: '3389-3390' },
            ]),
            nic('nic-a', { vnet: 'vnet-app', subnet: 'snet-vm', ip: '10.0.1.4' }),
          ],
        },
      },
    ]);
    const evaluation = prepareEvaluation(open, { rules: [], policies });
    const runs = evaluation.rules.map((_, i) => evaluation.run(i));
    const alone = policies.map((p) => evaluatePolicy(p, createEstateView(open), { ruleId: p.id, severity: p.severity, title: p.title, remediation: { az: '', bicep: '' } }));
    expect(runs.map((r) => ('findings' in r ? r.findings.map((f) => f.evidence) : r.error))).toEqual(alone.map((f) => f.map((x) => x.evidence)));
    expect(alone.flat().map((f) => f.evidence['rule'])).toMatchObject([{ name: 'allow-admin' }, { name: 'allow-rdp' }]);
    const [point] = evaluation.view.points().filter((p) => p.point.kind === 'networkInterface');
    if (!point) throw new Error('expected a NIC point');
    const internet = evaluation.view.remote(point.ctx, ['Internet']);
    // The analysis the rules shared covers both ports and no other.
    const shared = evaluation.view.analyze(point, 'Inbound', 'Tcp', internet, [22, 22]);
    expect(evaluation.view.analyze(point, 'Inbound', 'Tcp', internet, [3389, 3389])).toBe(shared);
    expect(shared.analysis.parts.every((part) => part.destinationPorts !== null && part.destinationPorts.every((p) => p === 22 || p === 3389))).toBe(true);
  });
});

describe('ports custom rules could open broadly', () => {
  const mixed = loadEstate([
    {
      source: 'estate.json',
      json: {
        value: [
          vnet('vnet-app', ['10.0.0.0/16'], [
            { name: 'snet-a', prefix: '10.0.1.0/24', nsg: 'nsg-defaults' },
            { name: 'snet-b', prefix: '10.0.2.0/24', nsg: 'nsg-smtp' },
          ]),
          nsg('nsg-defaults', [{ name: 'relay', priority: 100, direction: 'Outbound', destination: '203.0.113.0/24', ports: '25' }]),
          nsg('nsg-smtp', [
            { name: 'smtp-out', priority: 100, direction: 'Outbound', destination: 'Internet', ports: '25' },
            { name: 'smtp-alt', priority: 110, direction: 'Outbound', destination: ['198.51.100.0/28', '192.0.2.0/28'], ports: '2525' },
          ]),
          nic('nic-a', { vnet: 'vnet-app', subnet: 'snet-a', ip: '10.0.1.4' }),
          nic('nic-b', { vnet: 'vnet-app', subnet: 'snet-b', ip: '10.0.2.4' }),
        ],
      },
    },
  ]);

  it('leave out what the default rules alone let through, and count custom rules of every layer', () => {
    const view = createEstateView(mixed);
    const point = (name: string) => {
      const found = view.points().find((p) => p.point.kind === 'networkInterface' && p.point.name === name);
      if (!found) throw new Error(`no point ${name}`);
      return found;
    };
    const a = point('nic-a');
    const b = point('nic-b');
    const internet = view.remote(a.ctx, ['Internet']);
    // AllowInternetOutBound makes every port broad, but it is a default rule.
    expect(view.broadPorts(a, 'Outbound', 'Tcp', internet)).toEqual(ALL_PORTS);
    expect(view.customBroadPorts(a, 'Outbound', 'Tcp', internet)).toEqual([]);
    expect(view.customBroadPorts(b, 'Outbound', 'Tcp', internet)).toEqual([25, 25]);
    const smtp = RULES.find((r) => r.meta.id === 'NSG-014');
    if (!smtp) throw new Error('NSG-014 not in the catalogue');
    expect(smtp.evaluate(view).map((f) => [f.resourceName, f.evidence['rule']])).toMatchObject([['nsg-smtp', { name: 'smtp-out' }]]);
  });
});
