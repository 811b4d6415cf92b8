/**
 * GET /api/summary: what the dashboard's header and charts show — open findings by severity and
 * by rule, and a trend of transitions over time from the history.
 */
import { SEVERITIES, type Severity } from '../verdicts/finding.js';
import { TRANSITION_KINDS, type HistoryEntry, type StoredFinding, type TransitionKind } from '../store/index.js';
import { errorResponse, jsonResponse, type ApiRequest, type ApiResponse } from './http.js';
import { checkInteger, checkParameters } from './params.js';
import type { ApiDeps } from './types.js';
import { assertNever } from '../nsg/index.js';

/** Open findings read for the per-rule counts; beyond this the summary says it is partial. */
const MAX_FINDINGS_READ = 5000;
const PAGE = 500;
const DEFAULT_DAYS = 30;
const MAX_DAYS = 90;
/** The trend has at most about this many buckets, whatever the span. */
const TARGET_BUCKETS = 60;

/** Bucket widths the trend picks from, smallest first (seconds). */
const BUCKET_SECONDS = [1, 5, 15, 60, 300, 900, 3600, 6 * 3600, 86_400] as const;

export interface TrendPoint {
  /** Start of the bucket, ISO 8601 UTC. */
  start: string;
  counts: Record<TransitionKind, number>;
  /** Open (unsuppressed) findings at the end of the bucket. */
  open: number;
}

export interface Trend {
  bucketSeconds: number;
  points: TrendPoint[];
}

export interface Summary {
  generatedAt: string;
  open: number;
  openBySeverity: Record<Severity, number>;
  openByRule: { ruleId: string; severity: Severity; title: string; count: number }[];
  /** True when there were more open findings than the summary reads: per-rule counts are partial. */
  partial: boolean;
  trend: Trend;
}

export async function getSummary(deps: ApiDeps, request: ApiRequest): Promise<ApiResponse> {
  const unknown = checkParameters(request.query, ['days']);
  if (unknown) return errorResponse(unknown);
  let days = DEFAULT_DAYS;
  const rawDays = request.query.get('days');
  if (rawDays !== null) {
    const checked = checkInteger(rawDays, 'days', 1, MAX_DAYS);
    if (!checked.ok) return errorResponse(checked.error);
    days = checked.value;
  }
  const now = (deps.now ?? (() => new Date()))();
  const since = new Date(now.getTime() - days * 86_400_000);
  const [bySeverity, open, history] = await Promise.all([
    deps.store.countOpenFindings(),
    readOpenFindings(deps),
    deps.store.listHistory({ since }),
  ]);
  const openTotal = SEVERITIES.reduce((sum, s) => sum + bySeverity[s], 0);
  const summary: Summary = {
    generatedAt: now.toISOString(),
    open: openTotal,
    openBySeverity: bySeverity,
    openByRule: countByRule(open.findings),
    partial: open.partial,
    trend: transitionTrend(history, openTotal),
  };
  return jsonResponse(200, summary);
}

async function readOpenFindings(deps: ApiDeps): Promise<{ findings: StoredFinding[]; partial: boolean }> {
  const findings: StoredFinding[] = [];
  let token: string | undefined;
  do {
    const page = await deps.store.listFindings({ status: 'open', limit: PAGE, ...(token !== undefined ? { continuationToken: token } : {}) });
    findings.push(...page.items);
    token = page.continuationToken;
  } while (token !== undefined && findings.length < MAX_FINDINGS_READ);
  return { findings, partial: token !== undefined };
}

/** Open findings per rule, most first (then by severity, then id). */
export function countByRule(findings: readonly StoredFinding[]): Summary['openByRule'] {
  const byRule = new Map<string, Summary['openByRule'][number]>();
  for (const finding of findings) {
    const entry = byRule.get(finding.ruleId) ?? { ruleId: finding.ruleId, severity: finding.severity, title: finding.title, count: 0 };
    entry.count += 1;
    byRule.set(finding.ruleId, entry);
  }
  return [...byRule.values()].sort(
    (a, b) => b.count - a.count || SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || a.ruleId.localeCompare(b.ruleId),
  );
}

/** How a transition moves the number of open (unsuppressed) findings. */
function openDelta(kind: TransitionKind): number {
  switch (kind) {
    case 'opened':
    case 'reopened':
    case 'suppressionExpired':
      return 1;
    case 'resolved':
      return -1;
    case 'suppressed':
      return -1;
    default:
      return assertNever(kind, 'transition kind');
  }
}

/**
 * Transitions per time bucket, with the bucket width chosen so the span fits in about
 * {@link TARGET_BUCKETS} buckets (a minute-long demo gets seconds, a month gets days). The open
 * count is walked back from `openNow`, so it is right even when the window cuts older history.
 */
export function transitionTrend(entries: readonly HistoryEntry[], openNow: number): Trend {
  const times = entries.map((e) => Date.parse(e.at)).filter((t) => !Number.isNaN(t));
  if (times.length === 0) return { bucketSeconds: BUCKET_SECONDS[BUCKET_SECONDS.length - 1] ?? 86_400, points: [] };
  const first = Math.min(...times);
  const last = Math.max(...times);
  const span = (last - first) / 1000;
  const bucketSeconds = BUCKET_SECONDS.find((s) => span / s <= TARGET_BUCKETS) ?? 86_400;
  const width = bucketSeconds * 1000;
  const origin = Math.floor(first / width) * width;
  const count = Math.floor((last - origin) / width) + 1;
  const points: TrendPoint[] = Array.from({ length: count }, (_, i) => ({
    start: new Date(origin + i * width).toISOString(),
    counts: Object.fromEntries(TRANSITION_KINDS.map((k) => [k, 0])) as Record<TransitionKind, number>,
    open: 0,
  }));
  const net = new Array<number>(count).fill(0);
  for (const entry of entries) {
    const at = Date.parse(entry.at);
    if (Number.isNaN(at)) continue;
    const index = Math.floor((at - origin) / width);
    const point = points[index];
    if (point === undefined) continue;
    point.counts[entry.kind] += 1;
    net[index] = (net[index] ?? 0) + openDelta(entry.kind);
  }
  let open = openNow;
  for (let i = count - 1; i >= 0; i--) {
    const point = points[i];
    if (point === undefined) continue;
    point.open = Math.max(0, open);
    open -= net[i] ?? 0;
  }
  return { bucketSeconds, points };
}
