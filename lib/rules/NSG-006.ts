import { policyRule } from './support/policy-rule.js';
import { DELETE_RULE, DOCS, restrictedInbound } from './support/remediation.js';

export const rule = policyRule(
  {
    id: 'NSG-006',
    title: 'Remote administration or legacy protocols reachable from the Internet',
    severity: 'high',
    category: 'exposure',
    description:
      'Fires when, at some attachment point, FTP (21), Telnet (23), RPC (135), NetBIOS (137-139), SMB (445), VNC (5900) or WinRM (5985-5986) over TCP, or SNMP (161-162) over UDP, is allowed from a broad part of the Internet. Reported on the NSG whose Allow rule lets the traffic in.',
    rationale:
      'These protocols send credentials in clear or have a long history of remotely exploitable flaws (SMB, RPC); none should face the Internet. Use Azure Bastion, a VPN or private connectivity.',
    remediation: {
      az: DELETE_RULE,
      bicep: restrictedInbound('Tcp', '445', 'Remove the rule; administer through Azure Bastion or a VPN'),
    },
    references: [DOCS.nsgOverview, DOCS.bastionNsg],
  },
  {
    id: 'NSG-006',
    severity: 'high',
    title: 'Remote administration or legacy protocols reachable from the Internet',
    message: 'Remote administration or legacy protocols are reachable from the Internet',
    deny: [
      { label: 'administration and legacy TCP ports from the Internet', direction: 'inbound', protocol: 'tcp', ports: [21, 23, 135, '137-139', 445, 5900, '5985-5986'], from: 'Internet', when: 'broad' },
      { label: 'SNMP from the Internet', direction: 'inbound', protocol: 'udp', ports: '161-162', from: 'Internet', when: 'broad' },
    ],
  },
);
