import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AzureKeyCredential } from '@azure/eventgrid';
import { buildDigest, createEventGridSink, summarize, type AlertMessage } from '../../lib/alerts/index.js';
import { startReceiver, storm, transition, type Receiver } from './support.js';

let topic: Receiver;
beforeAll(async () => {
  topic = await startReceiver();
});
afterAll(async () => {
  await topic.close();
});
beforeEach(() => {
  topic.requests.length = 0;
  topic.script([]);
});

interface CloudEventWire {
  specversion: string;
  id: string;
  source: string;
  type: string;
  time: string;
  subject?: string;
  datacontenttype?: string;
  data: Record<string, unknown>;
}

function sink(retries = 0) {
  return createEventGridSink({
    endpoint: `${topic.url}/api/events`,
    credential: new AzureKeyCredential('test-key-not-a-secret'),
    source: '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-ops/providers/Microsoft.EventGrid/topics/nsgwatch',
    timeoutMs: 2_000,
    // Plain http is for this loopback receiver only; the topic in Azure is https.
    clientOptions: { allowInsecureConnection: true, retryOptions: { maxRetries: retries, retryDelayInMs: 5 } },
  });
}

describe('CloudEvents on the custom topic', () => {
  it('posts a CloudEvents 1.0 batch with the finding summary as data', async () => {
    const kinds = ['opened', 'reopened', 'resolved', 'suppressed', 'suppressionExpired'] as const;
    const messages: AlertMessage[] = kinds.map((k, i) => ({ kind: 'transition', alert: summarize(transition(k, { version: i + 1 }), 'https://d.example') }));
    await sink().send(messages);

    expect(topic.requests).toHaveLength(1);
    const request = topic.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.url).toMatch(/^\/api\/events\?api-version=/);
    expect(request.headers['content-type']).toMatch(/^application\/cloudevents-batch\+json/);
    expect(request.headers['aeg-sas-key']).toBe('test-key-not-a-secret');
    const events = JSON.parse(request.body) as CloudEventWire[];
    expect(events.map((e) => e.type)).toEqual([
      'nsgwatch.finding.opened',
      'nsgwatch.finding.reopened',
      'nsgwatch.finding.resolved',
      'nsgwatch.finding.suppressed',
      'nsgwatch.finding.suppressionExpired',
    ]);
    for (const [i, e] of events.entries()) {
      const alert = (messages[i] as Extract<AlertMessage, { kind: 'transition' }>).alert;
      expect(e.specversion).toBe('1.0');
      expect(e.source).toMatch(/\/providers\/Microsoft\.EventGrid\/topics\/nsgwatch$/);
      expect(e.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(new Date(e.time).toISOString()).toBe(alert.at);
      expect(e.subject).toBe(alert.resourceId);
      expect(e.datacontenttype).toBe('application/json');
      expect(e.data).toEqual(JSON.parse(JSON.stringify(alert)));
    }
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });

  it('gives the same transition the same event id, so a resend is recognisable', async () => {
    const message: AlertMessage = { kind: 'transition', alert: summarize(transition('opened')) };
    await sink().send([message]);
    await sink().send([message]);
    const ids = topic.requests.map((r) => (JSON.parse(r.body) as CloudEventWire[])[0]!.id);
    expect(ids[0]).toBe(ids[1]);
  });

  it('sends a digest as one event', async () => {
    const digest = buildDigest(storm(300).map((t) => summarize(t)), 10, '2025-04-02T08:00:06.000Z');
    await sink().send([{ kind: 'digest', digest }]);
    const events = JSON.parse(topic.requests[0]!.body) as CloudEventWire[];
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'nsgwatch.finding.digest', subject: 'findings', data: { total: 300 } });
  });

  it('rejects when the topic refuses the events, after the SDK retries', async () => {
    topic.script([{ status: 500 }], { status: 401, body: '{"error":{"code":"Unauthorized","message":"bad key"}}' });
    await expect(sink(1).send([{ kind: 'transition', alert: summarize(transition('opened')) }])).rejects.toMatchObject({
      statusCode: 401,
    });
    // The 500 was retried once; the 401 is final.
    expect(topic.requests.length).toBe(2);
  });
});
