import { policyRule } from './support/policy-rule.js';
import { DOCS, RESTRICT_SOURCE, restrictedInbound } from './support/remediation.js';

export const rule = policyRule(
  {
    id: 'NSG-007',
    title: 'Every TCP or every UDP port reachable from the Internet',
    severity: 'critical',
    category: 'exposure',
    description:
      'Fires when, at some attachment point, every TCP port (1-65535), or every UDP port, is allowed from a broad part of the Internet — by one rule (`*`) or by several together. Reported on each NSG whose Allow rules let the traffic in.',
    rationale:
      'Allowing all ports from the Internet publishes every service the resource runs, including the ones nobody meant to expose. It usually comes from a debugging rule left in place.',
    remediation: {
      az: RESTRICT_SOURCE,
      bicep: restrictedInbound('Tcp', '<needed-ports>', 'Allow only the ports the service needs, from the sources that need them'),
    },
    references: [DOCS.nsgOverview],
  },
  {
    id: 'NSG-007',
    severity: 'critical',
    title: 'Every TCP or every UDP port reachable from the Internet',
    message: 'Every port is reachable from the Internet',
    deny: [{ label: 'every port from the Internet', direction: 'inbound', protocol: ['tcp', 'udp'], ports: '1-65535', from: 'Internet', when: 'every-port' }],
  },
);
