import { subnetRole, type SubnetRole } from '../estate/relations.js';
import { fillRemediation, findingOn } from '../verdicts/describe.js';
import type { Finding } from '../verdicts/finding.js';
import { DOCS } from './support/remediation.js';
import type { Rule, RuleMeta } from './support/types.js';
import { nameOfId } from '../arm/index.js';

/** Subnets that need no NSG of their own: Azure manages them, or (Bastion) the NSG is optional. */
const EXEMPT: ReadonlySet<SubnetRole> = new Set<SubnetRole>(['gateway', 'firewall', 'firewallManagement', 'routeServer', 'bastion']);

const meta: RuleMeta = {
  id: 'NSG-010',
  title: 'Subnet without an NSG',
  severity: 'medium',
  category: 'coverage',
  description:
    'Fires for a subnet in the estate that has no network security group. Exempt: GatewaySubnet, AzureFirewallSubnet, AzureFirewallManagementSubnet and RouteServerSubnet (Azure manages them and NSGs are not supported or not advised there), and AzureBastionSubnet, because the Bastion documentation makes an NSG there optional ("if you choose to use an NSG"); when one is present, BAS-001 checks it.',
  rationale:
    'Without a subnet NSG, everything the platform routes to the subnet reaches its resources unless each NIC carries its own NSG; new VMs added to the subnet start unprotected.',
  remediation: {
    az: 'az network vnet subnet update --resource-group <resource-group> --vnet-name <vnet-name> --name <subnet-name> --network-security-group <nsg-name>',
    bicep: [
      "resource subnet 'Microsoft.Network/virtualNetworks/subnets@2023-09-01' = {",
      "  name: '<vnet-name>/<subnet-name>'",
      '  properties: {',
      "    addressPrefix: '<subnet-prefix>'",
      '    networkSecurityGroup: {',
      "      id: resourceId('Microsoft.Network/networkSecurityGroups', '<nsg-name>')",
      '    }',
      '  }',
      '}',
    ].join('\n'),
  },
  references: ['CIS Azure 7.11', DOCS.nsgOverview, DOCS.cisAzure],
};

export const rule: Rule = {
  meta,
  evaluate(view) {
    const findings: Finding[] = [];
    for (const subnet of view.estate.subnets.values()) {
      if (!view.wants(subnet.key) || subnet.networkSecurityGroup || EXEMPT.has(subnetRole(subnet.name))) continue;
      const nics = view.relations.nicsBySubnet.get(subnet.key) ?? [];
      const unguarded = nics.filter((n) => !n.networkSecurityGroup);
      const vnet = nameOfId(subnet.virtualNetwork.id);
      const nicNote =
        nics.length === 0 ? '' : unguarded.length === 0 ? ` (its ${nics.length} NIC(s) carry their own NSGs)` : ` (${unguarded.length} of its ${nics.length} NIC(s) have no NSG either)`;
      findings.push(
        findingOn(meta, subnet, {
          message: `Subnet ${subnet.name} of virtual network ${vnet} has no NSG${nicNote}`,
          evidence: {
            attachments: nics.map((n) => n.id),
            subnet: { id: subnet.id, addressPrefixes: subnet.addressPrefixes },
            networkInterfacesWithoutNsg: unguarded.map((n) => n.id),
          },
          remediation: fillRemediation(meta.remediation, { subnetId: subnet.id }),
        }),
      );
    }
    return findings;
  },
};
