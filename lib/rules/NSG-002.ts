import { loginHostPoints } from './support/hosts.js';
import { policyRule } from './support/policy-rule.js';
import { DELETE_RULE, DOCS, restrictedInbound } from './support/remediation.js';

export const rule = policyRule(
  {
    id: 'NSG-002',
    title: 'SSH reachable from the Internet',
    severity: 'high',
    category: 'exposure',
    description:
      'Fires when, at some attachment point, SSH (22/TCP) is allowed from a broad part of the Internet (more than 2^24 IPv4 or 2^96 IPv6 addresses, or a public service tag). A higher-priority Deny that covers the same flows prevents it; port lists, ranges, `*`, `0.0.0.0/1` + `128.0.0.0/1` and IPv6 all count. Reported on the NSG whose Allow rule lets the traffic in.',
    rationale:
      'SSH open to the Internet invites brute force and exploitation of SSH servers. Reach VMs through Azure Bastion or a VPN, or allow SSH only from a few known public ranges.',
    remediation: {
      az: DELETE_RULE,
      bicep: restrictedInbound('Tcp', '22', 'Prefer Azure Bastion; if SSH must stay, allow it only from known public ranges'),
    },
    references: ['CIS Azure 7.2', DOCS.nsgOverview, DOCS.bastionNsg, DOCS.cisAzure],
  },
  {
    id: 'NSG-002',
    severity: 'high',
    title: 'SSH reachable from the Internet',
    message: 'SSH is reachable from the Internet',
    deny: [{ label: 'SSH from the Internet', direction: 'inbound', protocol: 'tcp', ports: 22, from: 'Internet', when: 'broad' }],
  },
  loginHostPoints,
);
