import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  buildDigest,
  createWebhookSink,
  slackPayload,
  summarize,
  teamsPayload,
  type AlertMessage,
} from '../../lib/alerts/index.js';
import { closedPort, startReceiver, transition, storm, type Receiver } from './support.js';

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
});
beforeEach(() => {
  receiver.requests.length = 0;
  receiver.script([]);
});

const opened: AlertMessage = { kind: 'transition', alert: summarize(transition('opened'), 'https://nsgwatch.example/') };

describe('webhook delivery', () => {
  // Only the hanging case has a short timeout: on a busy machine a real answer can take longer.
  const cases: { name: string; replies: Parameters<Receiver['script']>[0]; attempts: number; ok: boolean; error?: RegExp; timeoutMs?: number }[] = [
    { name: 'accepted at once', replies: [], attempts: 1, ok: true },
    { name: '500 then 200: retried', replies: [{ status: 500 }], attempts: 2, ok: true },
    { name: '429 with Retry-After then 200', replies: [{ status: 429, headers: { 'retry-after': '0' } }], attempts: 2, ok: true },
    { name: '503 every time: bounded retries, then fails', replies: [{ status: 503 }, { status: 503 }, { status: 503 }], attempts: 3, ok: false, error: /HTTP 503/ },
    { name: '400: final, not retried', replies: [{ status: 400 }], attempts: 1, ok: false, error: /HTTP 400/ },
    { name: 'no answer: timed out, retried, fails', replies: ['hang', 'hang', 'hang'], attempts: 3, ok: false, error: /no response within 150 ms/, timeoutMs: 150 },
  ];
  it.each(cases)('$name', async ({ replies, attempts, ok, error, timeoutMs }) => {
    receiver.script(replies);
    const sink = createWebhookSink({ url: `${receiver.url}/hook?sig=SECRET`, retries: 2, backoffMs: 5, timeoutMs: timeoutMs ?? 10_000 });
    const sent = sink.send([opened]);
    if (ok) await expect(sent).resolves.toBeUndefined();
    else await expect(sent).rejects.toThrow(error);
    await sent.catch((e: Error) => expect(e.message).not.toContain('SECRET'));
    expect(receiver.requests).toHaveLength(attempts);
    for (const r of receiver.requests) {
      expect(r.method).toBe('POST');
      expect(r.url).toBe('/hook?sig=SECRET');
      expect(r.headers['content-type']).toBe('application/json');
    }
  });

  it('backs off exponentially between attempts', async () => {
    receiver.script([{ status: 500 }, { status: 500 }]);
    const sink = createWebhookSink({ url: receiver.url, retries: 2, backoffMs: 60 });
    await sink.send([opened]);
    const [a, b, c] = receiver.requests.map((r) => r.at);
    expect(b! - a!).toBeGreaterThanOrEqual(55);
    expect(c! - b!).toBeGreaterThanOrEqual(115);
  });

  it('fails on a refused connection after its retries, naming only the host', async () => {
    const port = await closedPort();
    const sink = createWebhookSink({ url: `http://127.0.0.1:${port}/x?token=SECRET`, retries: 1, backoffMs: 1 });
    await expect(sink.send([opened])).rejects.toThrow(new RegExp(`webhook 127\\.0\\.0\\.1:${port}: network error \\(ECONNREFUSED\\)`));
  });

  it('posts generic JSON with the CloudEvents type and the whole alert', async () => {
    await createWebhookSink({ url: receiver.url }).send([opened]);
    const body = JSON.parse(receiver.requests[0]!.body) as { type: string; alert: Record<string, unknown> };
    expect(body.type).toBe('nsgwatch.finding.opened');
    expect(body.alert).toMatchObject({
      ruleId: 'NSG-002',
      severity: 'high',
      changedBy: 'alice@contoso.com',
      // Finding ids are URL-safe as they are.
      link: `https://nsgwatch.example/?finding=${transition('opened').finding.id}`,
    });
  });
});

describe('who the webhook tells', () => {
  const sink = createWebhookSink({ url: 'http://127.0.0.1:9/', minSeverity: 'high' });
  const cases: [string, Parameters<typeof transition>[0], Parameters<typeof transition>[1], boolean][] = [
    ['high opened', 'opened', { severity: 'high' }, true],
    ['critical resolved', 'resolved', { severity: 'critical' }, true],
    ['medium opened: below the threshold', 'opened', { severity: 'medium' }, false],
    ['high suppressed: recorded, not announced', 'suppressed', { severity: 'high' }, false],
    ['high suppression expired', 'suppressionExpired', { severity: 'high' }, true],
  ];
  it.each(cases)('%s', (_name, kind, options, accepted) => {
    expect(sink.accepts!(summarize(transition(kind, options)))).toBe(accepted);
  });
});

describe('chat formats', () => {
  const longMessage = summarize({ ...transition('opened'), finding: { ...transition('opened').finding, message: 'm'.repeat(5000), resourceName: 'n'.repeat(200) } }, 'https://d.example');
  const digest: AlertMessage = { kind: 'digest', digest: buildDigest(storm(300).map((t) => summarize(t)), 10, '2025-04-02T08:00:06.000Z', 'https://d.example') };

  it('Teams: an Adaptive Card message with facts and a link', () => {
    const card = teamsPayload({ kind: 'transition', alert: longMessage }) as {
      type: string;
      attachments: { contentType: string; content: { type: string; version: string; body: { type: string; text?: string; facts?: { title: string; value: string }[] }[]; actions: { url: string }[] } }[];
    };
    expect(card.type).toBe('message');
    const content = card.attachments[0]!.content;
    expect(card.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect([content.type, content.version]).toEqual(['AdaptiveCard', '1.4']);
    expect(content.body[1]!.text!.length).toBeLessThanOrEqual(2000);
    expect(content.body[2]!.facts!.map((f) => f.title)).toEqual(['Rule', 'Severity', 'Resource', 'Changed by', 'At']);
    expect(content.actions[0]!.url).toBe(longMessage.link);
  });

  it('Slack: blocks within Slack limits, with fallback text', () => {
    for (const message of [{ kind: 'transition' as const, alert: longMessage }, digest]) {
      const payload = slackPayload(message) as { text: string; blocks: { type: string; text?: { text: string } }[] };
      expect(payload.text.length).toBeGreaterThan(0);
      expect(payload.blocks.length).toBeLessThanOrEqual(50);
      const header = payload.blocks.find((b) => b.type === 'header')!;
      expect(header.text!.text.length).toBeLessThanOrEqual(150);
      for (const b of payload.blocks.filter((x) => x.type === 'section')) expect(b.text!.text.length).toBeLessThanOrEqual(3000);
    }
  });

  it('a digest names the counts, not 300 findings', () => {
    const payload = slackPayload(digest) as { text: string };
    expect(payload.text).toBe('nsgwatch: 300 finding changes (240 opened, 60 resolved)');
  });
});
