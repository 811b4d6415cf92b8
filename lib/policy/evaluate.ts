/**
 * The flow-assertion evaluator: judges "these flows must be denied" / "these flows must be allowed"
 * on the effective policy at every attachment point in a policy's scope, and reports each
 * violation on the NSG whose rule decides it (the Allow that lets traffic in, or the Deny that
 * blocks a required flow), with the affected attachments in the evidence. The built-in exposure
 * rules and users' policies both run through here. Pure.
 */
import {
  ALL_PORTS,
  NO_ADDRESS,
  NO_PORTS,
  addressContains,
  addressIntersect,
  addressIsEmpty,
  addressSample,
  addressUnion,
  isBroad,
  parseIp,
  portContains,
  portIntersect,
  portIsEmpty,
  portIsSubset,
  portRanges,
  portUnion,
  toWitness,
  type AddressSet,
  type EvaluationContext,
  type Flow,
  type FlowProtocol,
  type PortSet,
  type RegionAnalysis,
  type RegionPart,
  type RuleRef,
  type AdminRuleOrigin,
} from '../nsg/index.js';
import {
  addressEvidence,
  decidingRule,
  describeAddresses,
  describeAdminRule,
  describeAttachments,
  describeProtocolPorts,
  describeRule,
  fillRemediation,
} from '../verdicts/describe.js';
import { fingerprint, type Finding, type Remediation, type Severity } from '../verdicts/finding.js';
import { nameOfId, normalizeId, parseResourceId } from '../arm/index.js';
import type { EffectivePoint, EstateView, PairAnalysis } from '../verdicts/view.js';
import type { FlowAssertion, FlowPolicy, ResourceSelector } from './model.js';
import { portSegments } from '../verdicts/segments.js';
import { memoOf } from '../verdicts/analyses.js';
import { latentSeverity, pathVerdict, summarizePaths, type PathVerdict } from '../verdicts/exposure.js';

/** How the findings of a policy are labelled: the rule's own id and metadata for built-ins. */
export interface PolicyOutput {
  ruleId: string;
  severity: Severity;
  title: string;
  remediation: Remediation;
  /**
   * Inbound exposure rules: each finding says whether a public path carries the flows (exposed)
   * or not (latent, reported lower), DESIGN §3 "Public path".
   */
  pathAware?: boolean;
}

const PORTED: ReadonlySet<FlowProtocol> = new Set(['Tcp', 'Udp']);
/** Evidence lists at most this many attachments (and says how many there were). */
const MAX_ATTACHMENTS = 100;

/** A part of an analysis that concerns one point: its flows to or from the point's own addresses. */
interface PointPart {
  part: RegionPart;
  /** part.local ∩ the point's addresses. */
  local: AddressSet;
}

interface PointParts {
  /** Identifies the set of parts: points with equal signatures have equal verdicts. */
  signature: string;
  parts: PointPart[];
}

interface Violation {
  /** The rule reported: an Allow that lets the flow through, or the Deny that blocks it. */
  blame: RuleRef;
  chain: readonly RuleRef[];
  protocol: FlowProtocol;
  ports: PortSet | null;
  remote: AddressSet;
  witness: Flow;
}

const partsCache = new WeakMap<PairAnalysis, Map<string, PointParts>>();

/** The parts of a pair's analysis that reach this point's own addresses (memoised per point). */
function partsAt(shared: PairAnalysis, point: EffectivePoint): PointParts {
  let byPoint = partsCache.get(shared);
  if (!byPoint) {
    byPoint = new Map();
    partsCache.set(shared, byPoint);
  }
  const cached = byPoint.get(point.key);
  if (cached) return cached;
  const indices: number[] = [];
  const parts: PointPart[] = [];
  shared.analysis.parts.forEach((part, i) => {
    // Most parts span every local address of the pair: then no intersection is needed.
    const local = shared.spansLocal[i] ? point.local : addressIntersect(part.local, point.local);
    if (addressIsEmpty(local)) return;
    indices.push(i);
    parts.push({ part, local });
  });
  const result = { signature: indices.join(','), parts };
  byPoint.set(point.key, result);
  return result;
}

