/** Shared setup for the API tests: a real findings store on Azurite, filled through its own API. */
import { fingerprint, type EvaluationResult, type Finding, type Severity } from '../../lib/verdicts/finding.js';
import { createFindingsStore, type EvaluationCause, type FindingsStore } from '../../lib/store/index.js';
import type { ApiRequest } from '../../lib/api/index.js';

export const SUB_A = '0b5e7a1c-9d2f-4e6b-8a3c-1f2d3e4c5b6a';
export const SUB_B = '11111111-2222-4333-8444-555555555555';

export function nsgId(name: string, subscription = SUB_A): string {
  return `/subscriptions/${subscription}/resourceGroups/rg-net/providers/Microsoft.Network/networkSecurityGroups/${name}`;
}

export function finding(ruleId: string, resourceId: string, severity: Severity, message: string, scope = ''): Finding {
  const name = resourceId.split('/').pop() ?? resourceId;
  return {
    ruleId,
    severity,
    resourceId,
    resourceName: name,
    scope,
    fingerprint: fingerprint(ruleId, resourceId, scope),
    title: `${ruleId} title`,
    message,
    evidence: {
      witness: { direction: 'Inbound', protocol: 'Tcp', source: '203.0.113.9', sourcePort: 49152, destination: '10.1.2.4', destinationPort: 22 },
      decidedBy: [{ nsg: resourceId, nsgName: name, rule: 'AllowSshFromInternet', priority: 105, access: 'Allow' }],
      attachments: [`${resourceId.replace(/networkSecurityGroups\/.*/, 'networkInterfaces/nic-1')}`],
    },
    remediation: { az: `az network nsg rule delete -g rg-net --nsg-name ${name} -n AllowSshFromInternet`, bicep: '// delete the rule' },
  };
}

export function evaluation(read: string[], findings: Finding[]): EvaluationResult {
  return { read, findings, errors: [], unreadable: [], deleted: [] };
}

let counter = 0;
export function newStore(connectionString: string, now?: () => Date): FindingsStore {
  counter += 1;
  const base = `api${process.pid}x${counter}`;
  return createFindingsStore({
    connection: { kind: 'connectionString', connectionString },
    tables: { findings: `f${base}`, suppressions: `s${base}` },
    retry: { maxRetries: 1, retryDelayInMs: 10, maxRetryDelayInMs: 20 },
    ...(now ? { now } : {}),
  });
}

export function request(method: string, pathAndQuery: string, body?: unknown, headers: Record<string, string> = {}): ApiRequest {
  const url = new URL(pathAndQuery, 'http://localhost');
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  return {
    method,
    path: url.pathname,
    query: url.searchParams,
    headers: { ...(text !== '' ? { 'content-type': 'application/json' } : {}), ...headers },
    body: text,
  };
}

export const CAUSE: EvaluationCause = { eventId: 'evt-1', correlationId: 'corr-1', changedBy: 'dana.whitfield@contoso.com', operation: 'Microsoft.Network/networkSecurityGroups/securityRules/write' };
