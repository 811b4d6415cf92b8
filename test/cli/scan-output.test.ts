/** `nsgwatch scan` writing to a slow reader (a pipe whose reader lags): the report waits for it, never queues up whole. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { SCALE, scaleEstate } from '../../bench/scan.bench.js';
import { main } from '../../lib/cli/main.js';
import type { CliIo } from '../../lib/cli/io.js';

const dir = mkdtempSync(join(tmpdir(), 'nsgwatch-output-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('nsgwatch scan output to a slow reader', () => {
  it('waits for the output to drain between chunks: what is queued stays a few chunks, and the report is whole', async () => {
    writeFileSync(join(dir, 'estate.json'), JSON.stringify(scaleEstate({ ...SCALE, vnets: 10, nsgs: 100, nics: 300, natGateways: 2, hugeNsgs: 0, scaleSets: 2, instancesPerScaleSet: 5, publicIps: 20, loadBalancers: 4, adminRules: 5, routeTables: 2, gateways: 2 })));
    const received: string[] = [];
    let mostQueued = 0;
    const slow = new Writable({
      highWaterMark: 16 * 1024,
      decodeStrings: false,
      write(chunk: string, _encoding, done) {
        received.push(chunk);
        setTimeout(done, 1);
      },
    });
    const stdout = {
      write: (chunk: string): boolean => {
        const ok = slow.write(chunk);
        mostQueued = Math.max(mostQueued, slow.writableLength);
        return ok;
      },
      once: (event: 'drain', listener: () => void) => slow.once(event, listener),
    };
    let err = '';
    const io: CliIo = { stdout, stderr: { write: (s: string) => (err += s) }, cwd: dir };
    const code = await main(['scan', 'estate.json', '--format', 'json', '--threads', '1'], io);
    await new Promise<void>((resolveEnd) => slow.end(resolveEnd));
    const text = received.join('');
    expect(err).toBe('');
    expect(code).toBe(1);
    expect((JSON.parse(text) as { findings: unknown[] }).findings.length).toBeGreaterThan(100);
    expect(text.length).toBeGreaterThan(400_000);
    // Without waiting, the whole report would sit in the stream's buffer at once.
    expect(mostQueued).toBeLessThan(text.length / 3);
  }, 60_000);
});
