import { describe, expect, it } from 'vitest';
import { createServer, connect } from 'node:net';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { devCommand } from '../../lib/cli/dev.js';
import { main } from '../../lib/cli/main.js';
import { copyEstate } from '../../lib/dev/estate-files.js';
import { capture } from '../support/cli-io.js';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** True when nothing accepts connections on the port. */
function portIsClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/** Child processes and listening servers this process holds. */
function liveResources(): { servers: number; children: number } {
  const info = process.getActiveResourcesInfo();
  return { servers: info.filter((r) => r === 'TCPServerWrap').length, children: info.filter((r) => r === 'ProcessWrap').length };
}

async function sampleEstate(): Promise<Record<string, string>> {
  const dir = path.resolve(process.cwd(), 'samples/estate');
  const files = (await readdir(dir)).sort();
  return Object.fromEntries(await Promise.all(files.map(async (f) => [f, await readFile(path.join(dir, f), 'utf8')] as const)));
}

function lastJson(output: string): Record<string, unknown> {
  const lines = output.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? '') as Record<string, unknown>;
}

describe('nsgwatch dev --once --json', () => {
  it('sweeps the sample estate, replays the script and exits 0 with nothing left listening', async () => {
    const shipped = await sampleEstate();
    const before = liveResources();
    const port = await freePort();
    const run = capture();
    const code = await devCommand(['--once', '--json', '--port', String(port)], run);
    expect(run.err()).toBe('');
    expect(code).toBe(0);
    const summary = lastJson(run.out());
    for (const key of ['findingsOpened', 'findingsResolved', 'alerts', 'events', 'evaluations'] as const) {
      expect(summary[key], key).toBeGreaterThan(0);
    }
    expect(summary['evaluationFailures']).toBe(0);
    // The script's expectations, as a person reads them.
    const output = run.out();
    expect(output).toMatch(/OPENED\s+high\s+NSG-002\s+nsg-app/);
    expect(output).toMatch(/RESOLVED\s+high\s+NSG-002\s+nsg-app/);
    expect(output).toMatch(/OPENED\s+high\s+NAT-001\s+/);
    expect(output).toMatch(/OPENED\s+high\s+BAS-001\s+nsg-bastion/);
    expect(output).toMatch(/RESOLVED\s+high\s+NSG-005\s+nsg-db/);
    expect(output).toMatch(/by dana\.whitfield@contoso\.com/);

    expect(await portIsClosed(port)).toBe(true);
    // Server closed, Azurite's child process gone.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const after = liveResources();
    expect(after.servers).toBeLessThanOrEqual(before.servers);
    expect(after.children).toBeLessThanOrEqual(before.children);
    // The script edited a working copy, never the shipped files.
    expect(await sampleEstate()).toEqual(shipped);
  }, 120_000);
});

describe('nsgwatch dev --estate DIR', () => {
  it('uses the folder as the live source without the script, and stops on request', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'nsgwatch-estate-'));
    try {
      await copyEstate(path.resolve(process.cwd(), 'samples/estate'), dir);
      const port = await freePort();
      const controller = new AbortController();
      const run = capture({ signal: controller.signal });
      const running = devCommand(['--estate', dir, '--port', String(port), '--json'], run);
      // Serving: the dashboard and the API answer, then a stop request ends it cleanly.
      let page: Response | undefined;
      for (let i = 0; i < 200 && page === undefined; i++) {
        page = await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined);
        if (page === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(page?.status).toBe(200);
      expect(page?.headers.get('content-security-policy')).toContain("script-src 'self'");
      const findings = await fetch(`http://127.0.0.1:${port}/api/findings?status=open`);
      expect(findings.status).toBe(200);
      controller.abort();
      expect(await running).toBe(0);
      const summary = lastJson(run.out());
      expect(summary).toMatchObject({ events: 0, evaluations: 1 });
      expect(run.out()).not.toContain('step 1/');
      expect(await portIsClosed(port)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('nsgwatch dev usage', () => {
  const cases: { argv: string[]; code: number; stream: 'out' | 'err'; text: RegExp }[] = [
    { argv: ['dev', '--help'], code: 0, stream: 'out', text: /usage: nsgwatch dev/ },
    { argv: ['dev', '--port', 'http'], code: 2, stream: 'err', text: /--port must be a port number/ },
    { argv: ['dev', '--port', '70000'], code: 2, stream: 'err', text: /--port must be a port number/ },
    { argv: ['dev', '--script'], code: 2, stream: 'err', text: /--script replays on --estate/ },
    { argv: ['dev', '--estate', 'no/such/folder', '--once'], code: 2, stream: 'err', text: /is not a folder/ },
    { argv: ['dev', '--frobnicate'], code: 2, stream: 'err', text: /frobnicate/ },
  ];
  it.each(cases)('nsgwatch $argv → $code', async ({ argv, code, stream, text }) => {
    const run = capture();
    expect(await main(argv, run)).toBe(code);
    expect(stream === 'out' ? run.out() : run.err()).toMatch(text);
  });
});
