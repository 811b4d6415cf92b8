import { policyRule } from './support/policy-rule.js';
import { DOCS, bicepRule } from './support/remediation.js';

export const rule = policyRule(
  {
    id: 'NSG-014',
    title: 'Outbound SMTP (TCP 25) to the Internet allowed by a custom rule',
    severity: 'low',
    category: 'exposure',
    description:
      'Fires when a custom Allow rule decides outbound TCP 25 flows to a broad part of the Internet at some attachment point (the default AllowInternetOutBound rule alone does not fire it). Reported on the NSG that holds the custom rule.',
    rationale:
      'Azure blocks outbound 25 from most subscription types, and direct SMTP from VMs is a spam and exfiltration path. Send mail through an authenticated relay on 587 (TLS) instead.',
    remediation: {
      az: 'az network nsg rule update --resource-group <resource-group> --nsg-name <nsg-name> --name <rule-name> --destination-address-prefixes <relay-address> --destination-port-ranges 587',
      bicep: bicepRule({
        name: '<rule-name>',
        priority: '<priority>',
        direction: 'Outbound',
        access: 'Allow',
        protocol: 'Tcp',
        source: '*',
        destination: '<relay-address>',
        ports: '587',
        comment: 'Send mail through an authenticated relay on 587 instead of direct SMTP',
      }),
    },
    references: [DOCS.nsgOverview, DOCS.smtp],
  },
  {
    id: 'NSG-014',
    severity: 'low',
    title: 'Outbound SMTP (TCP 25) to the Internet allowed by a custom rule',
    message: 'Outbound SMTP to the Internet is allowed',
    deny: [{ label: 'SMTP to the Internet', direction: 'outbound', protocol: 'tcp', ports: 25, to: 'Internet', when: 'broad', decidedBy: 'custom' }],
  },
);
