import { natGatewaysOfSubnet } from '../estate/relations.js';
import {
  NO_ADDRESS,
  addressIntersect,
  addressIsEmpty,
  addressUnion,
  isBroad,
  portIsAll,
  toWitness,
  type AddressSet,
  type Flow,
  type FlowProtocol,
  type RuleRef,
} from '../nsg/index.js';
import {
  addressEvidence,
  decidingRule,
  describeAddresses,
  describeRule,
  fillRemediation,
  joinWords,
  findingOn,
} from '../verdicts/describe.js';
import type { Finding } from '../verdicts/finding.js';
import { DOCS, bicepRule } from './support/remediation.js';
import type { Rule, RuleMeta } from './support/types.js';
import type { EffectivePoint, JudgedNsg } from '../verdicts/view.js';
import { nameOfId } from '../arm/index.js';

const meta: RuleMeta = {
  id: 'NAT-002',
  title: 'NAT gateway subnet NSG allows all outbound ports to the Internet',
  severity: 'high',
  category: 'nat',
  description:
    'For the NSG of a subnet attached to a NAT gateway, judged alone at the subnet\'s addresses: fires for each outbound Allow rule whose destination ports are all ports and which decides TCP or UDP flows to a broad part of the Internet (more than 2^24 IPv4 or 2^96 IPv6 addresses, or a public service tag) — that is, it is not shadowed for them. The default AllowInternetOutBound rule counts: an NSG with only the default rules fails. The audit\'s remediation (Deny all outbound at 100, Allow 443 to one address at 200) passes.',
  rationale:
    'The NAT gateway gives the subnet outbound Internet access; an NSG that lets any port reach any Internet address adds no control over it (exfiltration, command-and-control traffic). Allow the destinations and ports the workloads need, then deny the rest. Note the order: an Allow placed after a Deny-all (as in the audit procedure\'s own example) is shadowed and never applies (NSG-013).',
  remediation: {
    az: 'az network nsg rule create --resource-group <resource-group> --nsg-name <nsg-name> --name AllowHttpsToApproved --priority 100 --direction Outbound --access Allow --protocol Tcp --destination-address-prefixes <approved-destination> --destination-port-ranges 443 && az network nsg rule create --resource-group <resource-group> --nsg-name <nsg-name> --name DenyInternetOutbound --priority 4000 --direction Outbound --access Deny --protocol "*" --destination-address-prefixes Internet --destination-port-ranges "*"',
    bicep: [
      bicepRule({ name: 'AllowHttpsToApproved', priority: 100, direction: 'Outbound', access: 'Allow', protocol: 'Tcp', source: '*', destination: '<approved-destination>', ports: '443', comment: 'Allow what the workloads need first' }),
      bicepRule({ name: 'DenyInternetOutbound', priority: 4000, direction: 'Outbound', access: 'Deny', protocol: '*', source: '*', destination: 'Internet', ports: '*', comment: 'Then deny the rest of the Internet (VirtualNetwork traffic still flows)' }),
    ].join('\n'),
  },
  references: [DOCS.natGateway, DOCS.nsgOverview],
};

const PROTOCOLS: readonly FlowProtocol[] = ['Tcp', 'Udp'];

interface Exposure {
  nsg: JudgedNsg;
  rule: RuleRef;
  remote: AddressSet;
  protocols: Set<FlowProtocol>;
  subnets: Map<string, string>;
  natGateways: Set<string>;
  witness: Flow;
  point: EffectivePoint;
  notes: Set<string>;
}

export const rule: Rule = {
  meta,
  evaluate(view) {
    const exposures = new Map<string, Exposure>();
    for (const subnet of view.estate.subnets.values()) {
      const ref = subnet.networkSecurityGroup;
      if (!ref || !view.wants(ref.key)) continue;
      const gateways = natGatewaysOfSubnet(view.relations, subnet.id);
      if (gateways.length === 0) continue;
      const judged = view.nsg(ref.key);
      const point = judged && view.subnetAlone(subnet);
      if (!judged || !point) continue;
      const internet = view.remote(point.ctx, ['Internet']);
      for (const protocol of PROTOCOLS) {
        const shared = view.analyze(point, 'Outbound', protocol, internet);
        const byRule = new Map<string, { ref: RuleRef; remote: AddressSet; witness: Flow }>();
        for (const part of shared.analysis.parts) {
          // The subnet NSG's rule, after any security admin rule that passed the flow on; an
          // AlwaysAllow admin rule skips the NSG, which then decides nothing here.
          const decider = part.decidedBy.find((r) => !r.admin);
          if (part.access !== 'Allow' || !decider) continue;
          if (addressIsEmpty(addressIntersect(part.local, point.local))) continue;
          const entry = byRule.get(decider.rule) ?? { ref: decider, remote: NO_ADDRESS, witness: part.witness };
          entry.remote = addressUnion(entry.remote, part.remote);
          byRule.set(decider.rule, entry);
        }
        for (const { ref: decider, remote, witness } of byRule.values()) {
          const own = judged.nsg.outbound.find((r) => r.name === decider.rule);
          if (!own || !portIsAll(own.destinationPorts) || !isBroad(remote, point.ctx)) continue;
          const key = `${judged.resource.key}|${decider.rule}`;
          const exposure: Exposure = exposures.get(key) ?? {
            nsg: judged,
            rule: decider,
            remote: NO_ADDRESS,
            protocols: new Set(),
            subnets: new Map(),
            natGateways: new Set(),
            witness,
            point,
            notes: new Set(),
          };
          exposure.remote = addressUnion(exposure.remote, remote);
          exposure.protocols.add(protocol);
          exposure.subnets.set(subnet.id, subnet.name);
          for (const g of gateways) exposure.natGateways.add(g.id);
          for (const note of point.notes) exposure.notes.add(note);
          exposures.set(key, exposure);
        }
      }
    }
    return [...exposures.values()].map((e) => findingOf(e));
  },
};

function findingOf(e: Exposure): Finding {
  const resource = e.nsg.resource;
  const subnets = [...e.subnets.values()];
  const gateways = [...e.natGateways].map((id) => nameOfId(id));
  const protocols = joinWords([...e.protocols].map((p) => p.toUpperCase()));
  return findingOn(meta, resource, {
    scope: e.rule.rule,
    message: `NSG ${resource.name} of NAT gateway subnet ${joinWords(subnets)} lets ${describeRule(e.rule)} allow every ${protocols} port to ${describeAddresses(e.remote, e.point.ctx)} through NAT gateway ${joinWords(gateways)}`,
    evidence: {
      witness: toWitness(e.witness),
      decidedBy: [decidingRule(e.rule)],
      attachments: [...e.subnets.keys()],
      natGateways: [...e.natGateways],
      rule: { nsg: resource.id, name: e.rule.rule, priority: e.rule.priority, direction: e.rule.direction, access: e.rule.access, isDefault: e.rule.isDefault },
      remote: addressEvidence(e.remote),
      ...(e.notes.size > 0 ? { assumptions: [...e.notes] } : {}),
    },
    remediation: fillRemediation(meta.remediation, { nsgId: resource.id, ruleName: e.rule.rule, subnetId: [...e.subnets.keys()][0] ?? '' }),
  });
}
