/**
 * evaluateScope: read current state → estate → rules on what the scope can affect → store diff →
 * alerts. The one evaluation path for Event Grid, the reconcile sweep, the CLI and the demo.
 */
import { createHash } from 'node:crypto';
import type { Scope } from '../azure/scopes.js';
import type { Alerter } from '../alerts/index.js';
import { createDispatcher, type Dispatcher, type DispatchReport } from '../alerts/dispatcher.js';
import { loadEstate, type EstateDocument } from '../estate/load.js';
import type { Estate } from '../estate/model.js';
import { fingerprint, type EvaluationResult, type Finding, type ResourceError } from '../verdicts/finding.js';
import { kindOfId, normalizeId, subscriptionOf } from '../arm/index.js';
import { StoreError, type EvaluationCause, type FindingsStore } from '../store/index.js';
import { adminRuleKeys, affectedResources, type AffectedResources, type PreviousGuards } from './affected.js';
import { guardQueryOf, guardsToRemember } from './guards.js';
import { readScopeEstate, type TargetedLimits } from './targeted.js';
import type { EstateSource, EvaluationOutcome, Pipeline, ReadFailure } from './types.js';
import { assertNever, errorMessage } from '../nsg/index.js';

/** About one page per inventory list (fourteen lists, and a scale set or gateway or two): fewer ARM requests than a targeted read, and little to load. */
export const DEFAULT_INVENTORY_PREFERRED_UP_TO = 16;

type CurrentState =
  /** `basis`: for a subscription read whole, a digest of every document the estate was loaded from. */
  | { kind: 'read'; estate: Estate; affected: AffectedResources; basis?: string }
  | { kind: 'failed'; reason: string };

/** A digest of the documents an estate is loaded from: equal digests, equal estates. */
function documentsDigest(documents: readonly EstateDocument[]): string {
  const hash = createHash('sha256');
  for (const document of documents) hash.update(JSON.stringify([document.source, document.json]));
  return hash.digest('base64');
}

/**
 * A digest of the raw service tag data a source hands over (JSON, EstateSource.serviceTags): the
 * same data fetched again, or read again from its file, is the same data.
 */
function serviceTagsDigest(serviceTags: unknown): string {
  return createHash('sha256').update(JSON.stringify(serviceTags ?? null)).digest('base64');
}

/** What the rule catalogue returns for the resources it was asked to judge. */
export interface RulesOutput {
  findings: Finding[];
  errors: ResourceError[];
  /** Normalised ids of every resource the rules judged (invalid NSGs are not judged). */
  judged: string[];
}

/** Runs the catalogue (and users' policies) over an estate, judging only `only`. */
export type EstateEvaluator = (
  estate: Estate,
  options: { only: ReadonlySet<string>; serviceTags: unknown },
) => RulesOutput;

export type PipelineLog = (
  level: 'info' | 'warn' | 'error',
  message: string,
  properties?: Record<string, string | number>,
) => void;

export interface PipelineOptions {
  source: EstateSource;
  store: FindingsStore;
  alerter: Alerter;
  /** Delivers the outbox to the alerter's sinks (default: one over `store` and `alerter`). */
  dispatcher?: Dispatcher;
  evaluate: EstateEvaluator;
  /** When targeted reads give way to the whole inventory (default DEFAULT_TARGETED_LIMITS). */
  targetedLimits?: TargetedLimits;
  /**
   * A subscription whose whole inventory last took at most this many ARM requests (about a page
   * per list) is read whole for events too: that is quick, and a targeted read would spend more of
   * ARM's read budget (default 8).
   */
  inventoryPreferredUpTo?: number;
  /** Injected clock (durations and event-to-finding latency). */
  now?: () => Date;
  log?: PipelineLog;
}

