import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startDevRuntime, type DevRuntime } from '../../lib/dev/runtime.js';
import { copyEstate } from '../../lib/dev/estate-files.js';
import { evaluateRules, ruleInfos } from '../../lib/runtime/catalogue.js';
import { fingerprint, type Finding } from '../../lib/verdicts/finding.js';
import {
  API_SCOPE,
  createApi,
  createDashboardSite,
  createEntraAccess,
  errorResponse,
  type Api,
} from '../../lib/api/index.js';
import { createEstateFlowChecker } from '../../lib/api/flow-check.js';
import { createDashboardAssets } from '../../lib/dashboard/assets.js';
import { startDevServer, type DevServer } from '../../lib/dev/server.js';
import { fileSource } from '../../lib/pipeline/file-source.js';
import { startTestIssuer, type TestIssuer, type TestUser } from '../api/issuer.js';
import { loadEstate } from '../../lib/estate/load.js';
import { evaluateEstate, RULES } from '../../lib/rules/index.js';
import { fixtures as SVC_001 } from '../rules/fixtures/SVC-001.js';

/** The page renders after a fetch: on a loaded machine that takes longer than expect.poll's default second. */
const POLL = { timeout: 10_000 };

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const ARTIFACTS = path.resolve(process.cwd(), 'test-artifacts');
const HOSTILE = `<script>alert('owned')</script>`;

if (!hasChromium) {
  // Said out loud so a run without the browser tests is never mistaken for a pass.
  console.log(`dashboard browser tests skipped: ${CHROMIUM} is missing (apt-get install chromium; .ci/run installs it)`);
}

// Skipped only when the Debian chromium package is not installed (CI installs it in .ci/run).

/** Headless Chromium on a fresh profile, its console errors collected. */
async function openBrowser(profile: string, consoleErrors: string[]): Promise<{ browser: BrowserContext; page: Page }> {
  // A fresh profile each run (playwright passes it to Chromium as --user-data-dir).
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1400, height: 1000 },
  });
  const page = await browser.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  return { browser, page };
}

