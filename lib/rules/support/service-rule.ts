/**
 * Rules for service-owned subnets: a service's documented required flows (lib/rules/services),
 * written in the users' policy format and asked as allow assertions on the exact engine at every
 * attachment point of a subnet the service is recognised in (lib/estate/services.ts). Each
 * blocked flow is reported with the rule that blocks it, the service and its document, and the
 * exact rule to add before the blocking one.
 */
import { normalizeId } from '../../arm/index.js';
import type { Estate } from '../../estate/model.js';
import { intentPolicyAuthor, servicesOfSubnet, type ServiceUse } from '../../estate/services.js';
import { formatPorts, portIntersect, portIsAll, portIsEmpty, shadowedRules, type SecurityRule } from '../../nsg/index.js';
import { attachmentsOfNsg, type AttachmentPoint } from '../../estate/relations.js';
import { SERVICE_REQUIREMENTS } from '../services/index.js';
import { evaluatePolicy } from '../../policy/evaluate.js';
import type { AllowAssertion, FlowAssertion, FlowPolicy, PolicySpec } from '../../policy/model.js';
import { builtinPolicy } from '../../policy/parse.js';
import { describeRule, fillRemediation } from '../../verdicts/describe.js';
import type { Finding, Remediation } from '../../verdicts/finding.js';
import type { EffectivePoint, EstateView } from '../../verdicts/view.js';
import type { ServiceContext, ServiceRequirements } from '../services/types.js';
import { mergeFindings } from './bastion.js';
import type { Rule, RuleMeta } from './types.js';

/** The use of a kind at a subnet that tells the most (a resource with its SKU or mode over a bare delegation). */
export function serviceAt(estate: Estate, subnetId: string, kind: ServiceUse['kind']): ServiceUse | undefined {
  const uses = servicesOfSubnet(estate, subnetId).filter((u) => u.kind === kind);
  return uses.find((u) => u.generation !== undefined || u.virtualNetworkType !== undefined) ?? uses.find((u) => u.resourceId !== undefined) ?? uses[0];
}

/** What a requirement may depend on at one point's subnet. */
export function serviceContext(estate: Estate, point: Pick<EffectivePoint, 'point'>, use: ServiceUse): ServiceContext {
  const listenerPorts = { public: new Set<number>(), private: new Set<number>() };
  const gateway = use.kind === 'applicationGateway' && use.resourceId ? estate.applicationGateways.get(normalizeId(use.resourceId)) : undefined;
  for (const listener of gateway?.listeners ?? []) {
    if (listener.port === undefined) continue;
    const frontend = gateway?.frontends.find((f) => f.key === listener.frontend?.key) ?? (gateway?.frontends.length === 1 ? gateway.frontends[0] : undefined);
    (frontend?.publicIpAddress ? listenerPorts.public : listenerPorts.private).add(listener.port);
  }
  const sorted = (set: Set<number>) => [...set].sort((a, b) => a - b);
  return {
    use,
    subnetPrefixes: point.point.subnet?.addressPrefixes ?? [],
    listenerPorts: { public: sorted(listenerPorts.public), private: sorted(listenerPorts.private) },
  };
}

export function serviceRule(meta: Omit<RuleMeta, 'policy' | 'category'>, requirements: ServiceRequirements, message: string): Rule {
  const specOf = (context: ServiceContext): PolicySpec => ({ id: meta.id, severity: meta.severity, title: meta.title, message, allow: requirements.flows(context) });
  const example = specOf(requirements.example);
  const compiled = new Map<string, FlowPolicy>();
  const policyOf = (spec: PolicySpec): FlowPolicy => {
    const key = JSON.stringify(spec.allow);
    let policy = compiled.get(key);
    if (!policy) {
      policy = builtinPolicy(spec);
      compiled.set(key, policy);
    }
    return policy;
  };
  const output = { ruleId: meta.id, severity: meta.severity, title: meta.title, remediation: meta.remediation };
  return {
    meta: { ...meta, category: 'service', policy: { spec: example, compiled: policyOf(example) } },
    evaluate(view) {
      const groups = new Map<string, { policy: FlowPolicy; use: ServiceUse; points: EffectivePoint[] }>();
      for (const point of view.points()) {
        const subnetId = point.point.subnetId;
        const use = subnetId ? serviceAt(view.estate, subnetId, requirements.service) : undefined;
        if (!use) continue;
        if (requirements.writtenByIntentPolicy && !holdsIntentPolicyRules(point, requirements.service)) continue;
        const spec = specOf(serviceContext(view.estate, point, use));
        if ((spec.allow ?? []).length === 0) continue;
        const key = `${JSON.stringify(spec.allow)}|${use.recognisedBy}`;
        const group = groups.get(key) ?? { policy: policyOf(spec), use, points: [] };
        group.points.push(point);
        groups.set(key, group);
      }
      const findings = [...groups.values()].flatMap((g) => evaluatePolicy(g.policy, view, output, g.points).map((f) => withService(f, g.use, g.policy, view)));
      return mergeFindings(findings);
    },
  };
}

