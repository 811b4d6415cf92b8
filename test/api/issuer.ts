/**
 * An OpenID Connect issuer on loopback, shaped like an Entra ID tenant's v2.0 endpoints: the
 * discovery document, the signing keys (JWKS), an authorize endpoint that signs a test user in at
 * once and sends the browser back with a code in the fragment, and a token endpoint that checks
 * the PKCE verifier before it issues an access token. Keys are made per run with jose; nothing
 * leaves 127.0.0.1.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type JWTPayload } from 'jose';

export const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const CLIENT_ID = '5d3f6a7e-2b1c-4e8f-9a0b-1c2d3e4f5a6b';

export interface TestUser {
  oid: string;
  name: string;
  roles: string[];
}

export interface TestIssuer {
  /** https-less loopback issuer: http://127.0.0.1:<port>/<tenant>/v2.0 */
  issuer: string;
  clientId: string;
  /** An access token as Entra would issue for the API; `claims` override or remove (undefined) claims. */
  token(user: TestUser, claims?: Record<string, unknown>, options?: { forged?: boolean; expiresInSeconds?: number }): Promise<string>;
  /** Who the authorize endpoint signs in next. */
  signInAs(user: TestUser): void;
  /** Requests the issuer answered, as `METHOD /path`. */
  readonly requests: string[];
  close(): Promise<void>;
}

interface PendingCode {
  clientId: string;
  redirectUri: string;
  challenge: string;
  user: TestUser;
}

export async function startTestIssuer(clientId = CLIENT_ID): Promise<TestIssuer> {
  const signing = await generateKeyPair('RS256', { extractable: true });
  // A key of the right shape that the issuer never published: what a forger would sign with.
  const forger = await generateKeyPair('RS256');
  const kid = randomUUID();
  const jwk = { ...(await exportJWK(signing.publicKey)), kid, alg: 'RS256', use: 'sig' };
  const codes = new Map<string, PendingCode>();
  const requests: string[] = [];
  let nextUser: TestUser = { oid: randomUUID(), name: 'reader@contoso.example', roles: ['NsgWatch.Read'] };
  let issuer = '';

  async function token(user: TestUser, claims: Record<string, unknown> = {}, options: { forged?: boolean; expiresInSeconds?: number } = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const claimsSet: Record<string, unknown> = {
      iss: issuer,
      aud: clientId,
      iat: now,
      nbf: now,
      exp: now + (options.expiresInSeconds ?? 3600),
      tid: TENANT,
      oid: user.oid,
      sub: user.oid,
      preferred_username: user.name,
      name: user.name,
      scp: 'access_as_user',
      roles: user.roles,
      ver: '2.0',
      ...claims,
    };
    // A claim overridden with undefined is left out of the token.
    const payload = Object.fromEntries(Object.entries(claimsSet).filter(([, value]) => value !== undefined)) as JWTPayload;
    return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid }).sign(options.forged ? forger.privateKey : signing.privateKey);
  }

  async function respond(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', issuer);
    requests.push(`${req.method ?? '?'} ${url.pathname}`);
    const base = new URL(issuer).pathname;
    // Entra's endpoints answer cross-origin calls from a SPA's redirect origin.
    const cors = { 'access-control-allow-origin': '*', 'cache-control': 'no-store' };
    const json = (status: number, value: unknown): void => {
      res.writeHead(status, { ...cors, 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    if (req.method === 'GET' && url.pathname === `${base}/.well-known/openid-configuration`) {
      const origin = new URL(issuer).origin;
      json(200, {
        issuer,
        authorization_endpoint: `${origin}/${TENANT}/oauth2/v2.0/authorize`,
        token_endpoint: `${origin}/${TENANT}/oauth2/v2.0/token`,
        jwks_uri: `${origin}/${TENANT}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        code_challenge_methods_supported: ['S256'],
        id_token_signing_alg_values_supported: ['RS256'],
      });
      return;
    }
    if (req.method === 'GET' && url.pathname === `/${TENANT}/discovery/v2.0/keys`) {
      json(200, { keys: [jwk] });
      return;
    }
    if (req.method === 'GET' && url.pathname === `/${TENANT}/oauth2/v2.0/authorize`) {
      const q = url.searchParams;
      const redirectUri = q.get('redirect_uri') ?? '';
      if (q.get('client_id') !== clientId || q.get('response_type') !== 'code' || q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge') || !redirectUri.startsWith('http://127.0.0.1:')) {
        json(400, { error: 'invalid_request', error_description: 'unexpected authorize request' });
        return;
      }
      const code = randomBytes(24).toString('base64url');
      codes.set(code, { clientId, redirectUri, challenge: q.get('code_challenge') ?? '', user: nextUser });
      const back = new URLSearchParams({ code, state: q.get('state') ?? '' });
      res.writeHead(302, { location: `${redirectUri}${q.get('response_mode') === 'fragment' ? '#' : '?'}${back.toString()}` });
      res.end();
      return;
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...cors, 'access-control-allow-methods': 'GET, POST', 'access-control-allow-headers': 'content-type' });
      res.end();
      return;
    }
    if (req.method === 'POST' && url.pathname === `/${TENANT}/oauth2/v2.0/token`) {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const code = form.get('code') ?? '';
      const pending = codes.get(code);
      codes.delete(code);
      const verifier = form.get('code_verifier') ?? '';
      if (
        pending === undefined ||
        form.get('grant_type') !== 'authorization_code' ||
        form.get('client_id') !== pending.clientId ||
        form.get('redirect_uri') !== pending.redirectUri ||
        createHash('sha256').update(verifier).digest('base64url') !== pending.challenge
      ) {
        json(400, { error: 'invalid_grant', error_description: 'the code, redirect URI or PKCE verifier does not match' });
        return;
      }
      json(200, { token_type: 'Bearer', expires_in: 3600, scope: `api://${clientId}/access_as_user`, access_token: await token(pending.user) });
      return;
    }
    json(404, { error: 'not_found' });
  }

  const server: Server = createServer((req, res) => {
    void respond(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  issuer = `http://127.0.0.1:${port}/${TENANT}/v2.0`;
  return {
    issuer,
    clientId,
    token,
    signInAs: (user) => {
      nextUser = user;
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
