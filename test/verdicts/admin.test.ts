/**
 * Security admin rules in every verdict: findings, `nsgwatch flow` (the verifier) and what may
 * resolve. Each case states Azure's answer and the document that gives it.
 *
 * - Security admin rules are evaluated before NSG rules. Deny: the traffic is stopped, whatever
 *   the NSGs say. Allow: the traffic goes on to the NSGs. Always allow: the traffic is allowed and
 *   the NSGs are not evaluated.
 *   https://learn.microsoft.com/azure/virtual-network-manager/concept-security-admins
 * - Configurations take effect in the regions they are committed (deployed) to; group membership
 *   decides which networks in that region they apply to.
 *   https://learn.microsoft.com/azure/virtual-network-manager/concept-deployments
 */
import { describe, expect, it } from 'vitest';
import { loadEstate, type EstateDocument } from '../../lib/estate/load.js';
import { evaluateEstate } from '../../lib/rules/index.js';
import { createFlowVerifier } from '../../lib/flow/verifier.js';
import { bastion, ids, nic, nsg, publicIp, vnet, type Json, type RuleSpec } from '../rules/fixtures/build.js';
import { adminIds, managerDocuments, type AdminRuleSpec, type ManagerSpec } from '../support/network-manager.js';

/** A VM with a public IP in vnet-app (westeurope) whose subnet NSG holds `rules`. */
function vm(rules: RuleSpec[]): Json[] {
  return [
    vnet('vnet-app', ['10.0.0.0/16'], [{ name: 'snet-vm', prefix: '10.0.1.0/24', nsg: 'nsg-vm' }]),
    nsg('nsg-vm', rules),
    nic('nic-vm', { vnet: 'vnet-app', subnet: 'snet-vm', ip: '10.0.1.4', publicIp: 'pip-vm' }),
    publicIp('pip-vm', '20.50.1.4', 'Standard', `${ids.nic('nic-vm')}/ipConfigurations/ipconfig1`),
  ];
}

function manager(rules: AdminRuleSpec[], overrides: Partial<ManagerSpec> = {}): ManagerSpec {
  return { collections: [{ name: 'guardrails', groups: ['all-vnets'], rules }], members: { 'all-vnets': ['vnet-app', 'vnet-hub', 'vnet-spoke'] }, committedTo: ['westeurope'], ...overrides };
}

function estateOf(resources: Json[], spec?: ManagerSpec) {
  const documents: EstateDocument[] = [{ source: 'estate.json', json: { value: resources } }, ...(spec ? managerDocuments(spec) : [])];
  return loadEstate(documents);
}

const SSH_OPEN: RuleSpec = { name: 'allow-ssh', priority: 100, source: '*', ports: '22' };
const DENY_SSH: AdminRuleSpec = { name: 'deny-ssh-internet', priority: 10, access: 'Deny', sources: ['Internet'], ports: ['22'] };
const sshFromInternet = { nic: 'nic-vm', direction: 'Inbound', protocol: 'Tcp', source: '198.51.100.7', sourcePort: 50000, destination: '10.0.1.4', destinationPort: 22 };

function sshFindings(output: ReturnType<typeof evaluateEstate>) {
  return output.findings.filter((f) => /SSH/.test(f.title) && f.ruleId.startsWith('NSG-'));
}

describe('an admin Deny blocks what an NSG allows', () => {
  it('SSH from the Internet allowed by the NSG is exposed without the admin rule (the control)', () => {
    const output = evaluateEstate(estateOf(vm([SSH_OPEN])));
    expect(sshFindings(output).map((f) => f.resourceName)).toEqual(['nsg-vm']);
  });

  it('with a committed admin Deny of SSH from the Internet: no exposure finding, and the NSG rule is not blamed', () => {
    // Azure: a Deny admin rule stops the traffic before any NSG rule is evaluated (concept-security-admins).
    const output = evaluateEstate(estateOf(vm([SSH_OPEN]), manager([DENY_SSH])));
    expect(output.errors).toEqual([]);
    expect(sshFindings(output)).toEqual([]);
    expect(output.judged).toContain(ids.nsg('nsg-vm').toLowerCase());
  });

  it('flow says Deny and names the admin rule: manager, configuration, collection, rule, priority, action', () => {
    const verifier = createFlowVerifier(estateOf(vm([SSH_OPEN]), manager([DENY_SSH])));
    const answer = verifier.verify(sshFromInternet);
    expect(answer).toMatchObject({
      ok: true,
      access: 'Deny',
      decidedBy: [
        {
          layer: 'admin',
          rule: 'deny-ssh-internet',
          priority: 10,
          access: 'Deny',
          admin: {
            id: adminIds.rule('secadmin', 'guardrails', 'deny-ssh-internet'),
            manager: expect.stringMatching(/networkManagers\/avnm$/),
            configuration: adminIds.configuration('secadmin'),
            collection: adminIds.collection('secadmin', 'guardrails'),
            action: 'Deny',
          },
        },
      ],
    });
  });

  it('a configuration committed to another region does not apply there', () => {
    // Azure: configurations apply in the regions they are deployed to (concept-deployments).
    const output = evaluateEstate(estateOf(vm([SSH_OPEN]), manager([DENY_SSH], { committedTo: ['eastus'] })));
    expect(sshFindings(output).map((f) => f.resourceName)).toEqual(['nsg-vm']);
  });

  it('a network that is not a static member is judged as outside the group, and the evidence says so', () => {
    const output = evaluateEstate(estateOf(vm([SSH_OPEN]), manager([DENY_SSH], { members: { 'all-vnets': ['vnet-other'] } })));
    const [finding] = sshFindings(output);
    expect(finding?.resourceName).toBe('nsg-vm');
    expect(finding?.evidence.assumptions).toContainEqual(expect.stringMatching(/not a static member of network group all-vnets.*Azure Policy \(dynamic\)/));
  });
});