describe.skipIf(!hasChromium)('the dashboard in headless Chromium', () => {
  let scratch: string;
  let runtime: DevRuntime;
  let browser: BrowserContext;
  let page: Page;
  const consoleErrors: string[] = [];
  const dialogs: string[] = [];

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'nsgwatch-dashboard-'));
    const estateDir = path.join(scratch, 'estate');
    await copyEstate(path.resolve(process.cwd(), 'samples/estate'), estateDir);
    runtime = await startDevRuntime({ estateDir, port: 0, evaluate: evaluateRules, rules: ruleInfos, print: () => undefined });
    await runtime.sweep();
    // A finding whose every user-controlled string carries markup: it must show as text. It sits on
    // an NSG of its own, so the sample's findings stay as the sweep left them.
    const id = '/subscriptions/0b5e7a1c-9d2f-4e6b-8a3c-1f2d3e4c5b6a/resourceGroups/rg-nsgwatch-demo/providers/Microsoft.Network/networkSecurityGroups/nsg-markup';
    const hostile: Finding = {
      ruleId: 'NSG-001',
      severity: 'high',
      resourceId: id,
      resourceName: `nsg-shared<img src=x onerror=alert('img')>`,
      scope: 'markup-test',
      fingerprint: fingerprint('NSG-001', id, 'markup-test'),
      title: `RDP reachable ${HOSTILE}`,
      message: `RDP (3389/TCP) is reachable from the Internet; rule description: ${HOSTILE}`,
      evidence: {
        witness: { direction: 'Inbound', protocol: 'Tcp', source: '203.0.113.7', sourcePort: 50000, destination: '10.0.3.4', destinationPort: 3389 },
        decidedBy: [{ nsg: id, nsgName: 'nsg-shared', rule: `AllowRdpFromInternet${HOSTILE}`, priority: 200, access: 'Allow' }],
        attachments: [`${id.replace(/networkSecurityGroups\/.*/, 'networkInterfaces/nic-vm-jump')}`],
        ruleDescription: HOSTILE,
      },
      remediation: { az: `az network nsg rule delete -g rg-nsgwatch-demo --nsg-name nsg-shared -n AllowRdpFromInternet # ${HOSTILE}`, bicep: `// ${HOSTILE}` },
    };
    await runtime.store.applyEvaluation({ read: [id.toLowerCase()], findings: [hostile], errors: [], unreadable: [], deleted: [] }, { changedBy: `mallory${HOSTILE}@contoso.com`, eventId: 'evt-markup' });
    // A finding on a service-owned subnet, as the engine reports it: an Application Gateway subnet
    // NSG without the GatewayManager rule (the SVC-001 fixture).
    const gateway = loadEstate([{ source: 'fixture', json: SVC_001.bad[0]?.resources ?? [] }]);
    const service = evaluateEstate(gateway, { rules: RULES.filter((r) => r.meta.id === 'SVC-001') });
    expect(service.findings).toHaveLength(1);
    await runtime.store.applyEvaluation({ read: service.judged, findings: service.findings, errors: [], unreadable: [], deleted: [] }, { eventId: 'evt-service' });

    ({ browser, page } = await openBrowser(path.join(scratch, 'profile'), consoleErrors));
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(`${runtime.url}/`);
    await page.waitForSelector('body[data-ready="true"]');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  const rows = (): Promise<string[]> => page.locator('#findings-body tr.finding-row').evaluateAll((trs) => trs.map((tr) => tr.textContent ?? ''));

  it('loads with no console errors and shows the open findings, tiles and charts', async () => {
    expect(consoleErrors).toEqual([]);
    const open = (await (await fetch(`${runtime.url}/api/findings?status=open&limit=500`)).json()) as { items: { id: string }[] };
    expect(open.items.length).toBeGreaterThan(0);
    const shown = await rows();
    expect(shown).toHaveLength(open.items.length);
    // The sample estate's own findings (see samples/README.md).
    for (const expected of ['NSG-001', 'NSG-005', 'NAT-001', 'NSG-012']) expect(shown.some((r) => r.includes(expected))).toBe(true);
    const tiles = await page.locator('#severity-tiles .tile-count').allTextContents();
    expect(tiles.map(Number).reduce((a, b) => a + b, 0)).toBe(open.items.length);
    // Chart.js drew into both canvases.
    const drawn = await page.locator('canvas').evaluateAll((canvases) => canvases.map((c) => (c as unknown as { width: number }).width > 0));
    expect(drawn).toEqual([true, true]);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png'), fullPage: true });
  });

  it('filters by severity, rule, text and status', async () => {
    const all = await rows();
    await page.selectOption('#filter-severity', 'high');
    const high = await page.locator('#findings-body tr.finding-row td:first-child').allTextContents();
    expect(high.length).toBeGreaterThan(0);
    expect(high.every((s) => s.trim() === 'high')).toBe(true);
    await page.selectOption('#filter-severity', '');

    await page.fill('#filter-text', 'nsg-shared');
    const shared = await rows();
    expect(shared.length).toBeGreaterThan(0);
    expect(shared.length).toBeLessThan(all.length + 1);
    expect(shared.every((r) => r.includes('nsg-shared'))).toBe(true);
    await page.fill('#filter-text', 'no finding says this');
    expect(await rows()).toHaveLength(0);
    await expect.poll(() => page.locator('#findings-body td.empty').count(), POLL).toBe(1);
    await page.fill('#filter-text', '');

    await page.selectOption('#filter-rule', 'NSG-001');
    const byRule = await page.locator('#findings-body tr.finding-row td:nth-child(2)').allTextContents();
    expect(byRule.length).toBeGreaterThan(0);
    expect(byRule.every((r) => r.trim() === 'NSG-001')).toBe(true);
    await page.selectOption('#filter-rule', '');

    await page.selectOption('#filter-status', 'resolved');
    await expect.poll(async () => (await page.locator('#findings-body tr.finding-row td:nth-child(5)').allTextContents()).every((s) => s.trim() === 'resolved'), POLL).toBe(true);
    await page.selectOption('#filter-status', 'open');
    await expect.poll(async () => (await rows()).length, POLL).toBe(all.length);
  });

  it('opens the detail view with the evidence, remediation and history', async () => {
    await page.fill('#filter-text', 'rule description');
    await page.locator('#findings-body tr.finding-row').first().click();
    const detail = page.locator('#detail');
    await detail.locator('.detail-evidence').waitFor();
    const text = (await detail.textContent()) ?? '';
    expect(text).toContain('Witness flow');
    expect(text).toContain('203.0.113.7:50000');
    expect(text).toContain('10.0.3.4:3389');
    expect(await detail.locator('table.deciding tbody tr').count()).toBe(1);
    expect(text).toContain('nic-vm-jump');
    expect(text).toContain('az network nsg rule delete');
    expect(await detail.locator('.timeline li').count()).toBeGreaterThan(0);
    expect(text).toContain('Opened');
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-detail.png'), fullPage: true });
  });

  it('shows the service and the document of its requirements on a finding of a service-owned subnet', async () => {
    await page.fill('#filter-text', 'Azure Application Gateway requires');
    await page.locator('#findings-body tr.finding-row').first().click();
    const detail = page.locator('#detail');
    await detail.locator('.detail-evidence .service').waitFor();
    expect(await detail.locator('.service-name').textContent()).toBe('Azure Application Gateway');
    expect(await detail.locator('.service-document').textContent()).toBe('https://learn.microsoft.com/azure/application-gateway/configuration-infrastructure#network-security-groups');
    const text = (await detail.textContent()) ?? '';
    expect(text).toContain('recognised by application gateway agw (Standard_v2)');
    expect(text).toContain('--name Allow-GatewayManager-In --priority 4095');
    expect(consoleErrors).toEqual([]);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-service.png'), fullPage: true });
    await page.fill('#filter-text', 'rule description');
    await page.locator('#findings-body tr.finding-row').first().click();
    await detail.locator('.detail-evidence').waitFor();
  });

  it('keeps markup from the data inert: shown as text, never run', async () => {
    const detailText = (await page.locator('#detail').textContent()) ?? '';
    expect(detailText).toContain(HOSTILE);
    const tableText = (await page.locator('#findings-body').textContent()) ?? '';
    expect(tableText).toContain(`nsg-shared<img src=x onerror=alert('img')>`);
    expect(dialogs).toEqual([]);
    // The only scripts are the page's own two; no element came from the data.
    expect(await page.locator('script').count()).toBe(2);
    expect(await page.locator('img[onerror], #detail img, #findings-body img').count()).toBe(0);
    expect(consoleErrors).toEqual([]);
    await page.fill('#filter-text', '');
  });

  it("shows the sample rule's own description, markup and all, as text", async () => {
    await page.fill('#filter-text', 'AllowRdpFromInternet (priority 200, source *)');
    await page.locator('#findings-body tr.finding-row').first().click();
    const detail = page.locator('#detail');
    await detail.locator('.detail-evidence').waitFor();
    // samples/estate: nsg-shared's RDP rule is described "Temporary jump-box access <script>…</script>".
    await expect.poll(async () => (await detail.textContent()) ?? '', POLL).toContain(`Temporary jump-box access ${HOSTILE}`);
    expect(dialogs).toEqual([]);
    expect(await page.locator('script').count()).toBe(2);
    await page.fill('#filter-text', '');
  });

  it('shows the remote addresses a sample finding allows, and suppresses it from the detail view', async () => {
    await page.fill('#filter-text', 'NSG-005');
    await page.locator('#findings-body tr.finding-row').first().click();
    const detail = page.locator('#detail');
    await detail.locator('.remote').waitFor();
    expect((await detail.locator('.remote').textContent()) ?? '').toMatch(/TCP 1433.*IPv4 addresses/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-sample-detail.png'), fullPage: true });
    await detail.locator('input[name="reason"]').fill('partner range is being replaced this week');
    await detail.locator('.suppress-form button[type="submit"]').click();
    await expect.poll(() => rows(), POLL).toHaveLength(0);
    await page.selectOption('#filter-status', 'suppressed');
    await expect.poll(async () => (await rows()).length, POLL).toBe(1);
    expect((await rows())[0]).toContain('suppressed');
    expect(consoleErrors).toEqual([]);
    await page.selectOption('#filter-status', 'open');
    await page.fill('#filter-text', '');
  });
});

