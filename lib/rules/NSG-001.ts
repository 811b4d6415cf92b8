import { loginHostPoints } from './support/hosts.js';
import { policyRule } from './support/policy-rule.js';
import { DELETE_RULE, DOCS, restrictedInbound } from './support/remediation.js';

export const rule = policyRule(
  {
    id: 'NSG-001',
    title: 'RDP reachable from the Internet',
    severity: 'high',
    category: 'exposure',
    description:
      'Fires when, at some attachment point (a NIC with its subnet NSG, a subnet with no NICs, or an unattached NSG), Remote Desktop (3389 over TCP or UDP) is allowed from a broad part of the Internet: more than 2^24 IPv4 or 2^96 IPv6 addresses, or a public service tag. Reported on the NSG whose Allow rule lets the traffic in.',
    rationale:
      'RDP exposed to the Internet is scanned within minutes and is a common way in (password spraying, RDP vulnerabilities). Reach VMs through Azure Bastion or a VPN, or allow RDP only from a few known public ranges.',
    remediation: {
      az: DELETE_RULE,
      bicep: restrictedInbound('Tcp', '3389', 'Prefer Azure Bastion; if RDP must stay, allow it only from known public ranges'),
    },
    references: ['CIS Azure 7.1', DOCS.nsgOverview, DOCS.bastionNsg, DOCS.cisAzure],
  },
  {
    id: 'NSG-001',
    severity: 'high',
    title: 'RDP reachable from the Internet',
    message: 'RDP is reachable from the Internet',
    deny: [{ label: 'RDP from the Internet', direction: 'inbound', protocol: ['tcp', 'udp'], ports: 3389, from: 'Internet', when: 'broad' }],
  },
  loginHostPoints,
);
