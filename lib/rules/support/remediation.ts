/** Building blocks of the rules' remediations: `az` commands and Bicep snippets with placeholders. */

export interface BicepRuleFields {
  name: string;
  priority: number | string;
  direction: 'Inbound' | 'Outbound';
  access: 'Allow' | 'Deny';
  protocol: string;
  source: string;
  destination: string;
  ports: string;
  comment?: string;
}

/** One security rule as a Bicep child resource of the NSG named by `<nsg-name>`. */
export function bicepRule(rule: BicepRuleFields): string {
  const ports = rule.ports.split(',').map((p) => p.trim());
  const portLine = ports.length > 1 ? `destinationPortRanges: [ ${ports.map((p) => `'${p}'`).join(', ')} ]` : `destinationPortRange: '${ports[0] ?? '*'}'`;
  return [
    ...(rule.comment ? [`// ${rule.comment}`] : []),
    `resource ${rule.name.replace(/[^A-Za-z0-9]/g, '')} 'Microsoft.Network/networkSecurityGroups/securityRules@2023-09-01' = {`,
    `  name: '<nsg-name>/${rule.name}'`,
    '  properties: {',
    `    priority: ${rule.priority}`,
    `    direction: '${rule.direction}'`,
    `    access: '${rule.access}'`,
    `    protocol: '${rule.protocol}'`,
    `    sourceAddressPrefix: '${rule.source}'`,
    "    sourcePortRange: '*'",
    `    destinationAddressPrefix: '${rule.destination}'`,
    `    ${portLine}`,
    '  }',
    '}',
  ].join('\n');
}

export const DELETE_RULE = 'az network nsg rule delete --resource-group <resource-group> --nsg-name <nsg-name> --name <rule-name>';

/** Narrow an inbound Allow rule to the sources that need it. */
export const RESTRICT_SOURCE =
  'az network nsg rule update --resource-group <resource-group> --nsg-name <nsg-name> --name <rule-name> --source-address-prefixes <trusted-cidr>';

/** The rule, kept but narrowed: same ports, a trusted source instead of the Internet. */
export function restrictedInbound(protocol: string, ports: string, comment: string): string {
  return bicepRule({
    name: '<rule-name>',
    priority: '<priority>',
    direction: 'Inbound',
    access: 'Allow',
    protocol,
    source: '<trusted-cidr>',
    destination: '*',
    ports,
    comment,
  });
}

export const DOCS = {
  nsgOverview: 'https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview',
  nsgHowItWorks: 'https://learn.microsoft.com/azure/virtual-network/network-security-group-how-it-works',
  serviceTags: 'https://learn.microsoft.com/azure/virtual-network/service-tags-overview',
  bastionNsg: 'https://learn.microsoft.com/azure/bastion/bastion-nsg',
  natGateway: 'https://learn.microsoft.com/azure/nat-gateway/nat-overview',
  smtp: 'https://learn.microsoft.com/azure/virtual-network/troubleshoot-outbound-smtp-connectivity',
  cisAzure: 'https://www.cisecurity.org/benchmark/azure',
  azNsgRule: 'https://learn.microsoft.com/cli/azure/network/nsg/rule',
} as const;
