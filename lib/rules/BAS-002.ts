import { evaluatePolicy } from '../policy/evaluate.js';
import { builtinPolicy } from '../policy/parse.js';
import { bastionsWithRange, isVmInServedNetwork, mergeFindings } from './support/bastion.js';
import { vmPoints } from './support/hosts.js';
import { DOCS, bicepRule } from './support/remediation.js';
import type { Rule, RuleMeta } from './support/types.js';

const meta: RuleMeta = {
  id: 'BAS-002',
  title: 'VMs served by Azure Bastion deny SSH/RDP from the Bastion subnet',
  severity: 'medium',
  category: 'bastion',
  description:
    'For every Azure Bastion whose AzureBastionSubnet range is known, and every NIC in a workload subnet of a virtual network it serves (its own and directly peered ones in state Connected), asks whether inbound TCP 22 and 3389 from the whole AzureBastionSubnet range are allowed by the NIC\'s effective policy (subnet NSG, then NIC NSG). Each denied flow is reported on the NSG whose rule denies it.',
  rationale:
    'Bastion reaches target VMs over their private IPs on 22/3389; an NSG that denies these from the AzureBastionSubnet breaks every Bastion session to those VMs.',
  remediation: {
    az: 'az network nsg rule create --resource-group <resource-group> --nsg-name <nsg-name> --name AllowSshRdpFromBastion --priority <priority-before-rule-name> --direction Inbound --access Allow --protocol Tcp --source-address-prefixes <bastion-subnet-prefix> --destination-address-prefixes "*" --destination-port-ranges 22 3389',
    bicep: bicepRule({
      name: 'AllowSshRdpFromBastion',
      priority: '<priority-before-rule-name>',
      direction: 'Inbound',
      access: 'Allow',
      protocol: 'Tcp',
      source: '<bastion-subnet-prefix>',
      destination: '*',
      ports: '22, 3389',
      comment: 'Let Azure Bastion reach the VMs: SSH and RDP from the AzureBastionSubnet range only',
    }),
  },
  references: [DOCS.bastionNsg],
};

export const rule: Rule = {
  meta,
  evaluate(view) {
    const output = { ruleId: meta.id, severity: meta.severity, title: meta.title, remediation: meta.remediation };
    const vms = vmPoints(view);
    const findings = bastionsWithRange(view).flatMap((coverage) => {
      const served = new Set(coverage.servedVirtualNetworks.map((v) => v.key));
      const policy = builtinPolicy({
        id: meta.id,
        severity: meta.severity,
        title: meta.title,
        message: `Azure Bastion ${coverage.bastion.name} cannot reach VMs over SSH/RDP`,
        allow: [
          {
            label: `SSH/RDP from the AzureBastionSubnet of ${coverage.bastion.name}`,
            direction: 'inbound',
            protocol: 'tcp',
            ports: [22, 3389],
            from: coverage.subnetPrefixes,
          },
        ],
      });
      return evaluatePolicy(policy, view, output, vms.filter((point) => isVmInServedNetwork(point, served)));
    });
    return mergeFindings(findings);
  },
};
