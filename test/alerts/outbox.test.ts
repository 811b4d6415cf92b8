/**
 * The outbox end to end on Azurite, with the real Event Grid client and the webhook sink against
 * loopback receivers: the process stopped between every pair of storage steps, and each sink down
 * for a while. Every transition reaches every sink; deduplicated by the message id the sink carries
 * (CloudEvent id, Idempotency-Key), exactly once.
 */
import { AzureKeyCredential } from '@azure/core-auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlerter, createEventGridSink, createWebhookSink, type MetricsRecorder } from '../../lib/alerts/index.js';
import { METRICS } from '../../lib/config/names.js';
import { createDispatcher } from '../../lib/alerts/dispatcher.js';
import { messageIdOf } from '../../lib/alerts/message-id.js';
import { summarize } from '../../lib/alerts/alerter.js';
import { startAzurite, type Azurite } from '../../lib/local/azurite.js';
import {
  createFindingsStore,
  StoreError,
  type FindingsStore,
  type StoreTableNames,
  type Transition,
} from '../../lib/store/index.js';
import { evaluation, freshTables, makeFinding, nsgId, observedTransport } from '../store/support.js';
import { startReceiver, type Receiver } from './support.js';

let azurite: Azurite;
let topic: Receiver;
let hook: Receiver;
beforeAll(async () => {
  [azurite, topic, hook] = await Promise.all([startAzurite(), startReceiver(), startReceiver()]);
});
afterAll(async () => {
  await Promise.all([azurite.stop(), topic.close(), hook.close()]);
});

const ids = ['a', 'b', 'c', 'd', 'e'].map((n) => nsgId(`nsg-${n}`));
const before = evaluation({ read: ids, findings: ids.slice(0, 4).map((id) => makeFinding('NSG-002', id)) });
// a, b resolve; c, d stay; e opens.
const after = evaluation({ read: ids, findings: ids.slice(2).map((id) => makeFinding('NSG-002', id)) });

function store(tables: StoreTableNames, extra: Partial<Parameters<typeof createFindingsStore>[0]> = {}): FindingsStore {
  return createFindingsStore({
    connection: { kind: 'connectionString', connectionString: azurite.connectionString },
    tables,
    retry: { maxRetries: 0, retryDelayInMs: 10, maxRetryDelayInMs: 20 },
    ...extra,
  });
}

function alerter(metrics?: MetricsRecorder) {
  return createAlerter({
    ...(metrics ? { metrics } : {}),
    sinks: [
      createEventGridSink({ endpoint: `${topic.url}/api/events`, credential: new AzureKeyCredential('k'), clientOptions: { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } } }),
      createWebhookSink({ url: `${hook.url}/hook`, retries: 0 }),
    ],
  });
}

/** A clock the test moves past claims and backoffs. */
function clock() {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms: number) => void (offset += ms) };
}

function topicIds(): string[] {
  return topic.requests.flatMap((r) => (JSON.parse(r.body) as { id: string }[]).map((e) => e.id));
}
function hookIds(): string[] {
  return hook.requests.filter((r) => r.url === '/hook').map((r) => String(r.headers['idempotency-key']));
}
const idOf = (t: Transition) => messageIdOf({ kind: 'transition', alert: summarize(t) });

async function allTransitions(s: FindingsStore): Promise<Transition[]> {
  const out: Transition[] = [];
  for (const finding of (await s.listFindings()).items) {
    const found = await s.getFinding(finding.id);
    for (const h of found?.history ?? []) out.push({ id: h.id, kind: h.kind, finding: { ...finding, status: h.status }, at: h.at });
  }
  return out;
}

