/**
 * The real applicationinsights SDK pointed at a loopback ingestion endpoint: we assert on the
 * envelopes it sends. Statsbeat is off by its environment variables, live metrics are never
 * started (the sink uses isolated providers), and every request the process makes is watched:
 * all of them must go to 127.0.0.1.
 */
import diagnostics from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessToken, TokenCredential } from '@azure/identity';
import {
  alerterOptionsFromEnv,
  createAlerter,
  createAppInsightsSink,
  createWebhookSink,
  summarize,
  type AppInsightsSink,
} from '../../lib/alerts/index.js';
import { closedPort, startIngestion, storm, transition, type Receiver } from './support.js';

const IKEY = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const saved: Record<string, string | undefined> = {};
const TEST_ENV: Record<string, string> = {
  APPLICATION_INSIGHTS_NO_STATSBEAT: 'true',
  APPLICATIONINSIGHTS_STATSBEAT_DISABLED: 'true',
  // The loopback endpoint's certificate is self-signed; only this test process trusts it blindly.
  NODE_TLS_REJECT_UNAUTHORIZED: '0',
  // Anything that would leave the machine goes to a closed loopback port instead.
  HTTPS_PROXY: 'http://127.0.0.1:9',
  HTTP_PROXY: 'http://127.0.0.1:9',
  NO_PROXY: '127.0.0.1,localhost',
};

/** Every request the process starts: node:http(s) and fetch (undici). */
const outgoing: string[] = [];
function onRequest(message: unknown): void {
  const request = (message as { request: ClientRequest }).request;
  outgoing.push(`${request.protocol}//${request.host}${request.path}`);
}
function onFetch(message: unknown): void {
  const request = (message as { request: { origin: string; path: string } }).request;
  outgoing.push(`${request.origin}${request.path}`);
}

interface Envelope {
  name: string;
  iKey: string;
  data: {
    baseType: string;
    baseData: {
      name?: string;
      properties?: Record<string, string>;
      metrics?: { name: string; value: number; count: number }[];
    };
  };
}

let ingestion: Receiver;
let sink: AppInsightsSink;

function envelopes(): Envelope[] {
  return ingestion.requests.flatMap((r) => JSON.parse(r.body) as Envelope[]);
}
function events(name?: string): Envelope[] {
  return envelopes().filter((e) => e.data.baseType === 'EventData' && (name === undefined || e.data.baseData.name === name));
}
function metrics(name: string): { value: number; count: number; properties: Record<string, string> }[] {
  return envelopes()
    .filter((e) => e.data.baseType === 'MetricData')
    .flatMap((e) => (e.data.baseData.metrics ?? []).filter((m) => m.name === name).map((m) => ({ ...m, properties: e.data.baseData.properties ?? {} })));
}
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  for (const [k, v] of Object.entries(TEST_ENV)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  diagnostics.subscribe('http.client.request.start', onRequest);
  diagnostics.subscribe('undici:request:create', onFetch);
  ingestion = await startIngestion();
  sink = createAppInsightsSink({
    connectionString: `InstrumentationKey=${IKEY};IngestionEndpoint=${ingestion.url}/;LiveEndpoint=${ingestion.url}/`,
    offlineStorage: false,
  });
});

afterAll(async () => {
  await sink.shutdown();
  await ingestion.close();
  diagnostics.unsubscribe('http.client.request.start', onRequest);
  diagnostics.unsubscribe('undici:request:create', onFetch);
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) Reflect.deleteProperty(process.env, k);
    else process.env[k] = v;
  }
});

