/**
 * evaluateEstate: the catalogue (and users' policies) over an estate, reporting only on the
 * resources in `only` while judging them with the whole estate as context. Pure.
 */
import type { Estate } from '../../estate/model.js';
import { errorMessage, isRecord, parseServiceTags, type ServiceTagData } from '../../nsg/index.js';
import { intentPolicyAuthor, serviceOwningNsg, servicesOfSubnet } from '../../estate/services.js';
import type { FlowPolicy } from '../../policy/model.js';
import { RULES } from '../catalogue.js';
import { SEVERITIES, type Finding, type ResourceError } from '../../verdicts/finding.js';
import { normalizeId } from '../../arm/index.js';
import { ruleFromPolicy } from './policy-rule.js';
import type { Rule } from './types.js';
import { createEstateView, type EstateView, type RuleSettings } from '../../verdicts/view.js';

export interface EvaluateOptions {
  /** Normalised ids of the NSGs, subnets and NICs to judge and report on; absent: every resource. */
  only?: ReadonlySet<string>;
  /**
   * Service tag data: parsed (lib/nsg ServiceTagData), or the JSON of the weekly ServiceTags file
   * or of the Discovery API; absent: tags stay symbolic (DESIGN §3).
   */
  serviceTags?: unknown;
  settings?: Partial<RuleSettings>;
  /** Users' policies, evaluated beside the catalogue. */
  policies?: readonly FlowPolicy[];
  /** The rules to run (default: the whole catalogue). */
  rules?: readonly Rule[];
  /** Called before each rule runs (progress for long scans). */
  onRule?: (ruleId: string, index: number, total: number) => void;
}

export interface EvaluateOutput {
  findings: Finding[];
  /** NSGs that failed validation (resource, rule, field), service tag data that could not be read, rules that failed. */
  errors: ResourceError[];
  /**
   * Normalised ids of every resource judged: the wanted NSGs that passed validation (and took part
   * in no point another invalid NSG blocks), subnets and NICs. Findings on a judged resource that
   * are not produced again have resolved; anything else is left as it was.
   */
  judged: string[];
  /**
   * Wanted NSGs, subnets and NICs whose verdicts rest, at some attachment point, on input that failed
   * validation: with the reasons. A gate never passes on these; the store resolves nothing of theirs.
   */
  unjudged: UnjudgedResource[];
}

export interface UnjudgedResource {
  resourceId: string;
  kind: 'networkSecurityGroup' | 'subnet' | 'networkInterface';
  reasons: string[];
}

function isServiceTagData(value: unknown): value is ServiceTagData {
  return typeof value === 'object' && value !== null && typeof (value as { has?: unknown }).has === 'function' && typeof (value as { addressSet?: unknown }).addressSet === 'function';
}

const parsedTags = new WeakMap<object, ReturnType<typeof parseServiceTags>>();

function serviceTagsOf(value: unknown): { data?: ServiceTagData; error?: string } {
  if (value === undefined || value === null) return {};
  if (isServiceTagData(value)) return { data: value };
  if (typeof value !== 'object') return { error: 'service tag data is not a JSON object' };
  let parsed = parsedTags.get(value);
  if (!parsed) {
    parsed = parseServiceTags(value);
    parsedTags.set(value, parsed);
  }
  return parsed.ok ? { data: parsed.data } : { error: `service tag data could not be read: ${parsed.error}` };
}

const BY_SEVERITY = new Map(SEVERITIES.map((s, i) => [s, i]));

export function compareFindings(a: Finding, b: Finding): number {
  return (
    (BY_SEVERITY.get(a.severity) ?? 0) - (BY_SEVERITY.get(b.severity) ?? 0) ||
    a.ruleId.localeCompare(b.ruleId) ||
    a.resourceId.toLowerCase().localeCompare(b.resourceId.toLowerCase()) ||
    a.scope.localeCompare(b.scope)
  );
}

/**
 * A finding whose deciding rule a service wrote names the service as its author: AKS writes the
 * rules of LoadBalancer services into its node-pool NSG, SQL Managed Instance and Databricks write
 * their intent-policy rules. The finding stays (the exposure is real); the fix is the service's
 * configuration, not an edit of the rule, which the service would write back.
 */
function withAuthor(estate: Estate, finding: Finding): Finding {
  const rule = finding.evidence['rule'];
  if (!isRecord(rule) || typeof rule['nsg'] !== 'string' || typeof rule['name'] !== 'string' || rule['isDefault'] === true) return finding;
  const author = intentPolicyAuthor(rule['name']) ?? serviceOwningNsg(estate, rule['nsg']);
  if (!author) return finding;
  const how = author.kind === 'kubernetes' ? 'AKS writes the rules of Kubernetes LoadBalancer services there: change the Service, not the rule' : 'its network intent policy keeps it';
  return {
    ...finding,
    message: `${finding.message} (rule written by ${author.name}: ${how})`,
    evidence: { ...finding.evidence, author: { service: author.name, recognisedBy: author.recognisedBy, ...(author.document ? { document: author.document } : {}) } },
  };
}

/** Attachment point id (normalised) → its subnet's id, for naming the service a finding sits with. */
function subnetsOfPoints(view: EstateView): (id: string) => string | undefined {
  let byId: Map<string, string> | undefined;
  return (id) => {
    if (!byId) {
      byId = new Map();
      for (const p of view.relations.attachments) if (p.subnetId) byId.set(p.key, p.subnetId);
    }
    const key = normalizeId(id);
    return view.estate.subnets.has(key) ? key : byId.get(key);
  };
}

