/**
 * The NAT-gateway audit and remediation procedure (seed 003): its real `az` outputs, before and
 * after remediation, through the whole catalogue.
 */
import { describe, expect, it } from 'vitest';
import { loadEstate, type EstateDocument } from '../../lib/estate/load.js';
import { evaluateEstate } from '../../lib/rules/index.js';
import { seedJsonOutputs } from '../estate/corpus.js';
import { checkFinding } from '../rules/support.js';

const outputs = seedJsonOutputs();
function at(line: number, patch: (text: string) => string = (t) => t): EstateDocument {
  const found = outputs.find((o) => o.line === line);
  if (!found) throw new Error(`no JSON output on seed line ${line}`);
  return { source: `seed line ${line}`, json: JSON.parse(patch(JSON.stringify(found.json))) as unknown };
}
const NSG_SHOW = 47;
const DENY_ALL_CREATED = 109;
const ALLOW_HTTPS_CREATED = 113;
const SUBNET_UPDATED = 121;

describe('the NAT-gateway seed', () => {
  it('audit: AllowAnyCustomAnyOutbound (any port to *) on the NAT subnet\'s NSG fails NAT-002', () => {
    const estate = loadEstate([at(NSG_SHOW), at(SUBNET_UPDATED)]);
    const out = evaluateEstate(estate);
    expect(out.errors).toEqual([]);
    const nat = out.findings.filter((f) => f.ruleId === 'NAT-002');
    expect(nat.map((f) => [f.resourceName, f.scope])).toEqual([['cc-project5-nat-nsg', 'AllowAnyCustomAnyOutbound']]);
    expect(nat[0]?.message).toMatch(/NAT gateway subnet cc-project5-vnet-subnet-001 .*AllowAnyCustomAnyOutbound \(priority 100\).*NAT gateway cc-project5-managed-gateway/);
    for (const finding of out.findings) checkFinding(finding, estate);
  });

  it('remediation (Deny all at 100, Allow 443 to 10.20.30.40/32 at 200, as the procedure\'s commands give): NAT-002 passes, NSG-013 calls the Allow shadowed', () => {
    // The recorded output masks the address as xxx.xxx.xxx.xxx/32; the command on the line before it names 10.20.30.40/32.
    const estate = loadEstate([at(DENY_ALL_CREATED), at(ALLOW_HTTPS_CREATED, (t) => t.replace('xxx.xxx.xxx.xxx/32', '10.20.30.40/32')), at(SUBNET_UPDATED)]);
    const out = evaluateEstate(estate);
    expect(out.errors).toEqual([]);
    expect(out.findings.filter((f) => f.ruleId === 'NAT-002')).toEqual([]);
    const shadowed = out.findings.filter((f) => f.ruleId === 'NSG-013');
    expect(shadowed.map((f) => [f.resourceName, f.scope])).toEqual([['cc-project5-nat-nsg', 'AllowHttpsOutboundAccess']]);
    expect(shadowed[0]?.message).toMatch(/AllowHttpsOutboundAccess \(priority 200, outbound, Allow\) of NSG cc-project5-nat-nsg is shadowed: rule DenyAllOutboundAccess \(priority 100\)/);
  });

  it('the masked address as recorded is bad input: an error naming the NSG, the rule and the field, never a guess', () => {
    const estate = loadEstate([at(DENY_ALL_CREATED), at(ALLOW_HTTPS_CREATED), at(SUBNET_UPDATED)]);
    const out = evaluateEstate(estate);
    expect(out.errors).toEqual([
      expect.objectContaining({
        resourceId: expect.stringMatching(/networkSecurityGroups\/cc-project5-nat-nsg$/),
        rule: 'AllowHttpsOutboundAccess',
        field: expect.stringMatching(/^destinationAddressPrefix/),
      }),
    ]);
    expect(out.judged.some((id) => id.endsWith('/cc-project5-nat-nsg'))).toBe(false);
    expect(out.findings.filter((f) => f.resourceName === 'cc-project5-nat-nsg')).toEqual([]);
  });
});