describe('an admin Allow passes on to the NSGs', () => {
  it('the NSG rule that then allows is blamed, never the admin Allow', () => {
    // Azure: traffic an Allow admin rule matches is evaluated by the NSGs next (concept-security-admins).
    const allow: AdminRuleSpec = { name: 'allow-ssh', priority: 10, access: 'Allow', sources: ['*'], ports: ['22'] };
    const output = evaluateEstate(estateOf(vm([SSH_OPEN]), manager([allow])));
    const [finding] = sshFindings(output);
    expect(finding).toMatchObject({ resourceName: 'nsg-vm', scope: 'allow-ssh' });
    expect(finding?.evidence.decidedBy?.map((d) => d.admin?.action ?? d.nsgName)).toEqual(['Allow', 'nsg-vm']);
  });

  it('and an NSG that denies still denies', () => {
    const allow: AdminRuleSpec = { name: 'allow-ssh', priority: 10, access: 'Allow', sources: ['*'], ports: ['22'] };
    const answer = createFlowVerifier(estateOf(vm([]), manager([allow]))).verify(sshFromInternet);
    expect(answer).toMatchObject({ ok: true, access: 'Deny', decidedBy: [{ layer: 'admin', rule: 'allow-ssh' }, { layer: 'subnet', rule: 'DenyAllInBound' }] });
  });
});

describe('AlwaysAllow skips the NSGs', () => {
  it('SSH from the Internet always allowed: exposed although the NSG denies it, reported on the admin rule', () => {
    const always: AdminRuleSpec = { name: 'always-ssh', priority: 5, access: 'AlwaysAllow', sources: ['*'], ports: ['22'] };
    const output = evaluateEstate(estateOf(vm([{ name: 'deny-ssh', priority: 100, access: 'Deny', source: '*', ports: '22' }]), manager([always])));
    const [finding] = sshFindings(output);
    expect(finding).toMatchObject({ resourceId: adminIds.rule('secadmin', 'guardrails', 'always-ssh'), resourceName: 'always-ssh' });
    expect(finding?.message).toMatch(/security admin rule always-ssh \(priority 5, AlwaysAllow\).*past every NSG/);
    expect(finding?.evidence['adminRule']).toMatchObject({ action: 'AlwaysAllow', decides: 'allows' });
    expect(output.judged).toContain(adminIds.rule('secadmin', 'guardrails', 'always-ssh').toLowerCase());
  });

  it('Bastion reaches the VMs through an AlwaysAllow although the NSG denies: no BAS-002 finding, flow allowed', () => {
    // Azure: Always allow lets the traffic through without evaluating the NSGs (concept-security-admins).
    const resources = [
      vnet('vnet-hub', ['10.0.0.0/16'], [{ name: 'AzureBastionSubnet', prefix: '10.0.1.0/26' }], [{ vnet: 'vnet-spoke', prefixes: ['10.1.0.0/16'] }]),
      vnet('vnet-spoke', ['10.1.0.0/16'], [{ name: 'snet-vm', prefix: '10.1.1.0/24', nsg: 'nsg-vm' }], [{ vnet: 'vnet-hub', prefixes: ['10.0.0.0/16'] }]),
      bastion('bas-hub', 'vnet-hub'),
      nsg('nsg-vm', [{ name: 'deny-mgmt', priority: 100, access: 'Deny', source: '10.0.1.0/26', ports: ['22', '3389'] }]),
      nic('nic-vm', { vnet: 'vnet-spoke', subnet: 'snet-vm', ip: '10.1.1.4' }),
    ];
    const bastionRule: AdminRuleSpec = { name: 'always-bastion', priority: 20, access: 'AlwaysAllow', sources: ['10.0.1.0/26'], ports: ['22', '3389'] };
    const without = evaluateEstate(estateOf(resources));
    expect(without.findings.filter((f) => f.ruleId === 'BAS-002').map((f) => f.scope)).toEqual(['deny-mgmt']);
    const output = evaluateEstate(estateOf(resources, manager([bastionRule])));
    expect(output.findings.filter((f) => f.ruleId === 'BAS-002')).toEqual([]);
    const answer = createFlowVerifier(estateOf(resources, manager([bastionRule]))).verify({
      nic: 'nic-vm', direction: 'Inbound', protocol: 'Tcp', source: '10.0.1.5', sourcePort: 50000, destination: '10.1.1.4', destinationPort: 3389,
    });
    expect(answer).toMatchObject({ ok: true, access: 'Allow', decidedBy: [{ layer: 'admin', rule: 'always-bastion', admin: { action: 'AlwaysAllow' } }] });
  });

  it('an admin Deny of what Bastion needs is reported on the admin rule', () => {
    const resources = [
      vnet('vnet-hub', ['10.0.0.0/16'], [{ name: 'AzureBastionSubnet', prefix: '10.0.1.0/26' }], [{ vnet: 'vnet-spoke', prefixes: ['10.1.0.0/16'] }]),
      vnet('vnet-spoke', ['10.1.0.0/16'], [{ name: 'snet-vm', prefix: '10.1.1.0/24', nsg: 'nsg-vm' }], [{ vnet: 'vnet-hub', prefixes: ['10.0.0.0/16'] }]),
      bastion('bas-hub', 'vnet-hub'),
      nsg('nsg-vm', []),
      nic('nic-vm', { vnet: 'vnet-spoke', subnet: 'snet-vm', ip: '10.1.1.4' }),
    ];
    const deny: AdminRuleSpec = { name: 'deny-rdp', priority: 20, access: 'Deny', sources: ['*'], ports: ['3389'] };
    const output = evaluateEstate(estateOf(resources, manager([deny])));
    const findings = output.findings.filter((f) => f.ruleId === 'BAS-002');
    expect(findings.map((f) => f.resourceName)).toEqual(['deny-rdp']);
    expect(findings[0]?.message).toMatch(/denied by security admin rule deny-rdp \(priority 20, Deny\).*whatever the NSGs allow/);
  });
});

