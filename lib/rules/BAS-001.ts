import { policyRule } from './support/policy-rule.js';
import { DOCS, bicepRule } from './support/remediation.js';
import { BASTION_FLOWS } from './services/bastion.js';
import { coveredDocumentedRules } from './support/service-rule.js';
import type { Rule } from './support/types.js';

const REQUIRED = [
  bicepRule({ name: 'AllowHttpsInbound', priority: 120, direction: 'Inbound', access: 'Allow', protocol: 'Tcp', source: 'Internet', destination: '*', ports: '443' }),
  bicepRule({ name: 'AllowGatewayManagerInbound', priority: 130, direction: 'Inbound', access: 'Allow', protocol: 'Tcp', source: 'GatewayManager', destination: '*', ports: '443' }),
  bicepRule({ name: 'AllowAzureLoadBalancerInbound', priority: 140, direction: 'Inbound', access: 'Allow', protocol: 'Tcp', source: 'AzureLoadBalancer', destination: '*', ports: '443' }),
  bicepRule({ name: 'AllowBastionHostCommunication', priority: 150, direction: 'Inbound', access: 'Allow', protocol: '*', source: 'VirtualNetwork', destination: 'VirtualNetwork', ports: '8080, 5701' }),
  bicepRule({ name: 'AllowSshRdpOutbound', priority: 100, direction: 'Outbound', access: 'Allow', protocol: '*', source: '*', destination: 'VirtualNetwork', ports: '22, 3389' }),
  bicepRule({ name: 'AllowAzureCloudOutbound', priority: 110, direction: 'Outbound', access: 'Allow', protocol: 'Tcp', source: '*', destination: 'AzureCloud', ports: '443' }),
  bicepRule({ name: 'AllowBastionCommunication', priority: 120, direction: 'Outbound', access: 'Allow', protocol: '*', source: 'VirtualNetwork', destination: 'VirtualNetwork', ports: '8080, 5701' }),
  bicepRule({ name: 'AllowHttpOutbound', priority: 130, direction: 'Outbound', access: 'Allow', protocol: '*', source: '*', destination: 'Internet', ports: '80' }),
];

const base = policyRule(
  {
    id: 'BAS-001',
    title: 'The AzureBastionSubnet NSG blocks a flow Azure Bastion requires',
    severity: 'high',
    category: 'bastion',
    description:
      'For an NSG on an AzureBastionSubnet, asks each flow the Bastion documentation requires as a flow question on the exact engine: inbound TCP 443 from the Internet (at least from some public addresses: the documentation allows restricting it to addresses you choose), TCP 443 from all of GatewayManager, TCP 8080 and 5701 from VirtualNetwork, TCP 443 from AzureLoadBalancer; outbound TCP 22 and 3389 to VirtualNetwork, TCP 8080 and 5701 to VirtualNetwork, TCP 443 to AzureCloud and TCP 80 to the Internet. Each blocked flow is reported with the rule that blocks it. A Bastion subnet without an NSG is not a finding here (the documentation makes the NSG optional).',
    rationale:
      'The Bastion documentation is explicit: if an NSG is used on AzureBastionSubnet, every one of these rules must exist; omitting one breaks connectivity or blocks the updates Bastion needs, leaving it exposed to future vulnerabilities.',
    remediation: {
      az: 'az network nsg rule create --resource-group <resource-group> --nsg-name <nsg-name> --name AllowGatewayManagerInbound --priority 130 --direction Inbound --access Allow --protocol Tcp --source-address-prefixes GatewayManager --destination-address-prefixes "*" --destination-port-ranges 443',
      bicep: ['// The rule set the Bastion documentation requires on AzureBastionSubnet', ...REQUIRED].join('\n'),
    },
    references: [DOCS.bastionNsg],
  },
  {
    id: 'BAS-001',
    severity: 'high',
    title: 'The AzureBastionSubnet NSG blocks a flow Azure Bastion requires',
    message: 'The NSG blocks a flow Azure Bastion requires',
    scope: { subnets: ['AzureBastionSubnet'] },
    allow: BASTION_FLOWS,
  },
);

/**
 * BAS-001, with the documented rules an Internet-wide 443 rule covers named in the evidence of
 * its findings (NSG-013 does not report them: they are the documented rule set).
 */
export const rule: Rule = {
  meta: base.meta,
  evaluate: (view) =>
    base.evaluate(view).map((finding) => {
      const covered = coveredDocumentedRules(view, finding.resourceId);
      return covered.length === 0 ? finding : { ...finding, evidence: { ...finding.evidence, documentedRulesCovered: covered } };
    }),
};