function clipPorts(part: RegionPart, ports: PortSet): PortSet | null | undefined {
  if (part.destinationPorts === null) return null;
  const clipped = portIntersect(part.destinationPorts, ports);
  return portIsEmpty(clipped) ? undefined : clipped;
}

function firstPort(set: PortSet): number {
  for (const range of portRanges(set)) if (range.to >= 1) return Math.max(1, range.from);
  return set[0] ?? 0;
}

/** The part's witness moved into the point's addresses and the asked ports. */
function witnessAt(p: PointPart, ports: PortSet | null): Flow {
  const w = p.part.witness;
  const inbound = w.direction === 'Inbound';
  const localIp = inbound ? w.destinationIp : w.sourceIp;
  const local = parseIp(localIp) && !addressContains(p.local, localIp) ? (addressSample(p.local) ?? localIp) : localIp;
  const destinationPort =
    ports !== null && w.destinationPort !== undefined && !portContains(ports, w.destinationPort) ? firstPort(ports) : w.destinationPort;
  return {
    ...w,
    ...(inbound ? { destinationIp: local } : { sourceIp: local }),
    ...(destinationPort === undefined ? {} : { destinationPort }),
  };
}

function chainKey(chain: readonly RuleRef[]): string {
  return chain.map((r) => `${r.nsg}|${r.rule}`).join('>');
}

interface Candidate {
  p: PointPart;
  blame: RuleRef[];
  ports: PortSet | null;
}

function judgeDeny(
  assertion: Extract<FlowAssertion, { expect: 'deny' }>,
  protocol: FlowProtocol,
  parts: readonly PointPart[],
  ctx: EvaluationContext,
): Violation[] {
  const candidates: Candidate[] = [];
  for (const p of parts) {
    if (p.part.access !== 'Allow' || p.part.decidedBy.length === 0) continue;
    // An admin rule's Allow passes the flow on to the NSGs: the NSG rule that then allows it is to blame.
    // An AlwaysAllow lets it past every NSG: the admin rule is.
    const blame = p.part.decidedBy.filter((r) => r.access === 'Allow' && r.admin?.action !== 'Allow' && (assertion.decidedBy === 'any' || !r.isDefault));
    if (blame.length === 0) continue;
    const ports = clipPorts(p.part, assertion.ports);
    if (ports === undefined) continue;
    candidates.push({ p, blame, ports });
  }
  const violation = (c: Candidate, blame: RuleRef, ports: PortSet | null): Violation => ({
    blame,
    chain: c.p.part.decidedBy,
    protocol,
    ports,
    remote: c.p.part.remote,
    witness: witnessAt(c.p, ports),
  });
  if (assertion.when === 'any') return candidates.flatMap((c) => c.blame.map((b) => violation(c, b, c.ports)));

  const broad: { ports: PortSet | null; members: Candidate[] }[] = [];
  const segments = candidates.every((c) => c.ports === null)
    ? candidates.length > 0 ? [{ ports: null, members: [...candidates] }] : []
    : portSegments(candidates, (c) => c.ports);
  for (const segment of segments) {
    const chains = new Map<string, { remote: AddressSet; members: Candidate[] }>();
    let total: AddressSet = NO_ADDRESS;
    for (const c of segment.members) {
      const key = chainKey(c.p.part.decidedBy);
      const chain = chains.get(key) ?? { remote: NO_ADDRESS, members: [] };
      chain.remote = addressUnion(chain.remote, c.p.part.remote);
      chain.members.push(c);
      chains.set(key, chain);
      total = addressUnion(total, c.p.part.remote);
    }
    if (!isBroad(total, ctx)) continue;
    // Blame the chains that are broad on their own; when only together they are, blame them all.
    const alone = [...chains.values()].filter((c) => isBroad(c.remote, ctx));
    broad.push({ ports: segment.ports, members: (alone.length > 0 ? alone : [...chains.values()]).flatMap((c) => c.members) });
  }
  if (assertion.when === 'every-port') {
    const ported = PORTED.has(protocol);
    const covered = broad.reduce<PortSet>((acc, s) => (s.ports ? portUnion(acc, s.ports) : acc), NO_PORTS);
    if (broad.length === 0 || (ported && !portIsSubset(assertion.ports, covered))) return [];
  }
  return broad.flatMap((segment) => segment.members.flatMap((c) => c.blame.map((b) => violation(c, b, segment.ports))));
}