describe('the outbox', () => {
  it('commits each transition with its notification, and a dispatcher stopped at any step loses and repeats nothing', async () => {
    // How many storage requests one full round makes: every cut point below it is tried.
    const counting = observedTransport();
    const probeTables = freshTables('obx');
    const probe = store(probeTables);
    await probe.applyEvaluation(before);
    const counted = store(probeTables, { httpClient: counting.httpClient });
    await counted.ensureTables();
    const sent = counting.statuses.length;
    await createDispatcher({ store: counted, alerter: alerter() }).dispatch();
    const fullRound = counting.statuses.length - sent;
    // due, 4 claims, 4 settles, the count
    expect(fullRound).toBeGreaterThanOrEqual(10);

    for (let cut = 0; cut <= fullRound; cut++) {
      topic.requests.length = 0;
      hook.requests.length = 0;
      const tables = freshTables('obx');
      const healthy = store(tables);
      await healthy.applyEvaluation(before);
      const transport = observedTransport();
      const dying = store(tables, { httpClient: transport.httpClient, concurrency: 1 });
      await dying.ensureTables();
      transport.cutAfter(cut);
      const time = clock();
      await createDispatcher({ store: dying, alerter: alerter(), now: time.now }).dispatch().catch((error: unknown) => {
        expect(error, `cut ${cut}`).toBeInstanceOf(StoreError);
      });
      // Restarted after the claim ran out: a healthy dispatcher finishes.
      time.advance(10 * 60_000);
      await createDispatcher({ store: healthy, alerter: alerter(), now: time.now }).drain();
      expect((await healthy.pendingNotifications()).count, `cut ${cut}`).toBe(0);
      const expected = (await allTransitions(healthy)).map(idOf).sort();
      expect(expected, `cut ${cut}`).toHaveLength(4);
      expect([...new Set(topicIds())].sort(), `cut ${cut}`).toEqual(expected);
      expect([...new Set(hookIds())].sort(), `cut ${cut}`).toEqual(expected);
      // A redelivery happens only when the stop fell between a send and its record.
      expect(topicIds().length + hookIds().length, `cut ${cut}`).toBeLessThanOrEqual(4 * 4);
    }
  }, 120_000);

  it('holds Event Grid\'s share while the topic is down, and sends it once when it is back', async () => {
    topic.requests.length = 0;
    hook.requests.length = 0;
    const s = store(freshTables('obxtopic'));
    const time = clock();
    const dispatcher = createDispatcher({ store: s, alerter: alerter(), now: time.now, backoffMs: 1_000 });
    await s.applyEvaluation(before);
    topic.script([], { status: 500 });
    for (let i = 0; i < 3; i++) {
      expect(await dispatcher.dispatch()).toMatchObject({ failedSinks: ['eventGrid'] });
      time.advance(60_000);
    }
    topic.script([], { status: 200 });
    await dispatcher.drain();
    expect((await s.pendingNotifications()).count).toBe(0);
    expect(hookIds()).toHaveLength(4);
    expect(new Set(hookIds()).size).toBe(4);
    const accepted = topic.requests.slice(-1).flatMap((r) => (JSON.parse(r.body) as { id: string }[]).map((e) => e.id));
    expect(new Set(accepted)).toEqual(new Set(hookIds()));
  }, 60_000);

  it('keeps what a sink that is down has not had, retries it with backoff, and never resends to the others', async () => {
    topic.requests.length = 0;
    hook.requests.length = 0;
    const tables = freshTables('obxdown');
    const s = store(tables);
    const time = clock();
    const backlog: number[] = [];
    const metrics: MetricsRecorder = { trackMetric: (name, value) => void (name === METRICS.pendingNotifications && backlog.push(value)) };
    const dispatcher = createDispatcher({ store: s, alerter: alerter(metrics), now: time.now, backoffMs: 60_000 });
    await s.applyEvaluation(before);
    hook.script([], { status: 503 });
    const first = await dispatcher.dispatch();
    expect(first).toMatchObject({ claimed: 4, completed: 0, deferred: 4, failedSinks: ['webhook:generic'], pending: 4 });
    // Not due before its backoff: nothing is sent again.
    expect(await dispatcher.dispatch()).toMatchObject({ claimed: 0 });
    const transitions = await s.applyEvaluation(after);
    expect(transitions).toHaveLength(3);
    await dispatcher.dispatch();
    time.advance(61_000);
    await dispatcher.dispatch();
    expect((await s.pendingNotifications()).count).toBe(7);
    hook.script([], { status: 200 });
    time.advance(10 * 60_000);
    await dispatcher.drain();
    expect((await s.pendingNotifications()).count).toBe(0);
    // The health metric followed the backlog: 4 waiting, then 7, then none.
    expect(backlog[0]).toBe(4);
    expect(Math.max(...backlog)).toBe(7);
    expect(backlog.at(-1)).toBe(0);
    // Event Grid had each once; the webhook each once it answered 200 (the 503s delivered nothing).
    expect(topicIds().sort()).toEqual([...new Set(topicIds())].sort());
    expect(topicIds()).toHaveLength(7);
    const acceptedHook = hook.requests.filter((r) => r.url === '/hook').slice(-7).map((r) => String(r.headers['idempotency-key']));
    expect(new Set(acceptedHook).size).toBe(7);
    expect(new Set(acceptedHook)).toEqual(new Set(topicIds()));
  }, 60_000);
});
