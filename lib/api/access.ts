/**
 * Who may call the API (DESIGN §12): every endpoint needs a role, and the caller's identity comes
 * from the access check, never from a field or header the caller writes. Two kinds of access: the
 * deployment's Entra ID tokens (./entra.ts) and local mode's single local user.
 */
import type { ApiError, ApiRequest } from './http.js';
import { assertNever } from '../nsg/index.js';

/** `read`: findings, history, rules, summary, flow questions. `act`: suppressions and sweeps. */
export type Role = 'read' | 'act';

export interface Principal {
  /** A stable id (the Entra object id; `local` in local mode). */
  id: string;
  /** The name the history shows (the sign-in name, e.g. dana@contoso.com). */
  name: string;
  roles: readonly Role[];
}

export type AccessDecision = { ok: true; principal: Principal } | { ok: false; error: ApiError; headers?: Record<string, string> };

export interface ApiAccess {
  /** Whether the caller may do what needs `role`; the principal when they may. */
  authorize(request: ApiRequest, role: Role): Promise<AccessDecision>;
}

/** `act` includes `read`: whoever may suppress a finding may also look at it. */
export function hasRole(principal: Principal, role: Role): boolean {
  switch (role) {
    case 'read':
      return principal.roles.includes('read') || principal.roles.includes('act');
    case 'act':
      return principal.roles.includes('act');
    default:
      return assertNever(role, 'role');
  }
}

/** The 403 for a signed-in caller without the role. */
export function forbidden(principal: Principal, role: Role, roleName: string): AccessDecision {
  return {
    ok: false,
    error: { status: 403, code: 'forbidden', message: `${principal.name} is signed in but does not have the ${roleName} role this needs (${role})` },
  };
}

/**
 * Local mode (`nsgwatch dev`): no sign-in, one local user with both roles. Safe only because the
 * dev server listens on loopback and refuses foreign Host and Origin headers (lib/dev/server.ts).
 */
export function localAccess(name = 'local user (nsgwatch dev)'): ApiAccess {
  const principal: Principal = { id: 'local', name, roles: ['read', 'act'] };
  return { authorize: async () => ({ ok: true, principal }) };
}