const prescribedCache = new Map<string, FlowAssertion[]>();

/**
 * The flows a service's documented rule set holds at one attachment point (required and optional):
 * a rule written for one of them is the documented rule set, not a redundancy to remove.
 */
export function documentedFlows(estate: Estate, point: AttachmentPoint): { use: ServiceUse; flows: FlowAssertion[] }[] {
  const subnetId = point.subnetId;
  if (!subnetId) return [];
  return SERVICE_REQUIREMENTS.flatMap((requirements) => {
    const use = serviceAt(estate, subnetId, requirements.service);
    if (!use) return [];
    const allow = [...requirements.flows(serviceContext(estate, { point }, use)), ...requirements.prescribed];
    const key = JSON.stringify(allow);
    let flows = prescribedCache.get(key);
    if (!flows) {
      flows = [...builtinPolicy({ id: 'documented', severity: 'info', message: 'documented rule set', allow }).assertions];
      prescribedCache.set(key, flows);
    }
    return [{ use, flows }];
  });
}

/** Tag names compare without their regional suffix (`Storage.WestEurope` is Storage). */
function tagBase(name: string): string {
  const lower = name.trim().toLowerCase();
  const dot = lower.indexOf('.');
  return dot < 0 ? lower : lower.slice(0, dot);
}

/** The service whose documented rule set holds this Allow rule (same direction, a remote it names, ports it covers), if any. */
export function prescribingService(documented: readonly { use: ServiceUse; flows: FlowAssertion[] }[], rule: SecurityRule): ServiceUse | undefined {
  if (rule.access !== 'Allow') return undefined;
  const remote = (rule.direction === 'Inbound' ? rule.source : rule.destination).filter((t) => t.kind === 'tag').map((t) => tagBase(t.text));
  if (remote.length === 0) return undefined;
  for (const { use, flows } of documented) {
    for (const flow of flows) {
      if (flow.direction !== rule.direction) continue;
      const names = flow.remote.map(tagBase);
      if (!remote.some((r) => names.includes(r))) continue;
      if (portIsEmpty(portIntersect(flow.ports, rule.destinationPorts))) continue;
      return use;
    }
  }
  return undefined;
}

/** Some NSG at the point holds rules the service's network intent policy wrote. */
function holdsIntentPolicyRules(point: EffectivePoint, kind: ServiceUse['kind']): boolean {
  return point.nsgs.some((n) => [...n.nsg.inbound, ...n.nsg.outbound].some((r) => intentPolicyAuthor(r.name)?.kind === kind));
}

/**
 * Rules of a service's documented rule set in this NSG that decide no flow because an earlier,
 * broader rule covers them (Bastion's GatewayManager rule behind an Internet-wide 443 rule): said in
 * the evidence of the service's findings instead of being reported as shadowed (NSG-013).
 */
export function coveredDocumentedRules(view: EstateView, nsgId: string): string[] {
  const key = normalizeId(nsgId);
  const judged = view.nsg(key);
  if (!judged) return [];
  const documented = attachmentsOfNsg(view.relations, nsgId).flatMap((p) => documentedFlows(view.estate, p));
  if (documented.length === 0) return [];
  const out: string[] = [];
  for (const decision of shadowedRules(judged.nsg, view.nsgContext(key).ctx)) {
    if (decision.decides || decision.reason !== 'shadowed') continue;
    const rule = (decision.rule.direction === 'Inbound' ? judged.nsg.inbound : judged.nsg.outbound).find((r) => r.name === decision.rule.rule);
    const use = rule ? prescribingService(documented, rule) : undefined;
    if (!use) continue;
    out.push(`${describeRule(decision.rule)} of ${use.name}'s documented rule set decides no flow: ${decision.shadowedBy.map(describeRule).join(', ')} covers it; it takes effect once that rule is narrowed`);
  }
  return out;
}

