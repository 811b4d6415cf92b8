/**
 * Entra ID access tokens, validated in the app: the signature against the tenant's published keys
 * (OpenID discovery → jwks_uri), the issuer, the audience (this API's app registration), expiry
 * and not-before, the delegated scope the dashboard asks for (an ID token for the same app has
 * the same audience but no `scp`), and the app roles in the `roles` claim.
 *
 * Why in the app and not App Service Authentication: the Flex Consumption plan's documented
 * considerations say EasyAuth isn't supported there and that unauthenticated callers aren't
 * blocked when it is enabled (learn.microsoft.com/azure/azure-functions/flex-consumption-plan,
 * "Considerations"). Checked here, the same code runs in tests against a loopback issuer, and no
 * platform header (`x-ms-client-principal*`) is ever read, so a forged one means nothing.
 * Token claims: https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { header, unavailable, type ApiRequest } from './http.js';
import { forbidden, hasRole, type AccessDecision, type ApiAccess, type Principal, type Role } from './access.js';
import { errorMessage } from '../nsg/index.js';

/** The app roles' values in the app registration (infra/hooks/app-registration.sh creates them). */
export const APP_ROLES: Readonly<Record<Role, string>> = {
  read: 'NsgWatch.Read',
  act: 'NsgWatch.Act',
};

/** The delegated scope the dashboard requests: `api://<client id>/access_as_user`. */
export const API_SCOPE = 'access_as_user';

export interface EntraAccessOptions {
  /** The v2.0 issuer, e.g. https://login.microsoftonline.com/<tenant id>/v2.0 (discovery lives below it). */
  issuer: string;
  /** The API's application (client) id; `api://<client id>` is accepted too (v1-style audience). */
  clientId: string;
  /** Seconds of clock skew allowed on exp/nbf (default 60). */
  clockToleranceSeconds?: number;
  /** Timeout of each discovery or key fetch (default 5 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

const CHALLENGE = { 'www-authenticate': 'Bearer' };

export function createEntraAccess(options: EntraAccessOptions): ApiAccess {
  const issuer = options.issuer.replace(/\/+$/, '');
  const audience = [options.clientId, `api://${options.clientId}`];
  const timeoutMs = options.timeoutMs ?? 5_000;
  const fetchImpl = options.fetch ?? fetch;
  let keys: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;

  async function discover(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    const url = `${issuer}/.well-known/openid-configuration`;
    const response = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    const document = (await response.json()) as Record<string, unknown>;
    if (document['issuer'] !== issuer) throw new Error(`${url} names issuer ${String(document['issuer'])}, not ${issuer}`);
    const jwksUri = document['jwks_uri'];
    if (typeof jwksUri !== 'string') throw new Error(`${url} has no jwks_uri`);
    return createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: timeoutMs });
  }

  function keySet(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    // A failed discovery is retried by the next request, not cached.
    keys ??= discover().catch((error: unknown) => {
      keys = undefined;
      throw error;
    });
    return keys;
  }

  async function authenticate(request: ApiRequest): Promise<{ ok: true; principal: Principal } | { ok: false; decision: AccessDecision }> {
    const token = bearerToken(request);
    if (token === undefined) return { ok: false, decision: refused('sign in: send an Entra ID access token for nsgwatch as Authorization: Bearer <token>') };
    let jwks: ReturnType<typeof createRemoteJWKSet>;
    try {
      jwks = await keySet();
    } catch (error) {
      return { ok: false, decision: { ok: false, error: unavailable(`the sign-in keys could not be read: ${message(error)}`), headers: { 'retry-after': '5' } } };
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        issuer,
        audience,
        algorithms: ['RS256'],
        clockTolerance: options.clockToleranceSeconds ?? 60,
        requiredClaims: ['exp', 'iat'],
      }));
    } catch (error) {
      if (error instanceof errors.JWKSTimeout) {
        return { ok: false, decision: { ok: false, error: unavailable('the sign-in keys could not be read in time'), headers: { 'retry-after': '5' } } };
      }
      return { ok: false, decision: refused(`the access token is not valid: ${reason(error)}`) };
    }
    const scopes = typeof payload['scp'] === 'string' ? payload['scp'].split(' ') : [];
    if (!scopes.includes(API_SCOPE)) return { ok: false, decision: refused(`the token is not an access token for the ${API_SCOPE} scope`) };
    return { ok: true, principal: principalOf(payload) };
  }

  return {
    async authorize(request, role) {
      const known = await authenticate(request);
      if (!known.ok) return known.decision;
      if (!hasRole(known.principal, role)) return forbidden(known.principal, role, APP_ROLES[role]);
      return { ok: true, principal: known.principal };
    },
  };
}

function bearerToken(request: ApiRequest): string | undefined {
  const value = header(request, 'authorization');
  const match = value === undefined ? null : /^Bearer[ ]+([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+)\s*$/i.exec(value);
  return match?.[1];
}

function principalOf(payload: JWTPayload): Principal {
  const claim = (name: string): string | undefined => {
    const value = payload[name];
    return typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, 200) : undefined;
  };
  const id = claim('oid') ?? claim('sub') ?? 'unknown';
  const granted = Array.isArray(payload['roles']) ? payload['roles'].filter((r): r is string => typeof r === 'string') : [];
  const roles = (Object.keys(APP_ROLES) as Role[]).filter((role) => granted.includes(APP_ROLES[role]));
  return { id, name: claim('preferred_username') ?? claim('upn') ?? claim('name') ?? id, roles };
}

function refused(text: string): AccessDecision {
  return { ok: false, error: { status: 401, code: 'unauthorized', message: text }, headers: CHALLENGE };
}

/** jose's reason, without echoing the token. */
function reason(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'it has expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `claim ${error.claim} failed: ${error.reason}`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the signature does not verify';
  if (error instanceof errors.JWKSNoMatchingKey) return 'no key of the issuer signed it';
  if (error instanceof errors.JOSEError) return error.code;
  return 'it cannot be read';
}

function message(error: unknown): string {
  return errorMessage(error);
}