function judgeAllow(
  assertion: Extract<FlowAssertion, { expect: 'allow' }>,
  protocol: FlowProtocol,
  parts: readonly PointPart[],
): Violation[] {
  const denied: { p: PointPart; ports: PortSet | null }[] = [];
  let allowed = false;
  for (const p of parts) {
    const ports = clipPorts(p.part, assertion.ports);
    if (ports === undefined) continue;
    if (p.part.access === 'Allow') allowed = true;
    else denied.push({ p, ports });
  }
  if (assertion.when === 'some' && allowed) return [];
  return denied.flatMap(({ p, ports }) => {
    const blame = p.part.decidedBy[p.part.decidedBy.length - 1];
    if (!blame) return [];
    return [{ blame, chain: p.part.decidedBy, protocol, ports, remote: p.part.remote, witness: witnessAt(p, ports) }];
  });
}

const patternCache = new Map<string, RegExp>();

/** `*` any run of characters, `?` one; case-insensitive; a pattern with `/` is matched against ids. */
export function globMatches(pattern: string, value: string): boolean {
  let regex = patternCache.get(pattern);
  if (!regex) {
    const body = pattern
      .trim()
      .split('')
      .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('');
    regex = new RegExp(`^${body}$`, 'i');
    patternCache.set(pattern, regex);
  }
  return regex.test(value.trim().replace(/\/+$/, ''));
}

interface PointResources {
  /** Name and id of each resource at the point: NIC, subnet, virtual network, NSGs. */
  named: { name: string; id: string; tags: Readonly<Record<string, string>> }[];
  subnetName: string | undefined;
}

function resourcesAt(point: EffectivePoint): PointResources {
  const named: PointResources['named'] = [];
  const p = point.point;
  if (p.kind === 'networkInterface') named.push({ name: p.name, id: p.id, tags: p.networkInterface?.tags ?? {} });
  if (p.scaleSetId !== undefined) named.push({ name: nameOfId(p.scaleSetId), id: p.scaleSetId, tags: {} });
  if (p.subnetId) {
    const subnet = p.subnet;
    named.push({ name: subnet?.name ?? nameOfId(p.subnetId), id: p.subnetId, tags: subnet?.tags ?? {} });
  }
  if (p.virtualNetwork.kind === 'known') {
    const vnet = p.virtualNetwork.virtualNetwork;
    named.push({ name: vnet.name, id: vnet.id, tags: vnet.tags });
  }
  for (const slot of [p.subnetNsg, p.nicNsg]) {
    if (slot.state === 'present') named.push({ name: slot.nsg.name, id: slot.nsg.id, tags: slot.nsg.tags });
  }
  const subnetName = p.subnet?.name ?? (p.subnetId ? nameOfId(p.subnetId) : undefined);
  return { named, subnetName };
}

