import { natGatewaysOfSubnet } from '../estate/relations.js';
import { fillRemediation, findingOn } from '../verdicts/describe.js';
import type { Finding } from '../verdicts/finding.js';
import { DOCS } from './support/remediation.js';
import type { Rule, RuleMeta } from './support/types.js';
import { nameOfId } from '../arm/index.js';

const meta: RuleMeta = {
  id: 'NAT-001',
  title: 'NAT gateway subnet without an NSG',
  severity: 'high',
  category: 'nat',
  description:
    'Fires for a subnet in the estate that is attached to a NAT gateway (as either side records it) and has no network security group.',
  rationale:
    'A NAT gateway gives every resource of the subnet outbound Internet access; without an NSG nothing restricts where that traffic may go, which leaves data exfiltration and command-and-control traffic unchecked.',
  remediation: {
    az: 'az network nsg create --resource-group <resource-group> --name <subnet-name>-nsg && az network vnet subnet update --resource-group <resource-group> --vnet-name <vnet-name> --name <subnet-name> --network-security-group <subnet-name>-nsg',
    bicep: [
      "resource natSubnetNsg 'Microsoft.Network/networkSecurityGroups@2023-09-01' = {",
      "  name: '<subnet-name>-nsg'",
      '  location: location',
      '  properties: { securityRules: [ /* restrictive outbound rules: see NAT-002 */ ] }',
      '}',
      "resource subnet 'Microsoft.Network/virtualNetworks/subnets@2023-09-01' = {",
      "  name: '<vnet-name>/<subnet-name>'",
      '  properties: {',
      "    addressPrefix: '<subnet-prefix>'",
      "    natGateway: { id: resourceId('Microsoft.Network/natGateways', '<nat-gateway-name>') }",
      '    networkSecurityGroup: { id: natSubnetNsg.id }',
      '  }',
      '}',
    ].join('\n'),
  },
  references: [DOCS.natGateway, DOCS.nsgOverview],
};

export const rule: Rule = {
  meta,
  evaluate(view) {
    const findings: Finding[] = [];
    for (const subnet of view.estate.subnets.values()) {
      if (!view.wants(subnet.key) || subnet.networkSecurityGroup) continue;
      const gateways = natGatewaysOfSubnet(view.relations, subnet.id);
      if (gateways.length === 0) continue;
      const names = gateways.map((g) => nameOfId(g.id));
      findings.push(
        findingOn(meta, subnet, {
          message: `Subnet ${subnet.name} sends its outbound traffic through NAT gateway ${names.join(', ')} but has no NSG: nothing restricts where it may go`,
          evidence: {
            attachments: (view.relations.nicsBySubnet.get(subnet.key) ?? []).map((n) => n.id),
            natGateways: gateways.map((g) => g.id),
          },
          remediation: fillRemediation(meta.remediation, { subnetId: subnet.id }),
        }),
      );
    }
    return findings;
  },
};
