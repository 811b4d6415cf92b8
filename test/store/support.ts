/** Shared test data for the store tests: findings, evaluations, a controllable clock, real NSG ids. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createDefaultHttpClient, RestError } from '@azure/core-rest-pipeline';
import { fingerprint, type EvaluationResult, type Finding, type Severity } from '../../lib/verdicts/finding.js';
import type { StoreHttpClient } from '../../lib/store/index.js';

export const SUB_A = '00000000-0000-0000-0000-00000000000a';
export const SUB_B = '00000000-0000-0000-0000-00000000000b';

export function nsgId(name: string, subscription: string = SUB_A): string {
  return `/subscriptions/${subscription}/resourceGroups/RG-Net/providers/Microsoft.Network/networkSecurityGroups/${name}`;
}

export function makeFinding(
  ruleId: string,
  resourceId: string,
  options: { scope?: string; severity?: Severity; message?: string; evidence?: Finding['evidence'] } = {},
): Finding {
  const scope = options.scope ?? '';
  const name = resourceId.split('/').pop() ?? resourceId;
  return {
    ruleId,
    severity: options.severity ?? 'high',
    resourceId,
    resourceName: name,
    scope,
    fingerprint: fingerprint(ruleId, resourceId, scope),
    title: `${ruleId} on ${name}`,
    message: options.message ?? `${ruleId}: ${name} lets the Internet in`,
    evidence: options.evidence ?? {
      witness: {
        direction: 'Inbound',
        protocol: 'Tcp',
        source: '203.0.113.7',
        sourcePort: 50000,
        destination: '10.0.0.4',
        destinationPort: 22,
      },
      decidedBy: [{ nsg: resourceId, nsgName: name, rule: 'allow-ssh', priority: 100, access: 'Allow' }],
    },
    remediation: { az: `az network nsg rule delete --nsg-name ${name} -n allow-ssh`, bicep: '// remove allow-ssh' },
  };
}

export function evaluation(parts: Partial<EvaluationResult>): EvaluationResult {
  return { read: [], findings: [], errors: [], unreadable: [], deleted: [], ...parts };
}

/** Every call returns a later time (by `stepMs`), so transitions have distinct, ordered times. */
export function steppingClock(start: string, stepMs = 1): { now: () => Date; set(iso: string): void; advance(ms: number): void } {
  let t = Date.parse(start);
  return {
    now: () => new Date((t += stepMs)),
    set: (iso) => void (t = Date.parse(iso)),
    advance: (ms) => void (t += ms),
  };
}

/** Real NSG ids from recorded ARM responses of a real subscription (read in place, never copied). */
export function corpusNsgIds(): string[] {
  const dir = path.resolve(process.cwd(), '../shared/corpus/peers/cloud-custodian-cassettes');
  const ids = new Set<string>();
  for (const file of readdirSync(dir)) {
    const text = readFileSync(path.join(dir, file), 'utf8');
    for (const m of text.matchAll(/"(\/subscriptions\/[^"]*\/networkSecurityGroups\/[^"/]+)"/g)) if (m[1]) ids.add(m[1]);
  }
  return [...ids].sort();
}

let tableCounter = 0;
/** A fresh pair of table names, so tests in one Azurite never see each other's rows. */
export function freshTables(label: string): { findings: string; suppressions: string } {
  tableCounter += 1;
  const base = `${label}${process.pid}x${tableCounter}`.replace(/[^A-Za-z0-9]/g, '');
  return { findings: `f${base}`, suppressions: `s${base}` };
}

/**
 * The SDK's own transport, observed: counts responses by status and can cut the connection after
 * a number of requests (a process that dies mid-write), never altering what does get through.
 */
export function observedTransport(): {
  httpClient: StoreHttpClient;
  statuses: number[];
  cutAfter(requests: number | undefined): void;
  /** The next request whose URL contains `urlPart` reaches the service, but its response is lost. */
  loseResponse(urlPart: string): void;
} {
  const inner = createDefaultHttpClient();
  const statuses: number[] = [];
  let remaining: number | undefined;
  let lose: string | undefined;
  return {
    statuses,
    cutAfter: (requests) => void (remaining = requests),
    loseResponse: (urlPart) => void (lose = urlPart),
    httpClient: {
      async sendRequest(request) {
        if (remaining !== undefined) {
          if (remaining <= 0) throw new RestError('connection cut by the test', { code: 'ECONNRESET', request });
          remaining -= 1;
        }
        const response = await inner.sendRequest(request);
        if (lose !== undefined && request.url.includes(lose)) {
          lose = undefined;
          throw new RestError('response lost by the test', { code: 'ECONNRESET', request });
        }
        statuses.push(response.status);
        // Transactions report per-operation failures inside a 202 body.
        const sub = /HTTP\/1\.1 (\d{3})/.exec(response.bodyAsText ?? '');
        if (request.url.includes('$batch') && sub?.[1]) statuses.push(Number(sub[1]));
        return response;
      },
    },
  };
}