function selectorHits(selector: ResourceSelector, resources: PointResources): { resources: boolean; tags: boolean; subnets: boolean } {
  return {
    resources: selector.resources.some((pattern) =>
      resources.named.some((r) => globMatches(pattern, pattern.includes('/') ? r.id : r.name)),
    ),
    tags: selector.tags.some((t) =>
      resources.named.some((r) =>
        Object.entries(r.tags).some(([k, v]) => k.toLowerCase() === t.key.toLowerCase() && (t.value === '*' || globMatches(t.value, v))),
      ),
    ),
    subnets: selector.subnets.some((pattern) => resources.subnetName !== undefined && globMatches(pattern, resources.subnetName)),
  };
}

/** Whether a policy's scope takes in this attachment point. */
export function inScope(policy: FlowPolicy, point: EffectivePoint): boolean {
  const { include, exclude } = policy.scope;
  const noInclude = include.resources.length === 0 && include.tags.length === 0 && include.subnets.length === 0;
  const noExclude = exclude.resources.length === 0 && exclude.tags.length === 0 && exclude.subnets.length === 0;
  if (noInclude && noExclude) return true;
  const resources = resourcesAt(point);
  if (!noInclude) {
    const hits = selectorHits(include, resources);
    if (include.resources.length > 0 && !hits.resources) return false;
    if (include.tags.length > 0 && !hits.tags) return false;
    if (include.subnets.length > 0 && !hits.subnets) return false;
  }
  if (!noExclude) {
    const hits = selectorHits(exclude, resources);
    if (hits.resources || hits.tags || hits.subnets) return false;
  }
  return true;
}

interface Accumulated {
  assertion: FlowAssertion;
  index: number;
  blame: RuleRef;
  chain: readonly RuleRef[];
  ports: Map<FlowProtocol, PortSet | null>;
  remote: AddressSet;
  merged: Set<Violation>;
  points: Map<string, EffectivePoint>;
  witness: Flow;
  ctx: EvaluationContext;
  unresolvedTags: Set<string>;
  notes: Set<string>;
  /** Point key → whether a public path carries the violation there (path-aware rules only). */
  paths: Map<string, { name: string; verdict: PathVerdict }>;
}

/**
 * Judges a policy on every attachment point in its scope where a wanted NSG takes part and
 * returns one finding per (NSG, deciding rule, assertion). Points with no NSG at all are left to
 * NSG-010 (nothing there to blame); points where an NSG failed validation are not judged.
 */
