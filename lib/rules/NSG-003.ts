import { policyRule } from './support/policy-rule.js';
import { DOCS, RESTRICT_SOURCE, restrictedInbound } from './support/remediation.js';

export const rule = policyRule(
  {
    id: 'NSG-003',
    title: 'UDP reachable from the Internet',
    severity: 'medium',
    category: 'exposure',
    description:
      'Fires when, at some attachment point, any UDP port is allowed from a broad part of the Internet (more than 2^24 IPv4 or 2^96 IPv6 addresses, or a public service tag). Rules with protocol `*` count. Reported on the NSG whose Allow rule lets the traffic in.',
    rationale:
      'UDP services exposed to the Internet (DNS, NTP, SNMP, memcached, ...) are abused for reflection and amplification attacks and are rarely meant to be public. Allow UDP only from the sources that need it.',
    remediation: {
      az: RESTRICT_SOURCE,
      bicep: restrictedInbound('Udp', '<port>', 'Allow UDP only from the sources that need it'),
    },
    references: ['CIS Azure 7.3', DOCS.nsgOverview, DOCS.cisAzure],
  },
  {
    id: 'NSG-003',
    severity: 'medium',
    title: 'UDP reachable from the Internet',
    message: 'UDP is reachable from the Internet',
    deny: [{ label: 'UDP from the Internet', direction: 'inbound', protocol: 'udp', from: 'Internet', when: 'broad' }],
  },
);
