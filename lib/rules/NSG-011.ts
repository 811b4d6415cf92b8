import { guardsOfNetworkInterface } from '../estate/relations.js';
import { serviceOwningNsg } from '../estate/services.js';
import { fillRemediation, findingOn } from '../verdicts/describe.js';
import type { Finding } from '../verdicts/finding.js';
import { DOCS } from './support/remediation.js';
import type { Rule, RuleMeta } from './support/types.js';
import { nameOfId } from '../arm/index.js';

const meta: RuleMeta = {
  id: 'NSG-011',
  title: 'NIC with an NSG in a subnet that has one too',
  severity: 'low',
  category: 'hygiene',
  description:
    'Fires for a network interface that has its own NSG while the subnet it sits in has an NSG as well (present in the estate or referenced). Reported on the NIC. Not for an NSG a service puts on its NICs by design (AKS\'s node-pool NSG in its node resource group).',
  rationale:
    'Traffic must then pass both NSGs (inbound: subnet then NIC; outbound: NIC then subnet), which makes the effective policy hard to read and easy to break. The NSG overview advises associating an NSG to a subnet or to a network interface, not both, unless there is a specific reason.',
  remediation: {
    az: 'az network nic update --resource-group <resource-group> --name <nic-name> --remove networkSecurityGroup',
    bicep: [
      '// Drop the NIC-level NSG and keep the rules in the subnet NSG',
      "resource nic 'Microsoft.Network/networkInterfaces@2023-09-01' = {",
      "  name: '<nic-name>'",
      '  properties: {',
      '    ipConfigurations: [ /* unchanged */ ]',
      '    // networkSecurityGroup: removed',
      '  }',
      '}',
    ].join('\n'),
  },
  references: [DOCS.nsgHowItWorks, DOCS.nsgOverview],
};

export const rule: Rule = {
  meta,
  evaluate(view) {
    const findings: Finding[] = [];
    for (const nic of view.estate.networkInterfaces.values()) {
      if (!view.wants(nic.key) || nic.partial || !nic.networkSecurityGroup) continue;
      // AKS puts its node-pool NSG on every node NIC by design: not a finding per node.
      if (serviceOwningNsg(view.estate, nic.networkSecurityGroup.id)) continue;
      const points = guardsOfNetworkInterface(view.relations, nic.id);
      const doubled = points.filter((p) => p.subnetNsg.state === 'present' || p.subnetNsg.state === 'missing');
      if (doubled.length === 0) continue;
      const nicNsg = nameOfId(nic.networkSecurityGroup.id);
      const subnets = doubled.map((p) => {
        const nsgId = p.subnetNsg.state === 'present' || p.subnetNsg.state === 'missing' ? p.subnetNsg.id : '';
        return { subnet: p.subnetId ?? '', nsg: nsgId };
      });
      const where = subnets.map((s) => `subnet ${nameOfId(s.subnet)} has NSG ${nameOfId(s.nsg)}`).join('; ');
      findings.push(
        findingOn(meta, nic, {
          message: `NIC ${nic.name} has its own NSG ${nicNsg} while its ${where}: traffic must pass both`,
          evidence: {
            attachments: [nic.id],
            nicNsg: nic.networkSecurityGroup.id,
            subnetNsgs: subnets,
          },
          remediation: fillRemediation(meta.remediation, { nicId: nic.id }),
        }),
      );
    }
    return findings;
  },
};