export function evaluatePolicy(
  policy: FlowPolicy,
  view: EstateView,
  output: PolicyOutput,
  /** The points to judge when narrower than the scope can say (e.g. the VMs a Bastion serves); default: all. */
  points: readonly EffectivePoint[] = view.points(),
): Finding[] {
  const accumulated = new Map<string, Accumulated>();
  // By pair first, then by the rest of the question (see memoOf).
  const verdicts = new Map<string, Map<string, Violation[]>>();
  const blameKeys = new Map<string, string>();
  for (const point of points) {
    if (point.blocked || point.nsgs.length === 0) continue;
    if (!point.nsgs.some((n) => view.wants(n.resource.key))) continue;
    if (!inScope(policy, point)) continue;
    policy.assertions.forEach((assertion, index) => {
      const side = view.remote(point.ctx, assertion.remote, assertion.except);
      if (addressIsEmpty(side.set)) return;
      for (const protocol of assertion.protocols) {
        const ported = PORTED.has(protocol);
        let ports = ported ? assertion.ports : ALL_PORTS;
        if (assertion.expect === 'deny' && assertion.when !== 'any') {
          // Only ports where the rules could let a broad set through can be exposed: ask about those.
          const candidates = view.broadPorts(point, assertion.direction, protocol, side);
          if (portIsEmpty(portIntersect(candidates, ports))) continue;
          if (assertion.when === 'every-port' && ported && !portIsSubset(assertion.ports, candidates)) continue;
          // Blaming custom rules only: a broad set the default rules alone let through does not count.
          if (assertion.decidedBy === 'custom' && portIsEmpty(portIntersect(view.customBroadPorts(point, assertion.direction, protocol, side), ports))) continue;
          // The analysis covers what every rule of the run asks of this question, so they share it.
          ports = portIntersect(candidates, view.askedPorts(assertion.direction, protocol, side));
        }
        const shared = view.analyze(point, assertion.direction, protocol, side, ports);
        const at = partsAt(shared, point);
        const byPair = memoOf(verdicts, point.pairKey);
        const key = `${index}|${protocol}|${side.key}|${at.signature}`;
        let violations = byPair.get(key);
        if (!violations) {
          violations =
            assertion.expect === 'deny' ? judgeDeny(assertion, protocol, at.parts, point.ctx) : judgeAllow(assertion, protocol, at.parts);
          byPair.set(key, violations);
        }
        for (const v of violations) {
          const reported = v.blame.admin ? v.blame.admin.id : v.blame.nsg;
          let blamed = blameKeys.get(reported);
          if (blamed === undefined) blameKeys.set(reported, (blamed = normalizeId(reported)));
          const acc = accumulate(accumulated, assertion, index, v, blamed, point, shared.analysis);
          if (output.pathAware && assertion.direction === 'Inbound' && assertion.expect === 'deny') {
            const seen = acc.paths.get(point.key);
            // One exposed violation at a point makes the point exposed.
            if (seen?.verdict.state !== 'exposed') {
              const verdict = pathVerdict(view, point, v.protocol, v.ports, v.witness);
              if (!seen || verdict.state === 'exposed' || verdict.state === 'assumed') acc.paths.set(point.key, { name: point.point.name, verdict });
            }
          }
        }
      }
    });
  }
  const findings: Finding[] = [];
  for (const acc of accumulated.values()) {
    if (!view.wants(blameKey(acc.blame))) continue;
    findings.push(findingOf(policy, output, acc, view));
  }
  return findings;
}

function accumulate(
  accumulated: Map<string, Accumulated>,
  assertion: FlowAssertion,
  index: number,
  v: Violation,
  /** What the finding is reported on (see blameKey), normalised. */
  blamed: string,
  point: EffectivePoint,
  analysis: RegionAnalysis,
): Accumulated {
  const key = `${index}|${blamed}|${v.blame.rule}`;
  let acc = accumulated.get(key);
  if (!acc) {
    acc = {
      assertion,
      index,
      blame: v.blame,
      chain: v.chain,
      ports: new Map(),
      remote: NO_ADDRESS,
      merged: new Set(),
      points: new Map(),
      witness: v.witness,
      ctx: point.ctx,
      unresolvedTags: new Set(),
      notes: new Set(),
      paths: new Map(),
    };
    accumulated.set(key, acc);
  }
  acc.points.set(point.key, point);
  for (const note of point.notes) acc.notes.add(note);
  for (const tag of analysis.unresolvedTags) acc.unresolvedTags.add(tag);
  for (const a of analysis.assumptions) acc.notes.add(a);
  // The same verdict object repeats across points that share it: merge its sets once.
  if (acc.merged.has(v)) return acc;
  acc.merged.add(v);
  acc.remote = addressUnion(acc.remote, v.remote);
  const had = acc.ports.get(v.protocol);
  acc.ports.set(v.protocol, v.ports === null ? null : had ? portUnion(had, v.ports) : v.ports);
  return acc;
}

/** What a finding is reported on: the NSG of the blamed rule, or the security admin rule itself. */
function blameKey(ref: RuleRef): string {
  return normalizeId(ref.admin ? ref.admin.id : ref.nsg);
}

