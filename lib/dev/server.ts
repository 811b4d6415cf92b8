/**
 * The local HTTP server of `nsgwatch dev`: the same API handlers as the Functions app, the
 * dashboard, and an Event Grid webhook endpoint where the Functions host has its own.
 *
 * Local mode has no sign-in (DESIGN §12), so the server itself keeps other callers out: it
 * listens on loopback only; it answers only requests whose Host is its own address (a DNS
 * rebinding page names its own host) and whose Origin, when sent, is its own; and it takes writes
 * only as JSON, which a page elsewhere cannot send without a CORS preflight this server never
 * grants. Bodies are size-limited before they are read in full.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  MAX_BODY_BYTES,
  bodyTooLarge,
  errorResponse,
  type Api,
  type ApiError,
  type ApiRequest,
  type ApiResponse,
} from '../api/index.js';
import { mediaType } from '../api/http.js';
import { EVENT_GRID_WEBHOOK_PATH, MAX_EVENT_BODY_BYTES, type EventGridWebhook } from './webhook.js';
import { errorMessage } from '../nsg/index.js';

export interface DevServerOptions {
  api: Api;
  webhook: EventGridWebhook;
  /** 0 for a free port. */
  port: number;
  /** 127.0.0.1 (default), ::1 or localhost: the dev server never listens beyond loopback. */
  host?: string;
  log?: (line: string) => void;
}

export interface DevServer {
  url: string;
  port: number;
  /** Stop listening and end every open connection. */
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = ['127.0.0.1', '::1', 'localhost'];
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK_HOSTS.includes(host)) throw new Error(`the dev server listens on loopback only (${LOOPBACK_HOSTS.join(', ')}), not ${host}: it has no sign-in`);
  const sockets = new Set<Socket>();
  let own: ReadonlySet<string> = new Set();
  const server: Server = createServer((req, res) => {
    const refusal = refuse(req, own);
    if (refusal !== undefined) {
      req.resume();
      send(res, errorResponse(refusal), { connection: 'close' });
      return;
    }
    void respond(req, res, options).catch((error: unknown) => {
      options.log?.(`${req.method ?? '?'} ${req.url ?? '?'} failed: ${errorMessage(error)}`);
      if (!res.headersSent) send(res, errorResponse({ status: 500, code: 'internal', message: 'internal error' }));
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // Slow or stuck clients must not hold the demo hostage.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  own = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  return {
    url: `http://${host === '::1' ? '[::1]' : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        server.closeIdleConnections();
      }),
  };
}

/** Why a request is refused before it is read, or undefined when it may go on. */
export function refuse(req: Pick<IncomingMessage, 'method' | 'headers'>, own: ReadonlySet<string>): ApiError | undefined {
  const hostHeader = req.headers.host?.toLowerCase();
  const expected = [...own][0] ?? 'its own address';
  if (hostHeader === undefined || !own.has(hostHeader)) {
    return { status: 403, code: 'forbidden', message: `this local server answers requests for http://${expected} only, not for ${hostHeader ?? 'a request without a Host header'}` };
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !(origin.toLowerCase().startsWith('http://') && own.has(origin.toLowerCase().slice('http://'.length)))) {
    return { status: 403, code: 'forbidden', message: `this local server takes no requests from pages at ${origin}; open the dashboard at http://${expected}/` };
  }
  const method = (req.method ?? 'GET').toUpperCase();
  if (WRITE_METHODS.has(method)) {
    const type = mediaType(req.headers['content-type']);
    if (type === undefined || (type !== 'application/json' && !type.endsWith('+json'))) {
      return { status: 415, code: 'unsupportedMediaType', message: `${method} needs Content-Type: application/json${type !== undefined ? `, not ${type}` : ''}` };
    }
  }
  return undefined;
}

async function respond(req: IncomingMessage, res: ServerResponse, options: DevServerOptions): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const isWebhook = url.pathname === EVENT_GRID_WEBHOOK_PATH;
  const limit = isWebhook ? MAX_EVENT_BODY_BYTES : MAX_BODY_BYTES;
  const body = await readBody(req, limit);
  if (!body.ok) {
    send(res, errorResponse(bodyTooLarge(body.bytes, limit)), { connection: 'close' });
    return;
  }
  const request: ApiRequest = {
    method: (req.method ?? 'GET').toUpperCase(),
    path: url.pathname,
    query: url.searchParams,
    headers: headersOf(req),
    body: body.text,
  };
  const response = isWebhook ? await options.webhook.handle(request) : await options.api.handle(request);
  send(res, response);
}

type BodyRead = { ok: true; text: string } | { ok: false; bytes: number };

/** Read the body up to `limit` bytes; beyond that stop reading and report the size seen. */
function readBody(req: IncomingMessage, limit: number): Promise<BodyRead> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve({ ok: false, bytes: declared });
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        req.resume();
        resolve({ ok: false, bytes: size });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve({ ok: true, text: Buffer.concat(chunks).toString('utf8') });
    });
    req.on('error', (error) => {
      if (!done) reject(error);
    });
  });
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function send(res: ServerResponse, response: ApiResponse, extra: Record<string, string> = {}): void {
  const body = typeof response.body === 'string' ? Buffer.from(response.body, 'utf8') : response.body;
  res.writeHead(response.status, { ...response.headers, ...extra, 'content-length': String(body.byteLength) });
  res.end(body);
}
