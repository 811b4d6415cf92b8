import { evaluatePolicy } from '../policy/evaluate.js';
import { builtinPolicy } from '../policy/parse.js';
import { bastionsWithRange, isVmInServedNetwork, mergeFindings } from './support/bastion.js';
import { vmPoints } from './support/hosts.js';
import { DOCS, bicepRule } from './support/remediation.js';
import type { Rule, RuleMeta } from './support/types.js';

const meta: RuleMeta = {
  id: 'BAS-003',
  title: 'VMs served by Azure Bastion allow SSH/RDP from other sources',
  severity: 'low',
  category: 'bastion',
  description:
    'For every NIC in a workload subnet of a virtual network served by an Azure Bastion (its own or directly peered), asks whether inbound TCP 22 or 3389 is allowed from any source other than the AzureBastionSubnet ranges of the Bastions serving it (AzureLoadBalancer health probes aside). The default AllowVnetInBound rule counts: it opens SSH/RDP to the whole virtual network. Reported on the NSG whose Allow rule lets the traffic in.',
  rationale:
    'With Bastion in place, SSH/RDP need to come from the Bastion subnet only; the Bastion documentation advises allowing exactly that range, so a compromised VM elsewhere in the network cannot reach the others\' management ports.',
  remediation: {
    az: 'az network nsg rule create --resource-group <resource-group> --nsg-name <nsg-name> --name AllowSshRdpFromBastion --priority 4000 --direction Inbound --access Allow --protocol Tcp --source-address-prefixes <bastion-subnet-prefix> --destination-port-ranges 22 3389 && az network nsg rule create --resource-group <resource-group> --nsg-name <nsg-name> --name DenySshRdpFromElsewhere --priority 4010 --direction Inbound --access Deny --protocol Tcp --source-address-prefixes "*" --destination-port-ranges 22 3389',
    bicep: [
      bicepRule({ name: 'AllowSshRdpFromBastion', priority: 4000, direction: 'Inbound', access: 'Allow', protocol: 'Tcp', source: '<bastion-subnet-prefix>', destination: '*', ports: '22, 3389', comment: 'SSH/RDP from Azure Bastion only' }),
      bicepRule({ name: 'DenySshRdpFromElsewhere', priority: 4010, direction: 'Inbound', access: 'Deny', protocol: 'Tcp', source: '*', destination: '*', ports: '22, 3389' }),
    ].join('\n'),
  },
  references: [DOCS.bastionNsg],
};

export const rule: Rule = {
  meta,
  evaluate(view) {
    const output = { ruleId: meta.id, severity: meta.severity, title: meta.title, remediation: meta.remediation };
    // Every Bastion range serving a network is a legitimate source there: group networks by that set.
    const rangesByNetwork = new Map<string, Set<string>>();
    for (const coverage of bastionsWithRange(view)) {
      for (const vnet of coverage.servedVirtualNetworks) {
        const ranges = rangesByNetwork.get(vnet.key) ?? new Set<string>();
        for (const prefix of coverage.subnetPrefixes) ranges.add(prefix);
        rangesByNetwork.set(vnet.key, ranges);
      }
    }
    const networksByRanges = new Map<string, { ranges: string[]; networks: Set<string> }>();
    for (const [vnet, ranges] of rangesByNetwork) {
      const list = [...ranges].sort();
      const key = list.join(',');
      const group = networksByRanges.get(key) ?? { ranges: list, networks: new Set<string>() };
      group.networks.add(vnet);
      networksByRanges.set(key, group);
    }
    const vms = vmPoints(view);
    const findings = [...networksByRanges.values()].flatMap(({ ranges, networks }) => {
      const policy = builtinPolicy({
        id: meta.id,
        severity: meta.severity,
        title: meta.title,
        message: 'SSH/RDP is allowed from sources other than Azure Bastion',
        deny: [
          {
            label: `SSH/RDP from sources other than the AzureBastionSubnet (${ranges.join(', ')})`,
            direction: 'inbound',
            protocol: 'tcp',
            ports: [22, 3389],
            from: '*',
            except: [...ranges, 'AzureLoadBalancer'],
          },
        ],
      });
      return evaluatePolicy(policy, view, output, vms.filter((point) => isVmInServedNetwork(point, networks)));
    });
    return mergeFindings(findings);
  },
};