/** A finding on a service's subnet says which service, and where its requirements are documented. */
function withService(estate: Estate, subnetOf: (id: string) => string | undefined, finding: Finding): Finding {
  if (finding.evidence['service'] !== undefined) return finding;
  const ids = [finding.resourceId, ...(finding.evidence.attachments ?? [])];
  for (const id of ids) {
    const subnet = subnetOf(id);
    const uses = subnet ? servicesOfSubnet(estate, subnet) : [];
    const use = uses.find((u) => u.document !== undefined) ?? uses[0];
    if (!use) continue;
    return { ...finding, evidence: { ...finding.evidence, service: { name: use.name, document: use.document ?? '', recognisedBy: use.recognisedBy } } };
  }
  return finding;
}

/** What one rule produced: its findings, or why it could not be evaluated. */
export type RuleRun = { ruleId: string; findings: Finding[] } | { ruleId: string; error: string };

/**
 * One evaluation, in steps: the view and the rules to run; `run(index)` evaluates one of them;
 * `finish` turns the runs (in the rules' order, from this evaluation or from another one over the
 * same estate and options, e.g. on another thread) into the output, as evaluateEstate gives it.
 */
export interface Evaluation {
  view: EstateView;
  rules: readonly Rule[];
  run(index: number): RuleRun;
  finish(runs: readonly RuleRun[]): EvaluateOutput;
}

export function prepareEvaluation(estate: Estate, options: Omit<EvaluateOptions, 'onRule'> = {}): Evaluation {
  const tags = serviceTagsOf(options.serviceTags);
  const builtins = options.rules ?? RULES;
  const rules = [...builtins, ...(options.policies ?? []).map(ruleFromPolicy)];
  // Each policy's questions, numbered by the rule that asks them (users' policies after the catalogue).
  const policies = [...builtins.map((r) => r.meta.policy?.compiled), ...(options.policies ?? [])];
  const view = createEstateView(estate, {
    ...(options.only ? { only: options.only } : {}),
    ...(tags.data ? { serviceTags: tags.data } : {}),
    ...(options.settings ? { settings: options.settings } : {}),
    questions: policies.flatMap((p, asker) =>
      (p?.assertions ?? []).flatMap((a) => a.protocols.map((protocol) => ({ direction: a.direction, protocol, remote: a.remote, except: a.except, ports: a.ports, asker }))),
    ),
  });
  const run = (index: number): RuleRun => {
    const rule = rules[index];
    if (!rule) throw new RangeError(`no rule at index ${index}`);
    try {
      return { ruleId: rule.meta.id, findings: rule.evaluate(view) };
    } catch (error) {
      return { ruleId: rule.meta.id, error: errorMessage(error) };
    } finally {
      view.endRule(index);
    }
  };
  const finish = (runs: readonly RuleRun[]): EvaluateOutput => {
    const errors: ResourceError[] = [];
    if (tags.error) errors.push({ resourceId: '', field: 'serviceTags', message: `${tags.error}; service tags are treated as unresolved` });
    const findings: Finding[] = [];
    let failed = false;
    for (const run of runs) {
      if ('findings' in run) {
        for (const finding of run.findings) findings.push(finding);
        continue;
      }
      // A defect must not pass for "no findings": nothing is judged, so nothing resolves.
      failed = true;
      errors.push({ resourceId: '', message: `rule ${run.ruleId} could not be evaluated: ${run.error}` });
    }
    const judged: string[] = [];
    const unjudgedByKey = view.unjudged();
    if (!failed) {
      const partial = view.partiallyJudged();
      for (const resource of view.wantedNsgs()) {
        if (view.nsg(resource.key) && !partial.has(resource.key)) judged.push(resource.key);
      }
      for (const map of [estate.subnets, estate.networkInterfaces]) {
        for (const key of map.keys()) if (view.wants(key) && !unjudgedByKey.has(key)) judged.push(key);
      }
      // Findings on a security admin rule (an AlwaysAllow that lets flows past the NSGs, a Deny that blocks a required one).
      judged.push(...view.judgedAdminRules());
    } else {
      for (const resource of view.wantedNsgs()) view.nsg(resource.key);
    }
    errors.push(...view.errors());
    const unique = new Map<string, Finding>();
    const subnetOf = subnetsOfPoints(view);
    for (const finding of findings) if (!unique.has(finding.fingerprint)) unique.set(finding.fingerprint, withService(estate, subnetOf, withAuthor(estate, finding)));
    const unjudged = [...unjudgedByKey.values()].map((u) => ({ resourceId: u.id, kind: u.kind, reasons: u.reasons }));
    return { findings: [...unique.values()].sort(compareFindings), errors, judged: judged.map(normalizeId), unjudged };
  };
  return { view, rules, run, finish };
}

export function evaluateEstate(estate: Estate, options: EvaluateOptions = {}): EvaluateOutput {
  const evaluation = prepareEvaluation(estate, options);
  const runs: RuleRun[] = [];
  for (const [index, rule] of evaluation.rules.entries()) {
    options.onRule?.(rule.meta.id, index, evaluation.rules.length);
    runs.push(evaluation.run(index));
  }
  return evaluation.finish(runs);
}
