// Sign-in for the deployed dashboard: OpenID Connect authorization code flow with PKCE (RFC 7636)
// against the Entra ID tenant, as a public client (no secret). The authorization response comes
// back in the fragment, so the one-time code never reaches a server log; the access token lives
// in this tab's sessionStorage only and goes to the API as `Authorization: Bearer`. Locally
// (`nsgwatch dev`) the page carries no issuer and nobody signs in.
// Protocol: https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow

const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.getAttribute('content') ?? '';
const issuer = meta('nsgwatch-auth-issuer').replace(/\/+$/, '');
const clientId = meta('nsgwatch-auth-client-id');
const scope = meta('nsgwatch-auth-scope');

/** True when the page must sign in before it may call the API. */
export const signInRequired = issuer !== '' && clientId !== '' && scope !== '';

const TOKEN_KEY = 'nsgwatch.token';
const PENDING_KEY = 'nsgwatch.signin';
/** Renew a little before expiry so a request never leaves with a token about to lapse. */
const EARLY_MS = 60_000;

function base64url(bytes) {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomText(bytes = 32) {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

async function challengeOf(verifier) {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

let endpoints;
async function discover() {
  if (endpoints) return endpoints;
  const response = await fetch(`${issuer}/.well-known/openid-configuration`, { headers: { accept: 'application/json' }, credentials: 'omit' });
  if (!response.ok) throw new Error(`the sign-in service answered ${response.status}`);
  const document = await response.json();
  if (document.issuer !== issuer) throw new Error('the sign-in service names another issuer');
  endpoints = { authorize: String(document.authorization_endpoint), token: String(document.token_endpoint) };
  return endpoints;
}

function redirectUri() {
  return `${location.origin}${location.pathname}`;
}

function readToken() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(TOKEN_KEY) ?? 'null');
    if (saved && typeof saved.accessToken === 'string' && saved.expiresAt - EARLY_MS > Date.now()) return saved;
  } catch {
    // A damaged entry is dropped below.
  }
  sessionStorage.removeItem(TOKEN_KEY);
  return undefined;
}

/** Who the token says signed in (display only: the API decides from the verified token). */
function nameOf(accessToken) {
  try {
    const part = accessToken.split('.')[1] ?? '';
    const claims = JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/')));
    return String(claims.preferred_username ?? claims.upn ?? claims.name ?? '');
  } catch {
    return '';
  }
}

let leaving;
/** Leave for the tenant's sign-in page, once however many calls need a token at the same time. */
function redirectToSignIn() {
  // A failed attempt (the sign-in service unreachable) is tried again by the next call.
  leaving ??= leaveForSignIn().catch((error) => {
    leaving = undefined;
    throw error;
  });
  return leaving;
}

/** The browser comes back to this page with a code. */
async function leaveForSignIn() {
  const { authorize } = await discover();
  const verifier = randomText(32);
  const state = randomText(16);
  // The redirect URI is the bare page; an alert's `?finding=` link and the page's hash come back after.
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, returnTo: `${location.search}${location.hash}` }));
  const url = new URL(authorize);
  url.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    response_mode: 'fragment',
    redirect_uri: redirectUri(),
    scope: `openid ${scope}`,
    state,
    code_challenge: await challengeOf(verifier),
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
  // The page is leaving: nothing after this should run.
  return new Promise(() => undefined);
}

/**
 * Finish a sign-in when the page was opened by the tenant's redirect (`#code=…&state=…`): check
 * the state, redeem the code with the PKCE verifier, keep the token, and put the page's own hash
 * back. Returns the signed-in name, or undefined when there was nothing to finish.
 */
export async function completeSignIn() {
  if (!signInRequired) return undefined;
  const response = new URLSearchParams(location.hash.slice(1));
  if (!response.has('code') && !response.has('error')) return undefined;
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null');
  sessionStorage.removeItem(PENDING_KEY);
  // The code leaves the address bar (and the history entry) at once.
  history.replaceState(null, '', `${location.pathname}${pending?.returnTo ?? ''}`);
  if (response.has('error')) throw new Error(`sign-in failed: ${response.get('error_description') ?? response.get('error')}`);
  if (!pending || pending.state !== response.get('state')) throw new Error('sign-in failed: the answer does not belong to this sign-in; reload to try again');
  const { token } = await discover();
  const answer = await fetch(token, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    credentials: 'omit',
    body: new URLSearchParams({
      client_id: clientId,
      grant_type: 'authorization_code',
      code: response.get('code') ?? '',
      redirect_uri: redirectUri(),
      code_verifier: pending.verifier,
      scope: `openid ${scope}`,
    }),
  });
  const data = await answer.json().catch(() => ({}));
  if (!answer.ok || typeof data.access_token !== 'string') throw new Error(`sign-in failed: ${data.error_description ?? data.error ?? `the token service answered ${answer.status}`}`);
  const expiresIn = Number(data.expires_in);
  const saved = { accessToken: data.access_token, expiresAt: Date.now() + (Number.isFinite(expiresIn) ? expiresIn : 300) * 1000 };
  sessionStorage.setItem(TOKEN_KEY, JSON.stringify(saved));
  return nameOf(saved.accessToken);
}

/** The access token for the API (signing in first when there is none), or undefined locally. */
export async function accessToken() {
  if (!signInRequired) return undefined;
  const saved = readToken();
  if (saved) return saved.accessToken;
  return redirectToSignIn();
}

/** The API refused the token (expired early, revoked): drop it so the next call signs in again. */
export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** The signed-in name from the kept token, for the header line. */
export function signedInName() {
  const saved = signInRequired ? readToken() : undefined;
  return saved ? nameOf(saved.accessToken) : '';
}