function findingOf(policy: FlowPolicy, output: PolicyOutput, acc: Accumulated, view: EstateView): Finding {
  if (acc.blame.admin) return adminFindingOf(policy, output, acc, acc.blame.admin);
  const nsgKey = normalizeId(acc.blame.nsg);
  const resource = view.estate.networkSecurityGroups.get(nsgKey);
  const nsgName = resource?.name ?? acc.blame.nsgName;
  const points = [...acc.points.values()];
  const where = describeAttachments(points);
  const portsText = describeProtocolPorts(new Map([...acc.ports].map(([p, set]) => [p, set ?? ALL_PORTS])));
  const rule = describeRule(acc.blame);
  const assertion = acc.assertion;
  const side = assertion.direction === 'Inbound' ? 'from' : 'to';
  const parsed = view.nsg(nsgKey)?.nsg;
  const own = (assertion.direction === 'Inbound' ? parsed?.inbound : parsed?.outbound)?.find((r) => r.name === acc.blame.rule);
  const field = own ? (assertion.direction === 'Inbound' ? own.source : own.destination).map((t) => (t.kind === 'asg' ? nameOfId(t.text) : t.text)) : [];
  const ruleText = field.length > 0 ? `${rule.slice(0, -1)}, ${assertion.direction === 'Inbound' ? 'source' : 'destination'} ${field.join(', ')})` : rule;
  const detail =
    assertion.expect === 'deny'
      ? `${ruleText} of NSG ${nsgName} lets ${assertion.direction === 'Inbound' ? 'in' : 'out'} ${portsText} ${side} ${describeAddresses(acc.remote, acc.ctx)}, at ${where}`
      : `${assertion.label} (${portsText} ${side} ${describeAddresses(acc.remote, acc.ctx)}) is denied by ${rule} of NSG ${nsgName}, at ${where}`;
  const ids = [...new Set(points.map((p) => p.point.id))];
  const first = points[0];
  const scope = policy.assertions.length > 1 ? `${assertion.label}|${acc.blame.rule}` : acc.blame.rule;
  const resourceId = resource?.id ?? acc.blame.nsg;
  const paths = acc.paths.size > 0 ? summarizePaths([...acc.paths.values()]) : undefined;
  return {
    ruleId: output.ruleId,
    severity: paths?.state === 'latent' ? latentSeverity(output.severity) : output.severity,
    resourceId,
    resourceName: nsgName,
    scope,
    fingerprint: fingerprint(output.ruleId, resourceId, scope),
    title: output.title,
    message: `${policy.message}: ${detail}${paths?.clause ?? ''}`,
    evidence: evidenceOf(acc, policy, ids, paths, {
      rule: {
        nsg: resourceId,
        name: acc.blame.rule,
        priority: acc.blame.priority,
        direction: acc.blame.direction,
        access: acc.blame.access,
        isDefault: acc.blame.isDefault,
        // The rule's own words help whoever reviews the finding (shown as text, never markup).
        ...(own?.description ? { description: own.description } : {}),
      },
    }),
    remediation: fillRemediation(output.remediation, {
      nsgId: resourceId,
      ruleName: acc.blame.rule,
      ...(first?.point.subnetId ? { subnetId: first.point.subnetId } : {}),
      ...(first?.point.kind === 'networkInterface' ? { nicId: first.point.id } : {}),
    }),
  };
}

/**
 * A finding on a security admin rule: an AlwaysAllow that lets the flows past every NSG, or a Deny
 * that blocks a required flow whatever the NSGs say
 * (https://learn.microsoft.com/azure/virtual-network-manager/concept-security-admins).
 */
