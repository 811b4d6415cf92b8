import { describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDevRuntime } from '../../lib/dev/runtime.js';
import { copyEstate } from '../../lib/dev/estate-files.js';
import { evaluateRules, ruleInfos } from '../../lib/runtime/catalogue.js';
import { SETTINGS } from '../../lib/config/names.js';

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => resolve(text));
  });
}

describe('local mode alerts', () => {
  it('print to the console and, when configured, reach the webhook too', async () => {
    const received: unknown[] = [];
    const receiver = createServer((req, res) => {
      void body(req).then((text) => {
        received.push(JSON.parse(text));
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const scratch = await mkdtemp(path.join(tmpdir(), 'nsgwatch-runtime-'));
    const lines: string[] = [];
    try {
      await copyEstate(path.resolve(process.cwd(), 'samples/estate'), path.join(scratch, 'estate'));
      const runtime = await startDevRuntime({
        estateDir: path.join(scratch, 'estate'),
        port: 0,
        evaluate: evaluateRules,
        rules: ruleInfos,
        print: (line) => void lines.push(line),
        env: { [SETTINGS.alertsWebhookUrl]: url, [SETTINGS.alertsWebhookFormat]: 'generic', [SETTINGS.alertsWebhookMinSeverity]: 'high' },
      });
      try {
        const [outcome] = await runtime.sweep();
        expect(outcome?.status).toBe('evaluated');
        expect(outcome?.transitions.length).toBeGreaterThan(0);
      } finally {
        await runtime.stop();
      }
      expect(lines.some((l) => /^\d\d:\d\d:\d\d {2}OPENED/.test(l))).toBe(true);
      expect(lines.some((l) => l.includes('alert →'))).toBe(true);
      // The webhook got the high findings only (its minimum severity).
      const text = JSON.stringify(received);
      expect(received.length).toBeGreaterThan(0);
      expect(text).toContain('NSG-001');
      expect(text).not.toContain('NSG-012');
    } finally {
      receiver.close();
      await rm(scratch, { recursive: true, force: true });
    }
  }, 60_000);
});
