/**
 * The demo estate (samples/estate, described in samples/README.md): the findings it is meant to
 * produce, which the local demo shows, and none it is not.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadEstate } from '../../lib/estate/load.js';
import { evaluateEstate } from '../../lib/rules/index.js';
import { checkFinding } from '../rules/support.js';

const DIR = resolve(process.cwd(), 'samples/estate');
const estate = loadEstate(
  readdirSync(DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ source: `samples/estate/${f}`, json: JSON.parse(readFileSync(resolve(DIR, f), 'utf8')) as unknown })),
);
const out = evaluateEstate(estate);
const found = out.findings.map((f) => `${f.ruleId} ${f.resourceName} ${f.scope}`.trim());

describe('the sample estate', () => {
  it('is valid input and every finding agrees with the engine', () => {
    expect([...estate.errors, ...out.errors]).toEqual([]);
    for (const finding of out.findings) checkFinding(finding, estate);
  });

  it.each([
    ['snet-shared: RDP open to any source on the jump box', 'NSG-001 nsg-shared AllowRdpFromInternet'],
    ['snet-web: HTTP/HTTPS from the Internet to asg-web (to review)', 'NSG-004 nsg-web AllowHttpsFromInternet'],
    ['snet-web: the SSH Allow after the SSH Deny is shadowed', 'NSG-013 nsg-web AllowSshFromInternet'],
    ['nic-vm-app-1: a NIC NSG under a subnet NSG', 'NSG-011 nic-vm-app-1'],
    ['snet-db: SQL from 0.0.0.0/1 + 128.0.0.0/1, the whole Internet', 'NSG-005 nsg-db AllowSqlFromPartners'],
    ['snet-db: SSH/RDP from the Bastion subnet denied', 'BAS-002 nsg-db DenySshRdpFromBastion'],
    ['snet-egress: the NAT remediation\'s Allow at 200 is shadowed by the Deny at 100', 'NSG-013 nsg-egress AllowHttpsOutboundAccess'],
    ['snet-batch: a NAT-gateway subnet with no NSG', 'NAT-001 snet-batch'],
    ['snet-batch: a subnet with no NSG', 'NSG-010 snet-batch'],
    ['nsg-orphan: associated with nothing', 'NSG-012 nsg-orphan'],
  ])('shows %s', (_what, finding) => {
    expect(found).toContain(finding);
  });

  it.each([
    ['the Bastion NSG carries every required flow', /^BAS-001 /],
    ['443 from the Internet on AzureBastionSubnet is by design', /^NSG-004 nsg-bastion/],
    ['the documented Bastion rules behind the Internet-wide 443 rule are the documented rule set, not redundant', /^NSG-013 nsg-bastion/],
    ['GatewaySubnet needs no NSG', /^NSG-010 GatewaySubnet/],
    ['the shadowed SSH Allow is not an exposure', /^NSG-002 /],
    ['the NAT remediation passes NAT-002', /^NAT-002 /],
  ])('does not report: %s', (_what, pattern) => {
    expect(found.filter((f) => pattern.test(f))).toEqual([]);
  });

  it('produces exactly these findings', () => {
    expect(found).toEqual([
      'NAT-001 snet-batch',
      'NSG-001 nsg-shared AllowRdpFromInternet',
      'NSG-005 nsg-db AllowSqlFromPartners',
      'BAS-002 nsg-db DenySshRdpFromBastion',
      // AllowAnyCustom8080 has protocol *: UDP 8080 from anywhere, judged on the unattached NSG alone.
      'NSG-003 nsg-orphan AllowAnyCustom8080',
      'NSG-010 snet-batch',
      // Bastion serves the hub and both spokes; AllowVnetInBound opens SSH/RDP to all of them, not just to Bastion.
      'BAS-003 nsg-app AllowVnetInBound',
      'BAS-003 nsg-db AllowVnetInBound',
      'BAS-003 nsg-shared AllowRdpFromInternet',
      'BAS-003 nsg-shared AllowVnetInBound',
      'BAS-003 nsg-vm-app AllowVnetInBound',
      'BAS-003 nsg-web AllowVnetInBound',
      'NSG-004 nsg-web AllowHttpsFromInternet',
      'NSG-011 nic-vm-app-1',
      // AllowHttpsInbound (120) takes all of the Internet's 443: the GatewayManager and load balancer rules behind it decide nothing.
      'NSG-013 nsg-egress AllowHttpsOutboundAccess',
      'NSG-013 nsg-web AllowSshFromInternet',
      'NSG-012 nsg-orphan',
    ]);
  });
});
