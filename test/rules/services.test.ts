/**
 * Service-owned subnets across the catalogue: no finding that would break a service (hygiene rules
 * leave what a service writes or its documents prescribe), exposures a service opened stay findings
 * with the service named, and an Application Gateway's public frontend is the path its subnet is
 * exposed through.
 */
import { describe, expect, it } from 'vitest';
import { evaluateEstate } from '../../lib/rules/index.js';
import { GROUP, SUBSCRIPTION, applicationGateway, bastion, nsg, publicIp, vnet, type Json, type RuleSpec } from './fixtures/build.js';
import { BASTION_RULES } from './fixtures/BAS-001.js';
import { APPGW_V2_RULES } from './fixtures/SVC-001.js';
import { checkFinding, estateOf } from './support.js';

const verdicts = (resources: Json[]) => {
  const estate = estateOf(resources);
  const out = evaluateEstate(estate);
  expect(out.errors).toEqual([]);
  for (const finding of out.findings) checkFinding(finding, estate);
  return out.findings;
};

/** An AKS node pool: three instance NICs of a scale set carrying the node-pool NSG, in a subnet with an NSG of its own. */
function aksEstate(group: string, nodePoolRules: RuleSpec[] = [], subnetRules: RuleSpec[] = [{ name: 'DenyRdpFromInternet', priority: 200, access: 'Deny', source: 'Internet', ports: '3389' }]): Json[] {
  const rg = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${group}/providers`;
  const aksNsg = `${rg}/Microsoft.Network/networkSecurityGroups/aks-agentpool-12345678-nsg`;
  const vmss = `${rg}/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-12345678-vmss`;
  const subnet = `${GROUP}/virtualNetworks/vnet-aks/subnets/snet-nodes`;
  const nic = (i: number): Json => {
    const id = `${vmss}/virtualMachines/${i}/networkInterfaces/aks-nodepool1-12345678-vmss`;
    return {
      id,
      name: 'aks-nodepool1-12345678-vmss',
      type: 'Microsoft.Network/networkInterfaces',
      properties: {
        networkSecurityGroup: { id: aksNsg },
        ipConfigurations: [{ id: `${id}/ipConfigurations/ipconfig1`, name: 'ipconfig1', properties: { privateIPAddress: `10.224.0.${4 + i}`, subnet: { id: subnet } } }],
      },
    };
  };
  const ownNsg = nsg('aks-agentpool-12345678-nsg', nodePoolRules);
  return [
    vnet('vnet-aks', ['10.224.0.0/12'], [{ name: 'snet-nodes', prefix: '10.224.0.0/16', nsg: 'nsg-nodes' }]),
    nsg('nsg-nodes', subnetRules),
    { ...ownNsg, id: aksNsg, properties: { ...(ownNsg['properties'] as Json), securityRules: ((ownNsg['properties'] as Json)['securityRules'] as Json[]).map((r) => ({ ...r, id: `${aksNsg}/securityRules/${String(r['name'])}` })) } },
    nic(0),
    nic(1),
    nic(2),
  ];
}

describe('AKS', () => {
  it('an AKS estate (node-pool NSG on scale-set NICs, a custom subnet NSG) raises no hygiene finding per node', () => {
    const findings = verdicts(aksEstate('MC_rg-aks_aks1_westeurope'));
    expect(findings.filter((f) => ['NSG-011', 'NSG-012', 'NSG-013'].includes(f.ruleId)).map((f) => [f.ruleId, f.resourceName])).toEqual([]);
  });

  it('the same NICs and NSGs outside a node resource group are judged as a person\'s: NSG-011 once per NIC', () => {
    const findings = verdicts(aksEstate('rg-vms'));
    expect(findings.filter((f) => f.ruleId === 'NSG-011')).toHaveLength(3);
  });

  it('a LoadBalancer service rule open to the Internet stays a finding, with AKS named as its author', () => {
    // The subnet NSG lets 80 in too (a subnet NSG that does not would stop it first: no exposure).
    const findings = verdicts(aksEstate('MC_rg-aks_aks1_westeurope', [{ name: 'a1b2c3d4e5f6-TCP-80-Internet', priority: 500, source: 'Internet', ports: '80' }], [{ name: 'AllowHttp', priority: 200, source: 'Internet', ports: '80' }]));
    const http = findings.filter((f) => f.ruleId === 'NSG-004');
    expect(http.map((f) => [f.resourceName, f.scope, f.evidence['author'] !== undefined])).toEqual([
      ['aks-agentpool-12345678-nsg', 'a1b2c3d4e5f6-TCP-80-Internet', true],
      ['nsg-nodes', 'AllowHttp', false],
    ]);
    expect(http[0]?.message).toMatch(/\(rule written by Azure Kubernetes Service: AKS writes the rules of Kubernetes LoadBalancer services there: change the Service, not the rule\)$/);
    expect(http[0]?.evidence['author']).toMatchObject({ service: 'Azure Kubernetes Service' });
  });
});

describe('Application Gateway', () => {
  const gateway = (rules: RuleSpec[]): Json[] => [
    vnet('vnet-app', ['10.0.0.0/16'], [{ name: 'snet-agw', prefix: '10.0.9.0/24', nsg: 'nsg-agw' }]),
    nsg('nsg-agw', rules),
    publicIp('pip-agw', '20.50.1.2'),
    applicationGateway('agw', { vnet: 'vnet-app', subnet: 'snet-agw', sku: 'WAF_v2', publicIp: 'pip-agw', ports: [443] }),
  ];

  it('HTTPS open to the Internet on the gateway subnet is exposed through the gateway\'s listener, named as such', () => {
    const findings = verdicts(gateway(APPGW_V2_RULES.map((r) => (r.name === 'AllowClients' ? { ...r, source: 'Internet' } : r))));
    const http = findings.filter((f) => f.ruleId === 'NSG-004');
    expect(http.map((f) => [f.resourceName, f.severity, (f.evidence['publicPath'] as { state: string }).state])).toEqual([['nsg-agw', 'low', 'exposed']]);
    expect(http[0]?.message).toMatch(/through application gateway agw 20\.50\.1\.2 TCP 443 \(listener listener-443\)$/);
    expect(findings.filter((f) => f.ruleId.startsWith('SVC'))).toEqual([]);
  });

  it('a port no listener takes is latent on the gateway subnet', () => {
    const findings = verdicts(gateway([...APPGW_V2_RULES.map((r) => (r.name === 'AllowClients' ? { ...r, source: 'Internet' } : r)), { name: 'AllowSsh', priority: 130, source: 'Internet', ports: '22' }]));
    const ssh = findings.filter((f) => f.ruleId === 'NSG-002');
    expect(ssh.map((f) => [f.severity, (f.evidence['publicPath'] as { state: string }).state])).toEqual([['low', 'latent']]);
  });

  it('the documented rule set with a redundant GatewayManager rule behind an Internet-wide one: no NSG-013', () => {
    const findings = verdicts(
      gateway([
        { name: 'AllowAllInternet', priority: 100, protocol: '*', source: 'Internet', ports: '*' },
        ...APPGW_V2_RULES.filter((r) => r.name !== 'AllowClients'),
      ]),
    );
    expect(findings.filter((f) => f.ruleId === 'NSG-013')).toEqual([]);
  });

  it('a blocked flow\'s remediation is the exact rule to add, at the highest free priority before the blocking rule', () => {
    const findings = verdicts(gateway(APPGW_V2_RULES.filter((r) => r.name !== 'AllowGatewayManager')));
    const blocked = findings.find((f) => f.ruleId === 'SVC-001');
    expect(blocked?.remediation.az).toBe(
      'az network nsg rule create --resource-group rg-fixtures --nsg-name nsg-agw --name Allow-GatewayManager-In --priority 4095 --direction Inbound --access Allow --protocol Tcp --source-address-prefixes GatewayManager --source-port-ranges "*" --destination-address-prefixes "*" --destination-port-ranges 65200-65535',
    );
    expect(blocked?.evidence['service']).toMatchObject({ name: 'Azure Application Gateway', document: 'https://learn.microsoft.com/azure/application-gateway/configuration-infrastructure#network-security-groups' });
  });
});

describe('intent-policy rules', () => {
  it('a SQL Managed Instance intent-policy rule that is shadowed is not NSG-013', () => {
    const findings = verdicts([
      vnet('vnet-mi', ['10.2.0.0/16'], [{ name: 'snet-mi', prefix: '10.2.0.0/24', nsg: 'nsg-mi', delegations: ['Microsoft.Sql/managedInstances'] }]),
      nsg('nsg-mi', [
        { name: 'AllowVnet', priority: 100, protocol: '*', source: 'VirtualNetwork', destination: 'VirtualNetwork', ports: '*' },
        { name: 'Microsoft.Sql-managedInstances_UseOnly_mi-internal-in', priority: 101, protocol: '*', source: '10.2.0.0/24', destination: '10.2.0.0/24', ports: '*' },
        { name: 'MyShadowedRule', priority: 102, protocol: '*', source: '10.2.0.0/24', destination: '10.2.0.0/24', ports: '*' },
      ]),
    ]);
    expect(findings.filter((f) => f.ruleId === 'NSG-013').map((f) => f.scope)).toEqual(['MyShadowedRule']);
  });
});

describe('Bastion', () => {
  it('BAS-001 names, in its evidence, the documented rules the Internet-wide 443 rule covers (NSG-013 leaves them)', () => {
    const findings = verdicts([
      vnet('vnet-hub', ['10.0.0.0/16'], [{ name: 'AzureBastionSubnet', prefix: '10.0.1.0/26', nsg: 'nsg-bastion' }]),
      nsg('nsg-bastion', BASTION_RULES.filter((r) => r.name !== 'AllowAzureCloudOutbound')),
      bastion('bas-hub', 'vnet-hub'),
    ]);
    expect(findings.map((f) => [f.ruleId, f.scope])).toEqual([['BAS-001', 'outbound TCP 443 to AzureCloud|DenyAllOutbound']]);
    expect(findings[0]?.evidence['documentedRulesCovered']).toEqual([
      "rule AllowGatewayManagerInbound (priority 130) of Azure Bastion's documented rule set decides no flow: rule AllowHttpsInbound (priority 120) covers it; it takes effect once that rule is narrowed",
      "rule AllowAzureLoadBalancerInbound (priority 140) of Azure Bastion's documented rule set decides no flow: rule AllowHttpsInbound (priority 120) covers it; it takes effect once that rule is narrowed",
    ]);
  });
});
