/**
 * Policies as data: a scope (which attachment points) and flow assertions of the two kinds every
 * built-in exposure rule is made of — "these flows must be denied" and "these flows must be
 * allowed". Users write them in YAML or JSON (see docs/policies.md); the built-in exposure rules
 * are written in the same form. Pure data.
 */
import type { Direction, FlowProtocol, PortSet } from '../nsg/index.js';
import type { Severity } from '../verdicts/finding.js';

/**
 * When a deny assertion is violated:
 * - `any`: some flow of the set is allowed;
 * - `broad`: for some port, the remote addresses allowed are broad (DESIGN §3's threshold: more
 *   than a /8 of IPv4, a /32 of IPv6, or an unresolved public service tag);
 * - `every-port`: every port of the set is broadly reachable.
 */
export type DenyWhen = 'any' | 'broad' | 'every-port';

/** When an allow assertion is violated: `all`: some flow of the set is denied; `some`: no flow is allowed. */
export type AllowWhen = 'all' | 'some';

/** Which allowing rules a deny assertion blames: every rule, or custom rules only (default rules are exempt). */
export type RuleSelection = 'any' | 'custom';

export const DENY_WHEN: readonly DenyWhen[] = ['any', 'broad', 'every-port'];
export const ALLOW_WHEN: readonly AllowWhen[] = ['all', 'some'];
export const RULE_SELECTIONS: readonly RuleSelection[] = ['any', 'custom'];

interface AssertionBase {
  /** How messages name the flow set, e.g. "inbound TCP 22 from Internet". */
  label: string;
  direction: Direction;
  protocols: readonly FlowProtocol[];
  /** Destination ports (every port when the assertion names none); ignored for Icmp/Esp/Ah. */
  ports: PortSet;
  /**
   * The far side (`from` inbound, `to` outbound) as written: `*`, `Internet`, `VirtualNetwork`,
   * `AzureLoadBalancer`, a service tag, or an IP/CIDR. Resolved in each attachment's context.
   */
  remote: readonly string[];
  /** Taken out of `remote`, same vocabulary. */
  except: readonly string[];
}

export interface DenyAssertion extends AssertionBase {
  expect: 'deny';
  when: DenyWhen;
  decidedBy: RuleSelection;
}

export interface AllowAssertion extends AssertionBase {
  expect: 'allow';
  when: AllowWhen;
}

export type FlowAssertion = DenyAssertion | AllowAssertion;

export interface TagSelector {
  key: string;
  /** `*` matches any value. */
  value: string;
}

/** One kind of selector per list; an empty list does not constrain. Wildcards: `*` and `?`. */
export interface ResourceSelector {
  /** Names or ARM ids of the NSGs, subnets, NICs or virtual networks at the attachment point. */
  resources: readonly string[];
  /** Tags of those resources (`key=value`; a resource carrying one of them matches). */
  tags: readonly TagSelector[];
  /** Names of the subnet the attachment point sits in. */
  subnets: readonly string[];
}

export interface PolicyScope {
  /** Attachment points that match every non-empty list (an empty selector matches all). */
  include: ResourceSelector;
  /** Attachment points that match any entry of any list are left out. */
  exclude: ResourceSelector;
}

export interface FlowPolicy {
  id: string;
  severity: Severity;
  title: string;
  /** One line a person understands; findings add what was found after it. */
  message: string;
  description: string;
  scope: PolicyScope;
  assertions: readonly FlowAssertion[];
  /** Where it was read from (`file:line`), or `built-in`. */
  source: string;
}

/**
 * The written form of a policy, as in a user's YAML/JSON file. Values are still unchecked:
 * compilePolicy / parsePolicies validate them.
 */
export interface FlowSetSpec {
  label?: string;
  direction: string;
  protocol?: string | readonly string[];
  ports?: number | string | readonly (number | string)[];
  from?: string | readonly string[];
  to?: string | readonly string[];
  except?: string | readonly string[];
  when?: string;
  decidedBy?: string;
}

export interface ScopeSpec {
  resources?: string | readonly string[];
  tags?: Readonly<Record<string, string>> | readonly string[];
  subnets?: string | readonly string[];
  exclude?: Omit<ScopeSpec, 'exclude'>;
}

export interface PolicySpec {
  id: string;
  severity: string;
  title?: string;
  message: string;
  description?: string;
  scope?: ScopeSpec;
  deny?: readonly FlowSetSpec[];
  allow?: readonly FlowSetSpec[];
}

/** A problem in a policy file: where (file:line:column when known), which field, what. */
export interface PolicyError {
  source: string;
  line?: number;
  column?: number;
  /** The field as a path, e.g. `policies[0].deny[1].ports`. */
  path: string;
  message: string;
}

export type PolicyParseResult = { ok: true; policies: FlowPolicy[] } | { ok: false; errors: PolicyError[] };
