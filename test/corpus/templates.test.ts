/**
 * The ARM quickstart templates' NSGs (../shared/corpus/templates/arm-quickstarts), read in place
 * through the estate's template loader, scanned by the whole catalogue. Each verdict below is one
 * the template itself justifies.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTemplateFile } from '../../lib/local/files.js';
import { loadEstate } from '../../lib/estate/load.js';
import type { Estate } from '../../lib/estate/model.js';
import { templateDocument } from '../../lib/estate/template.js';
import { evaluateEstate, type EvaluateOutput } from '../../lib/rules/index.js';
import { QUICKSTARTS } from '../estate/corpus.js';
import { checkFinding } from '../rules/support.js';

async function scan(name: string): Promise<{ estate: Estate; out: EvaluateOutput }> {
  const loaded = await loadTemplateFile(join(QUICKSTARTS, name));
  if (!loaded.ok) throw new Error(loaded.problem.message);
  const estate = loadEstate([templateDocument(loaded.value)]);
  const out = evaluateEstate(estate);
  expect(out.errors).toEqual([]);
  for (const finding of out.findings) checkFinding(finding, estate);
  return { estate, out };
}

const verdicts = (out: EvaluateOutput, ruleId?: string) =>
  out.findings.filter((f) => ruleId === undefined || f.ruleId === ruleId).map((f) => [f.ruleId, f.resourceName, f.scope]);

describe('ARM quickstart templates', () => {
  it('101-azure-bastion-nsg, the quickstart the Bastion documentation links to, raises no finding at all', async () => {
    const { out } = await scan('101-azure-bastion-nsg');
    // AllowHttpsInBound (100) takes all of the Internet's 443, GatewayManager and AzureLoadBalancer
    // included, so the documented GatewayManager and AzureLoadBalancer rules decide no flow; they are
    // the documented rule set (they matter once 443 is narrowed), not a redundancy to remove.
    expect(verdicts(out)).toEqual([]);
  });

  it('101-azure-bastion has no NSG on its Bastion subnet: no BAS-001 to check and no NSG-010 (optional there)', async () => {
    const { estate, out } = await scan('101-azure-bastion');
    expect([...estate.subnets.values()].map((s) => [s.name, s.networkSecurityGroup])).toEqual([['AzureBastionSubnet', undefined]]);
    expect(verdicts(out)).toEqual([]);
  });

  it('101-nat-gateway-vnet fails NAT-001: mySubnet sits behind myNATgateway with no NSG', async () => {
    const { out } = await scan('101-nat-gateway-vnet');
    expect(verdicts(out, 'NAT-001')).toEqual([['NAT-001', 'mySubnet', '']]);
    expect(out.findings.find((f) => f.ruleId === 'NAT-001')?.message).toMatch(/NAT gateway myNATgateway/);
  });

  it('101-vm-simple-linux fails NSG-002: rule SSH allows 22/TCP from *', async () => {
    const { out } = await scan('101-vm-simple-linux');
    expect(verdicts(out, 'NSG-002')).toEqual([['NSG-002', 'SecGroupNet', 'SSH']]);
  });

  it.each([
    ['101-vm-simple-windows', 'default-NSG', 'default-allow-3389'],
    ['101-vm-with-rdp-port', 'Subnet-nsg', 'default-allow-3389'],
  ])('%s fails NSG-001: %s allows 3389/TCP from * (%s)', async (name, nsgName, rule) => {
    const { out } = await scan(name);
    expect(verdicts(out, 'NSG-001')).toEqual([['NSG-001', nsgName, rule]]);
  });

  it('101-expressroute-private-peering-vnet fails NSG-001 and NSG-002: SSH-rule and RDP-rule take * as their source', async () => {
    const { out } = await scan('101-expressroute-private-peering-vnet');
    expect(verdicts(out).filter(([id]) => id === 'NSG-001' || id === 'NSG-002')).toEqual([
      ['NSG-001', 'nsg', 'RDP-rule'],
      ['NSG-002', 'nsg', 'SSH-rule'],
    ]);
  });

  it('201-nsg-dmz-in-vnet: the front end exposes RDP and HTTP, the app tier blocks RDP from the Internet first', async () => {
    const { out } = await scan('201-nsg-dmz-in-vnet');
    expect(verdicts(out, 'NSG-001')).toEqual([['NSG-001', 'fensg', 'rdp_rule']]);
    expect(verdicts(out, 'NSG-004')).toEqual([['NSG-004', 'fensg', 'web_rule']]);
  });

  it('101-databricks...-with-nat-gateway fails NAT-002: its NSG has no outbound rule, so AllowInternetOutBound decides', async () => {
    const { out } = await scan('101-databricks-all-in-one-template-for-vnet-injection-with-nat-gateway');
    expect(verdicts(out, 'NAT-002')).toEqual([['NAT-002', 'databricks-nsg', 'AllowInternetOutBound']]);
  });

  it('ipv6-in-vnet: allow-all-out (1002) decides outbound SMTP (NSG-014) and shadows allow-MyIpv6App-out (1004)', async () => {
    const { out } = await scan('ipv6-in-vnet');
    expect(verdicts(out, 'NSG-014')).toEqual([['NSG-014', 'dsNsg', 'allow-all-out']]);
    expect(verdicts(out, 'NSG-013')).toEqual([['NSG-013', 'dsNsg', 'allow-MyIpv6App-out']]);
  });

  it('101-security-group-create: TCP 46-56 from * holds no catalogued service, so nothing fires', async () => {
    const { out } = await scan('101-security-group-create');
    expect(verdicts(out)).toEqual([]);
  });

  it('301-parameterized-linked-templates: the parameter default 0.0.0.0/0 for SSH counts as the whole Internet', async () => {
    const { out } = await scan('301-parameterized-linked-templates');
    expect(verdicts(out, 'NSG-002')).toEqual([['NSG-002', 'GEN-UNIQUE-8', 'allow_ssh_from_ip_or_range_for_jumpboxssh']]);
  });
});

describe('ARM quickstart templates that deploy services into subnets', () => {
  it('ag-docs-qs: the application gateway\'s subnet is known as its own; it has no NSG, so nothing of SVC-001 to ask', async () => {
    const { estate, out } = await scan('ag-docs-qs');
    const [gateway] = [...estate.applicationGateways.values()];
    expect([gateway?.name, gateway?.generation, gateway?.listeners.map((l) => l.port)]).toEqual(['myAppGateway', 'v2', [80]]);
    expect(verdicts(out, 'SVC-001')).toEqual([]);
    expect(verdicts(out, 'NSG-010')).toEqual([
      ['NSG-010', 'myAGSubnet', ''],
      ['NSG-010', 'myBackendSubnet', ''],
    ]);
  });

  it('201-api-management-create-with-internal-vnet: the NSG, network and service are named with uniqueString(), reported and left out: nothing is judged', async () => {
    const { estate, out } = await scan('201-api-management-create-with-internal-vnet');
    expect([estate.networkSecurityGroups.size, estate.apiManagementServices.size]).toEqual([0, 0]);
    expect(verdicts(out)).toEqual([]);
  });

  it('101-hdinsight-secure-vnet: its NSG lets in the HDInsight management tag on 443, which is not the Internet: no finding', async () => {
    const { out } = await scan('101-hdinsight-secure-vnet');
    expect(verdicts(out)).toEqual([]);
  });

  it('101-AAD-DomainServices fails SVC-004: 5986 is allowed only from the retired classic deployment\'s addresses, not from AzureActiveDirectoryDomainServices', async () => {
    const { out } = await scan('101-AAD-DomainServices');
    expect(verdicts(out, 'SVC-004')).toEqual([['SVC-004', 'domain-services-subnet-nsg', 'inbound TCP 5986 from AzureActiveDirectoryDomainServices|DenyAllInBound']]);
    const finding = out.findings.find((f) => f.ruleId === 'SVC-004');
    expect(finding?.evidence['service']).toMatchObject({ name: 'Microsoft Entra Domain Services', recognisedBy: 'Entra Domain Services contoso.com' });
  });

  it('101-databricks...-with-nat-gateway: both subnets are delegated to Databricks and its NSG keeps the default rules, so SVC-006 passes', async () => {
    const { estate, out } = await scan('101-databricks-all-in-one-template-for-vnet-injection-with-nat-gateway');
    expect([...estate.subnets.values()].map((s) => [s.name, s.delegations])).toEqual([
      ['private-subnet', ['Microsoft.Databricks/workspaces']],
      ['public-subnet', ['Microsoft.Databricks/workspaces']],
    ]);
    expect(verdicts(out, 'SVC-006')).toEqual([]);
  });

  it.each(['101-sqlmi-new-vnet', '201-sqlmi-new-vnet-w-jumpbox', '101-sql-managed-instance-azure-environment'])(
    '%s: the SQL Managed Instance subnet NSG holds none of the intent policy\'s rules yet (Azure adds them): SVC-003 does not judge it',
    async (name) => {
      const { estate, out } = await scan(name);
      expect([...estate.subnets.values()].some((s) => s.delegations?.includes('Microsoft.Sql/managedInstances'))).toBe(true);
      expect(verdicts(out, 'SVC-003')).toEqual([]);
    },
  );
});

describe('ARM quickstart templates: exposure follows the public path', () => {
  const paths = (out: EvaluateOutput, ruleId: string) =>
    out.findings.filter((f) => f.ruleId === ruleId).map((f) => [f.resourceName, f.severity, (f.evidence['publicPath'] as { state: string } | undefined)?.state]);

  it('101-vm-simple-linux: SSH is exposed through the VM\'s public IP', async () => {
    const { out } = await scan('101-vm-simple-linux');
    expect(paths(out, 'NSG-002')).toEqual([['SecGroupNet', 'high', 'exposed']]);
    expect(out.findings.find((f) => f.ruleId === 'NSG-002')?.message).toMatch(/at NIC simpleLinuxVMNetInt, through public IP simpleLinuxVMPublicIP$/);
  });

  it('101-vm-with-rdp-port: RDP is exposed through the load balancer\'s NAT rule 50001 → 3389', async () => {
    const { out } = await scan('101-vm-with-rdp-port');
    expect(paths(out, 'NSG-001')).toEqual([['Subnet-nsg', 'high', 'exposed']]);
    expect(out.findings.find((f) => f.ruleId === 'NSG-001')?.message).toMatch(/TCP 50001 → 3389 \(NAT rule rdp\)/);
  });

  it('101-load-balancer-standard-create: HTTP is exposed through rule 80 → 80; UDP 80 has no public path (latent, info)', async () => {
    const { out } = await scan('101-load-balancer-standard-create');
    expect(paths(out, 'NSG-004')).toEqual([['GEN-UNIQUE-8-nsg', 'low', 'exposed']]);
    expect(paths(out, 'NSG-003')).toEqual([['GEN-UNIQUE-8-nsg', 'info', 'latent']]);
  });

  it('service-fabric-secure-nsg-cluster-65-node-3-nodetype: each node type\'s scale set is judged with its subnet NSG, through its NAT pool', async () => {
    const { out } = await scan('service-fabric-secure-nsg-cluster-65-node-3-nodetype');
    expect(paths(out, 'NSG-001')).toEqual([
      ['nsgSubnet-0', 'high', 'exposed'],
      ['nsgSubnet-1', 'high', 'exposed'],
      ['nsgSubnet-2', 'high', 'exposed'],
    ]);
    expect(out.findings.find((f) => f.ruleId === 'NSG-001')?.message).toMatch(/at scale set sfvm, through load balancer LB-GEN-UNIQUE-sfvm frontend LoadBalancerIPConfig TCP 3389-4500 → 3389 \(NAT pool LoadBalancerBEAddressNatPool\)/);
    // Mongo ports are allowed from anywhere but no load-balancer rule forwards them: latent, reported lower.
    expect(paths(out, 'NSG-005').map(([, severity, state]) => [severity, state])).toEqual(Array(3).fill(['low', 'latent']));
    // An NSG named by a scale set's profile or subnet is associated.
    expect(verdicts(out, 'NSG-012')).toEqual([]);
  });
});