function adminFindingOf(policy: FlowPolicy, output: PolicyOutput, acc: Accumulated, admin: AdminRuleOrigin): Finding {
  const points = [...acc.points.values()];
  const where = describeAttachments(points);
  const portsText = describeProtocolPorts(new Map([...acc.ports].map(([p, set]) => [p, set ?? ALL_PORTS])));
  const assertion = acc.assertion;
  const side = assertion.direction === 'Inbound' ? 'from' : 'to';
  const rule = describeAdminRule(acc.blame);
  const detail =
    assertion.expect === 'deny'
      ? `${rule} lets ${assertion.direction === 'Inbound' ? 'in' : 'out'} ${portsText} ${side} ${describeAddresses(acc.remote, acc.ctx)} past every NSG, at ${where}`
      : `${assertion.label} (${portsText} ${side} ${describeAddresses(acc.remote, acc.ctx)}) is denied by ${rule} whatever the NSGs allow, at ${where}`;
  const ids = [...new Set(points.map((p) => p.point.id))];
  const scope = policy.assertions.length > 1 ? `${assertion.label}|${acc.blame.rule}` : acc.blame.rule;
  const paths = acc.paths.size > 0 ? summarizePaths([...acc.paths.values()]) : undefined;
  const parsed = parseResourceId(admin.id);
  const names = parsed?.names ?? [];
  const command = `az network manager security-admin-config rule-collection rule update --resource-group ${parsed?.resourceGroup ?? '<resource-group>'} --network-manager-name ${names[0] ?? '<network-manager>'} --configuration-name ${names[1] ?? '<configuration>'} --rule-collection-name ${names[2] ?? '<rule-collection>'} --rule-name ${names[3] ?? acc.blame.rule} --access Allow`;
  return {
    ruleId: output.ruleId,
    severity: paths?.state === 'latent' ? latentSeverity(output.severity) : output.severity,
    resourceId: admin.id,
    resourceName: acc.blame.rule,
    scope,
    fingerprint: fingerprint(output.ruleId, admin.id, scope),
    title: output.title,
    message: `${policy.message}: ${detail}${paths?.clause ?? ''}`,
    evidence: evidenceOf(acc, policy, ids, paths, {
      adminRule: { ...admin, name: acc.blame.rule, priority: acc.blame.priority, direction: acc.blame.direction, decides: admin.action === 'Deny' ? 'blocks' : 'allows' },
    }),
    remediation: {
      // Allow hands the flow to the NSGs again; the change takes effect once committed to the region.
      az: `${command}\naz network manager post-commit --resource-group ${parsed?.resourceGroup ?? '<resource-group>'} --network-manager-name ${names[0] ?? '<network-manager>'} --commit-type SecurityAdmin --configuration-ids ${admin.configuration} --target-locations <region>`,
      bicep: [
        `// Let the NSGs decide these flows: the admin rule's access Allow passes them on (commit the configuration afterwards)`,
        `resource adminRule 'Microsoft.Network/networkManagers/securityAdminConfigurations/ruleCollections/rules@2024-07-01' = {`,
        `  name: '${acc.blame.rule}'`,
        `  kind: 'Custom'`,
        `  properties: {`,
        `    access: 'Allow'`,
        `    direction: '${acc.blame.direction}'`,
        `    priority: ${acc.blame.priority}`,
        `  }`,
        `}`,
      ].join('\n'),
    },
  };
}

/** A finding's evidence: the witness, the deciding chain, where, what it rests on, and the rule reported (`own`). */
function evidenceOf(acc: Accumulated, policy: FlowPolicy, ids: readonly string[], paths: ReturnType<typeof summarizePaths> | undefined, own: Record<string, unknown>): Finding['evidence'] {
  return {
    witness: toWitness(acc.witness),
    decidedBy: acc.chain.map(decidingRule),
    attachments: ids.slice(0, MAX_ATTACHMENTS),
    ...(ids.length > MAX_ATTACHMENTS ? { attachmentCount: ids.length } : {}),
    ...(acc.unresolvedTags.size > 0 ? { unresolvedTags: [...acc.unresolvedTags] } : {}),
    ...(acc.notes.size > 0 ? { assumptions: [...acc.notes] } : {}),
    ...(paths ? { publicPath: paths.evidence } : {}),
    policy: policy.id,
    assertion: acc.assertion.label,
    ...own,
    ports: Object.fromEntries([...acc.ports].map(([p, set]) => [p, set === null ? 'n/a' : describeProtocolPorts(new Map([[p, set]]))])),
    remote: addressEvidence(acc.remote),
  };
}
