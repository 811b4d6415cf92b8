/**
 * The evaluation pipeline's contract: one `evaluateScope` used by the Event Grid path, the
 * reconcile sweep, the CLI and the local demo. Read current state → engine and rules → store diff
 * → alerts. Sources differ (ARM in Azure, files locally); nothing else does.
 */
import type { DispatchReport } from '../alerts/dispatcher.js';
import type { Scope } from '../azure/scopes.js';
import type { EvaluationCause, Transition } from '../store/index.js';
import type { ResourceError } from '../verdicts/finding.js';
import type { EstateDocument } from '../estate/load.js';

/** Where current state comes from. Every call re-reads: events are hints, never data. */
export interface EstateSource {
  /** 'arm' or 'files', for logs. */
  readonly kind: 'arm' | 'files';
  /** Subscriptions this source can read (the watched ones). */
  subscriptions(): Promise<string[]>;
  /** The inventory of one subscription: documents in any shape lib/estate loads. */
  readInventory(subscriptionId: string, options?: ReadOptions): Promise<InventoryRead>;
  /** Raw service tag data for the engine (ServiceTags file or Discovery API shape), if any. */
  serviceTags(subscriptionId: string): Promise<unknown>;
  /**
   * Reads by id, for evaluating one scope from what it touches instead of the whole inventory.
   * Sources without it (files) are always read whole.
   */
  readonly targeted?: TargetedReads;
}

export interface TargetedReads {
  /**
   * The resources these ids name (a child id reads its parent and checks the child is there),
   * then what they reference, `depth` hops out.
   */
  readResources(ids: readonly string[], options: { depth: number; maxResources: number }): Promise<ResourcesRead>;
  /** Every resource of one type in a subscription. */
  listResources(subscriptionId: string, type: ListedType): Promise<ResourcesRead>;
  /**
   * What a network's gateway gives its VirtualNetwork beyond ARM (BGP), as the inventory reads it:
   * a NIC's effective routes per network behind a gateway among `resources`. Refused reads are left
   * out (VirtualNetwork keeps what ARM holds); other failures are failures.
   */
  readLearnedRoutes?(resources: readonly unknown[]): Promise<ResourcesRead>;
  /**
   * What each virtual network adds that no resource holds: its effective security admin rules
   * (documents lib/estate loads). Read once the context is complete, for the networks of its points.
   */
  readNetworkDocuments?(virtualNetworkIds: readonly string[]): Promise<{ documents: unknown[]; failures: ReadFailure[]; reads: number }>;
}

export type ListedType =
  | 'Microsoft.Network/networkSecurityGroups'
  | 'Microsoft.Network/networkInterfaces'
  | 'Microsoft.Network/bastionHosts'
  /** The services a subnet's verdict depends on: only their own lists say which sits in a subnet. */
  | 'Microsoft.Network/applicationGateways'
  | 'Microsoft.ApiManagement/service'
  | 'Microsoft.ContainerService/managedClusters'
  | 'Microsoft.AAD/domainServices'
  /**
   * What a NIC's public path depends on beyond its own references: an IP-based backend pool names
   * addresses, not the NIC, and only the lists say whether the subscription has any at all.
   */
  | 'Microsoft.Network/loadBalancers'
  | 'Microsoft.Network/publicIPAddresses';

export interface ResourcesRead {
  /** Top-level resources, each once, in any shape lib/estate loads. */
  resources: unknown[];
  /** Ids confirmed not to exist. */
  deleted: string[];
  /** Reads that failed after retries: what they would have said is unknown. */
  failures: ReadFailure[];
  /** True when `maxResources` stopped the read short (what was left is neither read nor failed). */
  limited: boolean;
  reads: number;
}

export interface ReadOptions {
  /** Sweeps read from a lower-priority lane of the ARM read budget so events are never starved. */
  priority: 'event' | 'sweep';
}

export interface InventoryRead {
  documents: EstateDocument[];
  /** Reads that failed after retries: nothing under them may be resolved. */
  failures: ReadFailure[];
  /** How many reads (ARM calls, files) it took. */
  reads: number;
  /**
   * Of those, the reads a targeted read makes as well, one per virtual network (its effective
   * security admin rules): they do not count towards "a small inventory".
   */
  perNetworkReads?: number;
}

export interface ReadFailure {
  /** The resource or collection that could not be read (e.g. a list URL's resource type). */
  target: string;
  reason: string;
}

export interface EvaluationOutcome {
  scope: Scope;
  status: 'evaluated' | 'failed';
  transitions: Transition[];
  /** Findings currently produced for the scope (open or suppressed). */
  findings: number;
  /** Normalised ids of the resources judged. */
  judged: number;
  errors: ResourceError[];
  /** Why nothing could be concluded, when status is 'failed'. */
  failure?: string;
  durationMs: number;
}

export interface Pipeline {
  evaluateScope(scope: Scope, cause?: EvaluationCause): Promise<EvaluationOutcome>;
  /**
   * Delivers the outbox: what every transition (this evaluation's, a suppression's, an earlier
   * round's that a sink refused) still owes a sink. Undefined when Table Storage failed: the rows
   * stay for the next round.
   */
  dispatch(): Promise<DispatchReport | undefined>;
  /** Full sweep of one subscription (or every watched subscription). */
  sweep(subscriptionId?: string, cause?: EvaluationCause): Promise<EvaluationOutcome[]>;
}
