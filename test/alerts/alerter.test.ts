import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AzureKeyCredential } from '@azure/eventgrid';
import { createAlerter, createEventGridSink, createWebhookSink, type AlertLogLevel } from '../../lib/alerts/index.js';
import { useAzurite } from '../support/azurite.js';
import { createFindingsStore } from '../../lib/store/index.js';
import { fingerprint, type EvaluationResult, type Finding } from '../../lib/verdicts/finding.js';
import { startReceiver, storm, transition, type Receiver } from './support.js';

let hook: Receiver;
let topic: Receiver;
beforeAll(async () => {
  [hook, topic] = await Promise.all([startReceiver(), startReceiver()]);
});
afterAll(async () => {
  await Promise.all([hook.close(), topic.close()]);
});
beforeEach(() => {
  for (const r of [hook, topic]) {
    r.requests.length = 0;
    r.script([]);
  }
});

const eventGrid = () =>
  createEventGridSink({
    endpoint: `${topic.url}/api/events`,
    credential: new AzureKeyCredential('k'),
    clientOptions: { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } },
  });

describe('digest threshold', () => {
  const cases: { name: string; count: number; threshold?: number; webhookPosts: number; digest: boolean }[] = [
    { name: 'at the default threshold (20): one message each', count: 20, webhookPosts: 20, digest: false },
    { name: 'one over the default threshold: a digest', count: 21, webhookPosts: 1, digest: true },
    { name: '300 findings from one deployment: a digest', count: 300, webhookPosts: 1, digest: true },
    { name: 'a configured threshold of 3', count: 4, threshold: 3, webhookPosts: 1, digest: true },
  ];
  it.each(cases)('$name', async ({ count, threshold, webhookPosts, digest }) => {
    const alerter = createAlerter({
      sinks: [createWebhookSink({ url: hook.url }), eventGrid()],
      ...(threshold ? { digestThreshold: threshold } : {}),
    });
    const outcomes = await alerter.publish(storm(count));
    expect(outcomes.map((o) => o.status)).toEqual(['sent', 'sent']);
    expect(outcomes.every((o) => o.status === 'sent' && o.digest === digest)).toBe(true);
    expect(hook.requests).toHaveLength(webhookPosts);
    expect(topic.requests).toHaveLength(1);
    const cloudEvents = JSON.parse(topic.requests[0]!.body) as { type: string }[];
    expect(cloudEvents.length).toBe(digest ? 1 : count);
  });

  it('counts the digest over what each sink accepts', async () => {
    const highOnly = createWebhookSink({ url: hook.url, minSeverity: 'critical' });
    // storm(30): a quarter critical (8) — under the threshold for the webhook; all 30 for the topic.
    const outcomes = await createAlerter({ sinks: [highOnly, eventGrid()] }).publish(storm(30));
    expect(outcomes).toEqual([
      { sink: 'webhook:generic', status: 'sent', messages: 8, digest: false },
      { sink: 'eventGrid', status: 'sent', messages: 1, digest: true },
    ]);
  });
});

describe('sink isolation', () => {
  it('a hanging sink neither blocks nor fails the others; its failure is logged without secrets', async () => {
    hook.script([], 'hang');
    const logs: { level: AlertLogLevel; message: string; properties?: Record<string, string | number> }[] = [];
    const alerter = createAlerter({
      sinks: [createWebhookSink({ url: `${hook.url}/x?code=SECRET`, timeoutMs: 800, retries: 1, backoffMs: 10 }), eventGrid()],
      log: (level, message, properties) => logs.push(properties ? { level, message, properties } : { level, message }),
    });
    const started = Date.now();
    const outcomes = await alerter.publish([transition('opened')]);
    expect(outcomes[0]).toMatchObject({ sink: 'webhook:generic', status: 'failed', error: expect.stringMatching(/no response within 800 ms/) });
    expect(outcomes[1]).toEqual({ sink: 'eventGrid', status: 'sent', messages: 1, digest: false });
    // The topic had its event before the webhook's first attempt even timed out.
    expect(topic.requests[0]!.at - started).toBeLessThan(800);
    expect(hook.requests).toHaveLength(2);
    expect(alerter.sinkFailures()).toBe(1);
    expect(logs).toEqual([
      { level: 'error', message: 'alert sink webhook:generic failed', properties: expect.objectContaining({ sink: 'webhook:generic', alerts: 1 }) },
    ]);
    expect(JSON.stringify(logs)).not.toContain('SECRET');
  });

  it('nothing to announce: no request at all', async () => {
    const alerter = createAlerter({ sinks: [createWebhookSink({ url: hook.url }), eventGrid()] });
    expect((await alerter.publish([])).map((o) => o.status)).toEqual(['nothingToSend', 'nothingToSend']);
    expect((await alerter.publish([transition('suppressed')])).map((o) => o.status)).toEqual(['nothingToSend', 'sent']);
    expect(hook.requests).toHaveLength(0);
  });
});

describe('store then alerts', () => {
  const azurite = useAzurite();

  const nsg = '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/';
  function finding(name: string, ruleId: string): Finding {
    const resourceId = nsg + name;
    return {
      ruleId,
      severity: 'high',
      resourceId,
      resourceName: name,
      scope: '',
      fingerprint: fingerprint(ruleId, resourceId, ''),
      title: `${ruleId} on ${name}`,
      message: `${name}: ${ruleId}`,
      evidence: {},
      remediation: { az: '', bicep: '' },
    };
  }

  it('racing instances each publish what they committed: every transition reaches the webhook once', async () => {
    const tables = { findings: 'alertsFindings', suppressions: 'alertsSuppressions' };
    const stores = [0, 1].map(() =>
      createFindingsStore({ connection: { kind: 'connectionString', connectionString: azurite.connectionString }, tables }),
    );
    const alerter = createAlerter({ sinks: [createWebhookSink({ url: hook.url })] });
    const names = Array.from({ length: 8 }, (_, i) => `nsg-${i}`);
    const rounds: EvaluationResult[] = [
      { read: names.map((n) => nsg + n), findings: names.map((n) => finding(n, 'NSG-002')), errors: [], unreadable: [], deleted: [] },
      { read: names.map((n) => nsg + n), findings: names.slice(4).map((n) => finding(n, 'NSG-002')), errors: [], unreadable: [], deleted: [] },
      { read: names.map((n) => nsg + n), findings: names.slice(4).map((n) => finding(n, 'NSG-002')), errors: [], unreadable: [], deleted: [] },
    ];
    for (const result of rounds) {
      await Promise.all(stores.map(async (store) => alerter.publish(await store.applyEvaluation(result))));
    }
    const announced = hook.requests.map((r) => {
      const body = JSON.parse(r.body) as { type: string; alert: { resourceName: string } };
      return `${body.type} ${body.alert.resourceName}`;
    });
    expect(announced.sort()).toEqual([
      ...names.map((n) => `nsgwatch.finding.opened ${n}`),
      ...names.slice(0, 4).map((n) => `nsgwatch.finding.resolved ${n}`),
    ].sort());
  });
});