describe('what cannot be known is not judged', () => {
  it('no deployment status: whether the configuration is committed is unknown, the network is not judged', () => {
    const output = evaluateEstate(estateOf(vm([SSH_OPEN]), manager([DENY_SSH], { committedTo: undefined })));
    expect(sshFindings(output)).toEqual([]);
    expect(output.judged).not.toContain(ids.nsg('nsg-vm').toLowerCase());
    expect(output.unjudged.find((u) => u.resourceId === ids.nsg('nsg-vm'))?.reasons).toContainEqual(expect.stringMatching(/committed to westeurope is not known/));
    const answer = createFlowVerifier(estateOf(vm([SSH_OPEN]), manager([DENY_SSH], { committedTo: undefined }))).verify(sshFromInternet);
    expect(answer).toMatchObject({ ok: false, error: expect.stringMatching(/security admin rules .* are not known/) });
  });

  it('a bad admin rule is an error naming the rule and the field; the network it applies to is not judged', () => {
    const bad: AdminRuleSpec = { name: 'bad-priority', priority: 0, access: 'Deny', ports: ['22'] };
    const output = evaluateEstate(estateOf(vm([SSH_OPEN]), manager([bad])));
    expect(output.errors).toContainEqual(expect.objectContaining({ resourceId: adminIds.rule('secadmin', 'guardrails', 'bad-priority'), field: 'priority', message: expect.stringMatching(/admin rule bad-priority/) }));
    expect(sshFindings(output)).toEqual([]);
    expect(output.judged).not.toContain(ids.nsg('nsg-vm').toLowerCase());
  });

  it('the per-network effective admin rules list decides the network, over the exported configuration', () => {
    const effective = {
      virtualNetworkId: ids.vnet('vnet-app'),
      value: [
        {
          id: adminIds.rule('secadmin', 'guardrails', 'deny-ssh-internet'),
          configurationDescription: '',
          ruleCollectionDescription: '',
          ruleCollectionAppliesToGroups: [{ networkGroupId: adminIds.group('all-vnets') }],
          kind: 'Custom',
          properties: { protocol: 'Tcp', sources: [{ addressPrefixType: 'ServiceTag', addressPrefix: 'Internet' }], destinations: [{ addressPrefixType: 'IPPrefix', addressPrefix: '*' }], sourcePortRanges: ['0-65535'], destinationPortRanges: ['22'], access: 'Deny', priority: 10, direction: 'Inbound' },
        },
      ],
    };
    // The exported manager names a region the network is not in; the effective list says what applies.
    const estate = loadEstate([{ source: 'estate.json', json: { value: vm([SSH_OPEN]) } }, ...managerDocuments(manager([], { committedTo: ['eastus'] })), { source: 'effective.json', json: effective }]);
    expect(estate.errors).toEqual([]);
    expect(sshFindings(evaluateEstate(estate))).toEqual([]);
    expect(createFlowVerifier(estate).verify(sshFromInternet)).toMatchObject({ ok: true, access: 'Deny', decidedBy: [{ rule: 'deny-ssh-internet', layer: 'admin' }] });
  });
});
