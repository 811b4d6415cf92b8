/**
 * A real, sanitised estate: the Cloud Custodian cassette that recorded 43 NSGs from one
 * subscription (../shared/corpus/peers/cloud-custodian-cassettes), read in place.
 */
import { describe, expect, it } from 'vitest';
import { loadEstate } from '../../lib/estate/load.js';
import { evaluateEstate } from '../../lib/rules/index.js';
import { cassetteDocuments, cassetteFiles } from '../estate/corpus.js';
import { checkFinding } from '../rules/support.js';

const estate = loadEstate(cassetteDocuments('NetworkSecurityGroupTest.test_cidr_and_ingress_no_match.json'));
const out = evaluateEstate(estate);
const on = (nsg: string) => out.findings.filter((f) => f.resourceName === nsg).map((f) => [f.ruleId, f.scope]);

describe('the 43-NSG estate', () => {
  it('loads and evaluates without input errors, every finding consistent with the engine', () => {
    expect(estate.networkSecurityGroups.size).toBe(43);
    expect([...estate.errors, ...out.errors]).toEqual([]);
    for (const finding of out.findings) checkFinding(finding, estate);
  });

  it('appgate: 443 from Internet to its NICs is an HTTPS exposure to review (NSG-004), SSH only from 10.192.0.0/20 is not', () => {
    expect(on('appgate')).toEqual([['NSG-004', 'appgate-tcp443']]);
  });

  it('dusan-dbm-dev-windows-a-nsg: SSH, RDP and SQL from a list of home /32s is a restriction, not an exposure', () => {
    expect(on('dusan-dbm-dev-windows-a-nsg')).toEqual([]);
  });

  it('drew-netbox-nsg: every port from one /32 is not "every port from the Internet", but nothing uses the NSG', () => {
    expect(on('drew-netbox-nsg')).toEqual([['NSG-012', '']]);
  });

  it('nessus: lists no subnets and no NICs (NSG-012); 8834 from the Internet is no catalogued service', () => {
    expect(on('nessus')).toEqual([['NSG-012', '']]);
  });

  it('SQL managed instance NSG 3: rule 109 repeats rule 104 (same source, any protocol, any port), both written by the intent policy: not NSG-013 (the service keeps them)', () => {
    const findings = out.findings.filter((f) => f.resourceName === 'nsg-dbm-agent-integration-sql-managed-instance-3');
    expect(findings.map((f) => [f.ruleId, f.scope])).toEqual([]);
  });

  it('an ASG rule whose members are not recorded is not called shadowed (kube-nodes allows everything from an ASG)', () => {
    expect(on('us3-staging-dog-parent11-k8s-kube-nodes')).toEqual([]);
  });
});

describe('every cassette', () => {
  it.each(cassetteFiles())('%s evaluates without errors', (file) => {
    const recorded = loadEstate(cassetteDocuments(file));
    const result = evaluateEstate(recorded);
    expect(result.errors).toEqual([]);
    for (const finding of result.findings) checkFinding(finding, recorded);
  });
});
