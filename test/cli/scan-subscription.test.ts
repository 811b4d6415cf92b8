/** `nsgwatch scan --subscription`: the live read through the real NetworkManagementClient on a test transport. */
import { describe, expect, it } from 'vitest';
import { createArmReader } from '../../lib/azure/arm.js';
import { scanCommand } from '../../lib/cli/scan.js';
import { main } from '../../lib/cli/main.js';
import { sampleEstateResources } from '../support/arm-estate.js';
import { createArmEstate, createArmTransport, serveEstate, testCredential } from '../support/arm-transport.js';

const SUB = '0b5e7a1c-9d2f-4e6b-8a3c-1f2d3e4c5b6a';

function setup() {
  const transport = createArmTransport();
  serveEstate(transport, createArmEstate(sampleEstateResources()), { pageSize: 3 });
  const armReader = createArmReader({ httpClient: transport, credential: testCredential(), retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 } });
  let out = '';
  let err = '';
  const io = { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, cwd: process.cwd(), armReader };
  return { transport, io, out: () => out, err: () => err };
}

describe('nsgwatch scan --subscription', () => {
  it('reads the inventory live (paged) and reports what the files would', async () => {
    const { io, out, transport } = setup();
    expect(await scanCommand(['--subscription', SUB, '--format', 'json'], io)).toBe(1);
    const report = JSON.parse(out()) as { findings: { ruleId: string; resourceId: string }[] };
    const has = (ruleId: string, name: string): boolean => report.findings.some((f) => f.ruleId === ruleId && f.resourceId.endsWith(`/${name}`));
    expect(has('NSG-001', 'nsg-shared')).toBe(true);
    expect(has('NSG-005', 'nsg-db')).toBe(true);
    expect(has('NAT-001', 'snet-batch')).toBe(true);
    // Paging was followed: more than one request per resource type.
    expect(transport.requests.filter((r) => r.url.includes('%24skiptoken') || r.url.includes('$skiptoken')).length).toBeGreaterThan(0);
  });

  it('stops with exit 2 when a list cannot be read completely, concluding nothing', async () => {
    const { io, out, err, transport } = setup();
    transport.failNext(
      Array.from({ length: 4 }, () => ({ kind: 'status' as const, status: 503 })),
      (request) => request.url.pathname.toLowerCase().endsWith('/networksecuritygroups'),
    );
    expect(await main(['scan', '--subscription', SUB], io)).toBe(2);
    expect(err()).toMatch(/could not be read completely/);
    expect(out()).toBe('');
  });
});