// The deployed form: the page at /dashboard/ signs in against an Entra-shaped issuer on loopback
// (authorization code + PKCE), then reads the findings from an API that validates the token.
describe.skipIf(!hasChromium)('the deployed dashboard signs in with Entra ID (issuer on loopback)', () => {
  let scratch: string;
  let runtime: DevRuntime;
  let issuer: TestIssuer;
  let server: DevServer;
  let browser: BrowserContext;
  let page: Page;
  const consoleErrors: string[] = [];
  const operator: TestUser = { oid: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', name: 'operator@contoso.example', roles: ['NsgWatch.Act'] };

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'nsgwatch-signin-'));
    const estateDir = path.join(scratch, 'estate');
    await copyEstate(path.resolve(process.cwd(), 'samples/estate'), estateDir);
    runtime = await startDevRuntime({ estateDir, port: 0, evaluate: evaluateRules, rules: ruleInfos, print: () => undefined });
    await runtime.sweep();
    issuer = await startTestIssuer();
    issuer.signInAs(operator);
    // What functions/api.ts builds in Azure, served on loopback: the API behind token checks, the page on its own route.
    const api = createApi({
      access: createEntraAccess({ issuer: issuer.issuer, clientId: issuer.clientId }),
      store: runtime.store,
      rules: ruleInfos,
      flow: createEstateFlowChecker(fileSource({ directory: estateDir })),
      scan: { start: async () => ({ ok: true, started: { scanId: 'scan-1', subscriptions: [], startedAt: new Date().toISOString() } }) },
    });
    const site = createDashboardSite(
      createDashboardAssets({ apiBase: '/api/', signIn: { issuer: issuer.issuer, clientId: issuer.clientId, scope: `api://${issuer.clientId}/${API_SCOPE}` } }),
      { base: '/dashboard/' },
    );
    const both: Api = { handle: (request) => (request.path.startsWith('/dashboard') ? site.handle(request) : api.handle(request)) };
    server = await startDevServer({ api: both, webhook: { handle: async () => errorResponse({ status: 404, code: 'notFound', message: 'none' }) }, port: 0 });
    ({ browser, page } = await openBrowser(path.join(scratch, 'profile'), consoleErrors));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await issuer?.close();
    await runtime?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('refuses the API to a caller without a token', async () => {
    const response = await fetch(`${server.url}/api/findings`);
    expect(response.status).toBe(401);
  });

  it('signs in with the authorization code flow and PKCE, then shows the findings', async () => {
    // As an alert links to it: a query the sign-in round trip must bring back, and the page's own hash.
    const [first] = (await runtime.store.listFindings({ status: 'open', limit: 1 })).items;
    const link = `${server.url}/dashboard/?finding=${encodeURIComponent(first?.id ?? '')}#severity=high`;
    await page.goto(link);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    // The issuer saw the whole flow: discovery, authorize, token (the PKCE check is the issuer's), keys (the API's check).
    expect(issuer.requests).toEqual(expect.arrayContaining([
      expect.stringMatching(/^GET \/.*\/v2\.0\/\.well-known\/openid-configuration$/),
      expect.stringMatching(/^GET \/.*\/oauth2\/v2\.0\/authorize$/),
      expect.stringMatching(/^POST \/.*\/oauth2\/v2\.0\/token$/),
      expect.stringMatching(/^GET \/.*\/discovery\/v2\.0\/keys$/),
    ]));
    // No code or token in the address bar; the page's own state came back.
    expect(page.url().startsWith(`${server.url}/dashboard/?finding=${encodeURIComponent(first?.id ?? '')}#`)).toBe(true);
    expect(page.url()).not.toMatch(/code=|state=/);
    await page.locator('#detail .detail-evidence').waitFor();
    expect(await page.locator('#signed-in').textContent()).toBe('Signed in as operator@contoso.example');
    const shown = await page.locator('#findings-body tr.finding-row').count();
    expect(shown).toBeGreaterThan(0);
    expect(await page.locator('#error-banner').isHidden()).toBe(true);
    expect(consoleErrors).toEqual([]);
  });

  it('acts as the signed-in principal: a suppression from the page is theirs', async () => {
    await page.selectOption('#filter-severity', '');
    await page.fill('#filter-text', 'NSG-005');
    await page.locator('#findings-body tr.finding-row').first().click();
    const detail = page.locator('#detail');
    await detail.locator('input[name="reason"]').fill('replacing the partner range');
    await detail.locator('.suppress-form button[type="submit"]').click();
    await expect.poll(async () => (await runtime.store.listSuppressions()).map((s) => s.createdBy), POLL).toEqual(['operator@contoso.example']);
    expect(consoleErrors).toEqual([]);
  });
});
