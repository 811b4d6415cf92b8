/** Loopback receivers and sample transitions for the alert tests. Nothing here leaves 127.0.0.1. */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { fingerprint, type Severity } from '../../lib/verdicts/finding.js';
import { findingKey, type StoredFinding, type Transition, type TransitionKind } from '../../lib/store/index.js';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

/** What the receiver answers: a status (and headers), or `hang` to never answer. */
export type Reply = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  /** Replies used in order, then `fallback` for every later request. */
  script(replies: Reply[], fallback?: Reply): void;
  close(): Promise<void>;
}

function handler(requests: ReceivedRequest[], next: () => Reply): http.RequestListener {
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: body.toString('utf8'), at: Date.now() });
      const reply = next();
      if (reply === 'hang') return;
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(reply.body ?? '{}');
    });
  };
}

async function listen(server: http.Server, requests: ReceivedRequest[], scheme: string, state: { queue: Reply[]; fallback: Reply }): Promise<Receiver> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    requests,
    script(replies, fallback = { status: 200 }) {
      state.queue = [...replies];
      state.fallback = fallback;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function startReceiver(): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const state: { queue: Reply[]; fallback: Reply } = { queue: [], fallback: { status: 200 } };
  const server = http.createServer(handler(requests, () => state.queue.shift() ?? state.fallback));
  return listen(server, requests, 'http', state);
}

/**
 * An Application Insights ingestion endpoint on loopback. The SDK always speaks TLS to its
 * ingestion endpoint, so this serves https with a self-signed certificate made for these tests.
 */
export async function startIngestion(): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const accepted: Reply = { status: 200, body: JSON.stringify({ itemsReceived: 1, itemsAccepted: 1, errors: [] }) };
  const state: { queue: Reply[]; fallback: Reply } = { queue: [], fallback: accepted };
  const fixture = (name: string): Buffer => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
  const server = https.createServer(
    { key: fixture('loopback-test-only.key'), cert: fixture('loopback-test-only.crt') },
    handler(requests, () => state.queue.shift() ?? state.fallback),
  );
  return listen(server, requests, 'https', state);
}

/** A port nothing listens on: connections are refused at once. */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const SUB = '11111111-2222-3333-4444-555555555555';

export function transition(
  kind: TransitionKind,
  options: { ruleId?: string; severity?: Severity; name?: string; version?: number; eventTime?: string; at?: string } = {},
): Transition {
  const ruleId = options.ruleId ?? 'NSG-002';
  const name = options.name ?? 'nsg-web';
  const resourceId = `/subscriptions/${SUB}/resourceGroups/rg-prod/providers/Microsoft.Network/networkSecurityGroups/${name}`;
  const id = findingKey(ruleId, resourceId, '');
  const at = options.at ?? '2025-04-02T08:00:05.000Z';
  const status = kind === 'resolved' ? 'resolved' : kind === 'suppressed' ? 'suppressed' : 'open';
  const finding: StoredFinding = {
    id,
    ruleId,
    severity: options.severity ?? 'high',
    resourceId,
    resourceName: name,
    scope: '',
    fingerprint: fingerprint(ruleId, resourceId, ''),
    title: 'SSH reachable from the Internet',
    message: `${name} lets 22/TCP in from any Internet address (rule allow-ssh, priority 100)`,
    evidence: {},
    remediation: { az: 'az network nsg rule delete ...', bicep: '' },
    status,
    firstSeen: '2025-04-01T00:00:00.000Z',
    lastSeen: at,
    ...(status === 'resolved' ? { resolvedAt: at } : {}),
    ...(status === 'suppressed'
      ? { suppression: { id: 'sup-1', reason: 'approved jump host', expiresAt: '2025-05-01T00:00:00.000Z', by: 'carol' } }
      : {}),
  };
  const t: Transition = {
    id: `${id}!${String(options.version ?? 1).padStart(10, '0')}`,
    kind,
    finding,
    at,
    eventId: 'a4ac8f8f-6e6b-4b4f-a5a5-2b8ff0a7b9c1',
    correlationId: '3b8a0a5e-1f6d-4d3c-9c2e-7f2d2c1b0a99',
    changedBy: 'alice@contoso.com',
  };
  if (options.eventTime) t.eventTime = options.eventTime;
  return t;
}

export function storm(count: number): Transition[] {
  const severities: Severity[] = ['critical', 'high', 'medium', 'low'];
  return Array.from({ length: count }, (_, i) =>
    transition(i % 5 === 4 ? 'resolved' : 'opened', {
      name: `nsg-${i}`,
      ruleId: i % 3 === 0 ? 'NSG-001' : 'NSG-002',
      severity: severities[i % 4]!,
    }),
  );
}
