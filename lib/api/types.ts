/**
 * What the HTTP API needs from the rest of nsgwatch. The Functions app and the dev server build
 * these from their own sources (ARM or files) and hand them to {@link createApi}.
 */
import type { FindingsStore } from '../store/index.js';
import type { RuleMeta } from '../rules/support/types.js';
import type { ApiAccess } from './access.js';

/** One rule of the catalogue as the API shows it: its metadata without the compiled policy. */
export type RuleInfo = Pick<RuleMeta, 'id' | 'title' | 'severity' | 'description' | 'rationale' | 'remediation' | 'references'>;

/** A flow question in the words of `nsgwatch flow --queries` (DESIGN §5). */
export interface FlowQuery {
  /** Name or ARM id of the NSG to ask (exactly one of nsg / nic). */
  nsg?: string;
  /** Name or ARM id of the NIC to ask: its subnet's NSG and its own, composed. */
  nic?: string;
  direction: 'inbound' | 'outbound';
  protocol: string;
  source: string;
  sourcePort?: number;
  destination: string;
  destinationPort?: number;
}

export interface FlowDecidedBy {
  nsg: string;
  rule: string;
  priority: number;
  /** A security admin rule: manager, configuration, collection (names) and its action. */
  admin?: { manager: string; configuration: string; collection: string; action: 'Allow' | 'Deny' | 'AlwaysAllow' };
}

/** The answer to one flow question: a verdict, or why the question could not be answered. */
export type FlowAnswer =
  | { access: 'Allow' | 'Deny'; decidedBy: FlowDecidedBy[]; notes?: string[] }
  | { error: { code: string; message: string; field?: string } };

export interface FlowChecker {
  /** Answers in the order asked; one bad question never stops the others. */
  check(queries: readonly FlowQuery[]): Promise<FlowAnswer[]>;
}

export interface ScanRequest {
  /** One subscription, or every watched one when absent. */
  subscriptionId?: string;
  /** Who asked: the signed-in principal's name. */
  requestedBy?: string;
}

export type ScanStart =
  | { ok: true; started: { scanId: string; subscriptions: string[]; startedAt: string } }
  | { ok: false; error: { code: 'unknownSubscription' | 'unavailable'; message: string } };

export interface ScanStarter {
  /** Start a sweep and return at once; the sweep's transitions reach the store and the alerts. */
  start(request: ScanRequest): Promise<ScanStart>;
}

export type ApiLogLevel = 'info' | 'warn' | 'error';
export type ApiLog = (level: ApiLogLevel, message: string) => void;

export interface ApiDeps {
  /** Who may call what: Entra ID tokens in Azure, the local user in `nsgwatch dev`. */
  access: ApiAccess;
  store: FindingsStore;
  /** The rule catalogue (built-in rules and loaded policies). */
  rules: () => readonly RuleInfo[];
  flow: FlowChecker;
  scan: ScanStarter;
  /** Serves the dashboard's page and assets; absent when only the JSON API is wanted. */
  dashboard?: DashboardAssets;
  now?: () => Date;
  log?: ApiLog;
}

/** Static files of the dashboard, by the path under its root ('' is the page). */
export interface DashboardAssets {
  /** Origins the page may fetch from besides its own (the sign-in issuer), for its CSP. */
  connectSources?: readonly string[];
  /** Undefined when there is no such file. */
  read(path: string): Promise<{ contentType: string; body: Uint8Array } | undefined>;
}