export function createPipeline(options: PipelineOptions): Pipeline {
  const now = options.now ?? (() => new Date());
  const log: PipelineLog = options.log ?? (() => undefined);
  const dispatcher = options.dispatcher ?? createDispatcher({ store: options.store, alerter: options.alerter, now, log });

  async function dispatch(): Promise<DispatchReport | undefined> {
    try {
      return await dispatcher.dispatch();
    } catch (error) {
      log('warn', `alerts wait in the outbox: ${errorMessage(error)}`);
      return undefined;
    }
  }

  /**
   * The estate to judge the scope from, every resource read now: what the scope touches when the
   * source reads by id and the context is small, else the subscription's whole inventory.
   */
  /** ARM requests the last whole-inventory read of each subscription took. */
  const inventoryCost = new Map<string, number>();
  const preferInventoryUpTo = options.inventoryPreferredUpTo ?? DEFAULT_INVENTORY_PREFERRED_UP_TO;

  async function readCurrent(scope: Scope, previous: PreviousGuards | undefined): Promise<CurrentState> {
    const targeted = options.source.targeted;
    const cost = inventoryCost.get(scope.subscriptionId);
    const smallInventory = cost !== undefined && cost <= preferInventoryUpTo;
    if (targeted && scope.kind !== 'subscription' && !smallInventory) {
      const read = await readScopeEstate(targeted, scope, options.targetedLimits, previous);
      switch (read.kind) {
        case 'read':
          return { kind: 'read', estate: read.estate, affected: read.affected };
        case 'failed':
          return { kind: 'failed', reason: describeFailures(read.failures) };
        case 'too-large':
          log('info', `${scope.kind} ${scope.id}: reading the whole inventory, ${read.reason}`, { scope: scope.id });
          break;
        default:
          return assertNever(read);
      }
    }
    const priority = scope.kind === 'subscription' ? 'sweep' : 'event';
    const inventory = await options.source.readInventory(scope.subscriptionId, { priority });
    // A partial read could make present resources look absent: conclude nothing from it.
    if (inventory.failures.length > 0) return { kind: 'failed', reason: describeFailures(inventory.failures) };
    inventoryCost.set(scope.subscriptionId, inventory.reads - (inventory.perNetworkReads ?? 0));
    if (scope.kind !== 'subscription') {
      const estate = loadEstate(inventory.documents);
      return { kind: 'read', estate, affected: affectedResources(estate, scope, undefined, previous) };
    }
    // A subscription judged whole from the same documents has the same estate and the same
    // affected set (no guard memory takes part): the last one is taken instead of loading again.
    const basis = documentsDigest(inventory.documents);
    const last = lastEstate.get(scope.subscriptionId);
    if (last?.basis === basis && last.scopeId === scope.id) return { kind: 'read', estate: last.estate, affected: last.affected, basis };
    // The old estate is let go before the new one is built: at most one per subscription in memory.
    lastEstate.delete(scope.subscriptionId);
    const estate = loadEstate(inventory.documents);
    const affected = affectedResources(estate, scope, undefined, previous);
    lastEstate.set(scope.subscriptionId, { basis, scopeId: scope.id, estate, affected });
    return { kind: 'read', estate, affected, basis };
  }

  /** Each subscription's estate as last loaded whole, with the digest of its documents and the scope it was loaded for. */
  const lastEstate = new Map<string, { basis: string; scopeId: string; estate: Estate; affected: AffectedResources }>();

  /**
   * The rules' answer for each subscription's last sweep and what it was judged from. The rules
   * are pure: the same documents (so the same estate and judged set) with the same service tag
   * data give the same answer, which a sweep of an unchanged subscription takes instead of judging
   * it all again. Anything read differently, one byte of one resource, judges afresh.
   */
  const lastSweep = new Map<string, { basis: string; rules: RulesOutput }>();

  function judge(scope: Scope, current: Extract<CurrentState, { kind: 'read' }>, serviceTags: unknown): RulesOutput {
    const { estate, affected } = current;
    if (current.basis === undefined) return options.evaluate(estate, { only: affected.resources, serviceTags });
    const basis = `${current.basis} ${serviceTagsDigest(serviceTags)}`;
    const last = lastSweep.get(scope.subscriptionId);
    if (last?.basis === basis) return last.rules;
    // The old answer is let go before the new one is built: at most one per subscription in memory.
    lastSweep.delete(scope.subscriptionId);
    const rules = options.evaluate(estate, { only: affected.resources, serviceTags });
    lastSweep.set(scope.subscriptionId, { basis, rules });
    return rules;
  }

  async function evaluateScope(scope: Scope, cause: EvaluationCause = {}): Promise<EvaluationOutcome> {
    const started = now().getTime();
    const failed = (failure: string, errors: ResourceError[] = []): EvaluationOutcome => {
      const durationMs = now().getTime() - started;
      options.alerter.recordEvaluation({ ok: false, durationMs, scope: scope.id, reason: failure });
      log('error', `evaluation of ${scope.kind} ${scope.id} failed: ${failure}`, { scope: scope.id });
      return { scope, status: 'failed', transitions: [], findings: 0, judged: 0, errors, failure, durationMs };
    };

    let current: CurrentState;
    let serviceTags: unknown;
    let previous: PreviousGuards | undefined;
    try {
      // What guarded the scope's subnets and NICs when last judged: an NSG they dropped is affected.
      const guardQuery = guardQueryOf(scope);
      if (guardQuery) previous = await options.store.recallGuards(guardQuery);
      current = await readCurrent(scope, previous);
      if (current.kind === 'failed') return failed(`could not read the current state (${current.reason})`);
      serviceTags = await options.source.serviceTags(scope.subscriptionId);
    } catch (error) {
      return failed(errorMessage(error));
    }
    const { estate, affected } = current;

    const invalid = new Set(estate.errors.map((e) => normalizeId(e.resourceId)));
    // A scope resource that failed validation is present, not deleted: bad input resolves nothing.
    const deleted = affected.scopeDeleted && !invalid.has(scope.id) ? [scope.id] : [];
    // Storage reads what is stored for these resources while the rules run (the requests go out
    // before the rules take the thread).
    const ahead = options.store.readAhead(affected.resources);
    await new Promise<void>((resolve) => setImmediate(resolve));
    const rules = ownedBySubscription(judge(scope, current, serviceTags), scope.subscriptionId);
    const relevant = (e: ResourceError): boolean =>
      scope.kind === 'subscription' ? true : affected.resources.has(normalizeId(e.resourceId)) || normalizeId(e.resourceId) === scope.id;
    const errors = [...estate.errors.filter(relevant), ...rules.errors];
    const result: EvaluationResult = {
      read: rules.judged,
      findings: rules.findings,
      errors,
      unreadable: [],
      deleted,
      // A subscription judged whole settles the findings its networks gave security admin rules,
      // those of rules gone from them included.
      ...(scope.kind === 'subscription' ? { adminRulesOf: { subscriptionId: scope.subscriptionId, held: [...adminRuleKeys(estate)] } } : {}),
    };

    let transitions;
    try {
      transitions = await options.store.applyEvaluation(result, cause, ahead);
    } catch (error) {
      // What did commit before the store failed is in the outbox with it: deliver it, then fail for a retry.
      if (error instanceof StoreError && error.committed.length > 0) await dispatch();
      return failed(`the findings store refused the write: ${errorMessage(error)}`, errors);
    }
    // Each transition committed with its notification (the outbox): deliver now; a sink that is
    // down keeps it for a later round (the next evaluation, or the dispatch timer).
    if (transitions.length > 0) await dispatch();
    // Then what guards each subnet and NIC now; until it is recorded, the evaluation is not done.
    const guards = guardsToRemember(estate, scope, previous);
    if (guards.size > 0 || scope.kind === 'subscription') {
      try {
        await options.store.rememberGuards(scope.subscriptionId, guards, { sweep: scope.kind === 'subscription' });
      } catch (error) {
        return failed(`could not record what guards the subnets and NICs: ${errorMessage(error)}`, errors);
      }
    }
    const durationMs = now().getTime() - started;
    options.alerter.recordEvaluation({ ok: true, durationMs, scope: scope.id });
    for (const error of errors) {
      log('warn', `${error.resourceId}${error.rule ? ` rule ${error.rule}` : ''}${error.field ? ` field ${error.field}` : ''}: ${error.message}`);
    }
    return {
      scope,
      status: 'evaluated',
      transitions,
      findings: rules.findings.length,
      judged: rules.judged.length,
      errors,
      durationMs,
    };
  }

  async function sweep(subscriptionId?: string, cause: EvaluationCause = {}): Promise<EvaluationOutcome[]> {
    const subscriptions = subscriptionId ? [subscriptionId] : await options.source.subscriptions();
    const outcomes: EvaluationOutcome[] = [];
    // One subscription at a time: ARM's read budget is per subscription, and a sweep must not burst.
    for (const sub of subscriptions) {
      const id = sub.toLowerCase();
      outcomes.push(await evaluateScope({ kind: 'subscription', id: `/subscriptions/${id}`, subscriptionId: id }, cause));
    }
    return outcomes;
  }

  return { evaluateScope, sweep, dispatch };
}

/**
 * A security admin rule of a manager in another subscription is judged at each subscription's
 * networks by that subscription's evaluation: its findings there are that subscription's, one per
 * subscription, so two subscriptions judging the same rule never write (or resolve) each other's.
 * The scope says where it was judged.
 */
function ownedBySubscription(rules: RulesOutput, subscriptionId: string): RulesOutput {
  const foreign = (finding: Finding): boolean =>
    kindOfId(normalizeId(finding.resourceId)) === 'adminRule' && subscriptionOf(finding.resourceId)?.toLowerCase() !== subscriptionId;
  if (!rules.findings.some(foreign)) return rules;
  return {
    ...rules,
    findings: rules.findings.map((finding) => {
      if (!foreign(finding)) return finding;
      const scope = `${finding.scope}|judged at /subscriptions/${subscriptionId}`;
      return { ...finding, scope, fingerprint: fingerprint(finding.ruleId, finding.resourceId, scope) };
    }),
  };
}

function describeFailures(failures: readonly ReadFailure[]): string {
  return failures.map((f) => `${f.target}: ${f.reason}`).join('; ');
}