/** The service and its document in the evidence; the remediation is the exact rule that lets the flow through. */
function withService(finding: Finding, use: ServiceUse, policy: FlowPolicy, view: EstateView): Finding {
  const label = finding.evidence['assertion'];
  const assertion = policy.assertions.find((a): a is AllowAssertion => a.expect === 'allow' && a.label === label);
  const blamed = finding.evidence['rule'] as { priority?: unknown; direction?: unknown } | undefined;
  const remediation = assertion && typeof blamed?.priority === 'number' ? requiredRule(view, finding.resourceId, assertion, blamed.priority) : finding.remediation;
  const covered = coveredDocumentedRules(view, finding.resourceId);
  return {
    ...finding,
    evidence: { ...finding.evidence, ...(covered.length > 0 ? { documentedRulesCovered: covered } : {}), service: { name: use.name, document: use.document ?? '', recognisedBy: use.recognisedBy, ...(use.resourceId ? { resource: use.resourceId } : {}) } },
    remediation,
  };
}

/** The highest free custom priority before `before` in the NSG's rules of that direction (100-4096), if any. */
function freePriority(view: EstateView, nsgId: string, direction: 'Inbound' | 'Outbound', before: number): number | undefined {
  const parsed = view.nsg(normalizeId(nsgId))?.nsg;
  const used = new Set((direction === 'Inbound' ? parsed?.inbound : parsed?.outbound)?.map((r) => r.priority) ?? []);
  for (let p = Math.min(before - 1, 4096); p >= 100; p -= 1) if (!used.has(p)) return p;
  return undefined;
}

/** `az network nsg rule create` and a Bicep rule that allow exactly the assertion's flows, before the rule that blocks them. */
function requiredRule(view: EstateView, nsgId: string, assertion: AllowAssertion, before: number): Remediation {
  const inbound = assertion.direction === 'Inbound';
  const priority = freePriority(view, nsgId, assertion.direction, before);
  const name = `Allow-${assertion.remote.join('-')}-${inbound ? 'In' : 'Out'}`.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/-+/g, '-').slice(0, 80);
  const protocol = assertion.protocols.length === 1 ? (assertion.protocols[0] ?? '*') : '*';
  const ports = portIsAll(assertion.ports) ? ['*'] : formatPorts(assertion.ports);
  const quoted = (values: readonly string[]) => values.map((v) => (v === '*' ? '"*"' : v)).join(' ');
  const remote = quoted(assertion.remote);
  const at = priority === undefined ? `<priority-before-${before}>` : String(priority);
  const az = [
    'az network nsg rule create --resource-group <resource-group> --nsg-name <nsg-name>',
    `--name ${name} --priority ${at} --direction ${assertion.direction} --access Allow --protocol ${protocol === '*' ? '"*"' : protocol}`,
    `--source-address-prefixes ${inbound ? remote : '"*"'} --source-port-ranges "*"`,
    `--destination-address-prefixes ${inbound ? '"*"' : remote} --destination-port-ranges ${quoted(ports)}`,
  ].join(' ');
  const list = (values: readonly string[]) => `[ ${values.map((v) => `'${v}'`).join(', ')} ]`;
  const bicep = [
    `// Lets ${assertion.label} through before rule priority ${before} of <nsg-name>`,
    `resource ${name.replace(/[^A-Za-z0-9]/g, '')} 'Microsoft.Network/networkSecurityGroups/securityRules@2023-09-01' = {`,
    `  name: '<nsg-name>/${name}'`,
    '  properties: {',
    `    priority: ${at}`,
    `    direction: '${assertion.direction}'`,
    "    access: 'Allow'",
    `    protocol: '${protocol}'`,
    inbound ? `    sourceAddressPrefixes: ${list(assertion.remote)}` : "    sourceAddressPrefix: '*'",
    "    sourcePortRange: '*'",
    inbound ? "    destinationAddressPrefix: '*'" : `    destinationAddressPrefixes: ${list(assertion.remote)}`,
    ports[0] === '*' ? "    destinationPortRange: '*'" : `    destinationPortRanges: ${list(ports)}`,
    '  }',
    '}',
  ].join('\n');
  return fillRemediation({ az, bicep }, { nsgId });
}
