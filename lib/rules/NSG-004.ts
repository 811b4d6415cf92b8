import { policyRule } from './support/policy-rule.js';
import { DOCS, RESTRICT_SOURCE, restrictedInbound } from './support/remediation.js';

export const rule = policyRule(
  {
    id: 'NSG-004',
    title: 'HTTP/HTTPS reachable from the Internet (to review)',
    severity: 'low',
    category: 'exposure',
    description:
      'Fires when, at some attachment point, HTTP or HTTPS (80, 443 over TCP) is allowed from a broad part of the Internet. Often intended (a public web server), so it is a finding to review. Attachment points in an AzureBastionSubnet are out of scope: Bastion needs 443 from the Internet by design.',
    rationale:
      'A web endpoint open to the Internet should be deliberate and protected (Application Gateway with WAF, Front Door). Reviewing each one catches test servers and management consoles published by mistake.',
    remediation: {
      az: RESTRICT_SOURCE,
      bicep: restrictedInbound('Tcp', '443', 'Publish through Application Gateway/Front Door, or allow only the sources that need it'),
    },
    references: ['CIS Azure 7.4', DOCS.nsgOverview, DOCS.cisAzure],
  },
  {
    id: 'NSG-004',
    severity: 'low',
    title: 'HTTP/HTTPS reachable from the Internet (to review)',
    message: 'HTTP/HTTPS is reachable from the Internet (to review)',
    scope: { exclude: { subnets: ['AzureBastionSubnet'] } },
    deny: [{ label: 'HTTP/HTTPS from the Internet', direction: 'inbound', protocol: 'tcp', ports: [80, 443], from: 'Internet', when: 'broad' }],
  },
);
