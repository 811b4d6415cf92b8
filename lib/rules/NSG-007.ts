import { openBasicPublicIps } from './support/open-public-ip.js';
import { policyRule } from './support/policy-rule.js';
import type { Rule } from './support/types.js';
import { DOCS, RESTRICT_SOURCE, restrictedInbound } from './support/remediation.js';

const policy = policyRule(
  {
    id: 'NSG-007',
    title: 'Every TCP or every UDP port reachable from the Internet',
    severity: 'critical',
    category: 'exposure',
    description:
      'Fires when, at some attachment point, every TCP port (1-65535), or every UDP port, is allowed from a broad part of the Internet — by one rule (`*`) or by several together. Reported on each NSG whose Allow rules let the traffic in. Also fires, with no NSG to blame, for a Basic-SKU public IP on a NIC that has no NSG on it or its subnet (Basic is open by default; a Standard public IP is closed unless an NSG allows), reported on the public IP.',
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

/** The policy, plus Basic public IPs that no NSG guards (every port open, no rule to blame). */
export const rule: Rule = {
  meta: policy.meta,
  evaluate: (view) => [...policy.evaluate(view), ...openBasicPublicIps(view, policy.meta)],
};