describe('Application Insights sink', () => {
  it('sends custom events with the finding dimensions, and the metrics', async () => {
    const failing = createWebhookSink({ url: `http://127.0.0.1:${await closedPort()}/hook`, retries: 0 });
    const alerter = createAlerter({ sinks: [sink, failing], metrics: sink, dashboardUrl: 'https://nsgwatch.example' });
    const opened = transition('opened', { eventTime: '2025-04-02T08:00:00.000Z', at: '2025-04-02T08:00:05.000Z' });
    const outcomes = await alerter.publish([opened, transition('resolved', { name: 'nsg-db', version: 2 }), transition('suppressed', { name: 'nsg-jump' })]);
    expect(outcomes).toEqual([
      { sink: 'applicationInsights', status: 'sent', messages: 3, digest: false },
      { sink: 'webhook:generic', status: 'failed', error: expect.stringMatching(/ECONNREFUSED/), digest: false },
    ]);
    alerter.recordEvaluation({ ok: true, durationMs: 120, scope: 'nsg-web' });
    alerter.recordEvaluation({ ok: false, durationMs: 30 });
    alerter.recordOpenFindings({ critical: 1, high: 4, medium: 0, low: 2, info: 0 });
    await alerter.flush();

    await until(() => events().length >= 4 && metrics('nsgwatch.openFindings').length >= 5, 'events and metrics');
    // The failed evaluation is an event too: the pipeline-health alert rule queries it.
    expect(events().map((e) => e.data.baseData.name).sort()).toEqual(['EvaluationFailed', 'FindingOpened', 'FindingResolved', 'FindingSuppressed']);
    const openedEvent = events('FindingOpened')[0]!;
    expect(openedEvent.name).toBe('Microsoft.ApplicationInsights.Event');
    expect(openedEvent.data.baseData.properties).toMatchObject({
      ruleId: 'NSG-002',
      severity: 'high',
      resourceId: opened.finding.resourceId,
      message: opened.finding.message,
      changedBy: 'alice@contoso.com',
      eventId: opened.eventId,
      correlationId: opened.correlationId,
      link: `https://nsgwatch.example/?finding=${opened.finding.id}`,
    });
    expect(events('FindingSuppressed')[0]!.data.baseData.properties).toMatchObject({ suppressionReason: 'approved jump host' });

    const open = metrics('nsgwatch.openFindings');
    expect(Object.fromEntries(open.map((m) => [m.properties['severity'], m.value]))).toEqual({ critical: 1, high: 4, medium: 0, low: 2, info: 0 });
    expect(metrics('nsgwatch.eventToFindingLatencyMs')).toEqual([expect.objectContaining({ value: 5000, count: 1 })]);
    const evaluations = metrics('nsgwatch.evaluations');
    expect(evaluations.map((m) => [m.properties['outcome'], m.value]).sort()).toEqual([['failed', 30], ['ok', 120]]);
    expect(metrics('nsgwatch.evaluationFailures')).toEqual([expect.objectContaining({ value: 1 })]);
    expect(metrics('nsgwatch.alertSinkFailures')).toEqual([expect.objectContaining({ value: 1, properties: expect.objectContaining({ sink: 'webhook:generic' }) })]);
    expect(alerter.sinkFailures()).toBe(1);
  });

  it('records pipeline health as the events the health alert rule queries', async () => {
    const alerter = createAlerter({ sinks: [sink], metrics: sink });
    alerter.recordEvaluation({ ok: false, durationMs: 12, scope: '/subscriptions/s/nsg-a', reason: 'could not read the current state' });
    alerter.recordDeadLettered({ scope: '/subscriptions/s/nsg-b', reason: 'failed 5 times' });
    await alerter.flush();
    await until(() => events('EventDeadLettered').length === 1, 'the dead-letter event');
    expect(events('EvaluationFailed').map((e) => e.data.baseData.properties)).toContainEqual(
      expect.objectContaining({ scope: '/subscriptions/s/nsg-a', reason: 'could not read the current state' }),
    );
    expect(events('EventDeadLettered')[0]?.data.baseData.properties).toMatchObject({ scope: '/subscriptions/s/nsg-b', reason: 'failed 5 times' });
  });

  it('records every transition of a storm as its own event: the workbook and alert rules count them', async () => {
    const before = events().length;
    const alerter = createAlerter({ sinks: [sink], digestThreshold: 20 });
    const outcomes = await alerter.publish(storm(300));
    expect(outcomes).toEqual([{ sink: 'applicationInsights', status: 'sent', messages: 300, digest: false }]);
    await until(() => events().length - before === 300, 'every transition');
    expect(events('FindingDigest')).toEqual([]);
    expect(events('FindingOpened').length).toBeGreaterThanOrEqual(240);
    expect(events('FindingResolved').length).toBeGreaterThanOrEqual(60);
  });

  it('authenticates ingestion with the managed identity when the settings ask for Entra ID', async () => {
    const scopes: string[] = [];
    const credential: TokenCredential = {
      getToken: async (scope): Promise<AccessToken> => {
        scopes.push(...[scope].flat());
        return { token: 'entra-test-token', expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    };
    const setup = alerterOptionsFromEnv(
      {
        APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=${IKEY};IngestionEndpoint=${ingestion.url}/`,
        APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=00000000-0000-0000-0000-0000000000c1',
      },
      credential,
    );
    expect(setup.errors).toEqual([]);
    expect(setup.options.sinks.map((s) => s.name)).toEqual(['applicationInsights']);
    const before = ingestion.requests.length;
    try {
      await setup.appInsights!.send([{ kind: 'transition', alert: summarize(transition('reopened')) }]);
      await until(() => ingestion.requests.length > before, 'the authenticated request');
    } finally {
      await setup.appInsights!.shutdown();
    }
    expect(ingestion.requests.at(-1)!.headers['authorization']).toBe('Bearer entra-test-token');
    expect(scopes).toEqual(expect.arrayContaining([expect.stringMatching(/^https:\/\/monitor\.azure\.com\/+\.default$/)]));
  });

  it('only ever talked to the loopback endpoint: no statsbeat, no live metrics, nothing outside', () => {
    expect(outgoing.filter((u) => u.startsWith('https:')).length).toBeGreaterThan(0);
    // The refused webhook: opened and resolved, one attempt each (suppressed is not announced).
    expect(outgoing.filter((u) => u.endsWith('/hook')).length).toBe(2);
    for (const url of outgoing) expect(url).toMatch(/^https?:\/\/127\.0\.0\.1(:\d+)?\//);
    expect(ingestion.requests.every((r) => r.url === '/v2.1/track')).toBe(true);
    expect(new Set(envelopes().map((e) => e.iKey))).toEqual(new Set([IKEY]));
  });
});
