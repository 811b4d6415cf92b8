/**
 * The HTTP routes as the Functions host sees them. The host orders HTTP functions by name and
 * takes the first whose route template matches (azure-functions-host#9876,
 * azure-functions-nodejs-library#300, MicrosoftDocs/azure-docs#11755), so a URL two templates
 * can match goes to whichever function sorts first. This test reads the registrations the
 * function files make through the real `@azure/functions` package (test mode registers nothing
 * with a host, so `app.http` is observed as it is called) and replays that matching for every
 * URL the README documents and every file of the dashboard: each must reach the function and
 * the authorisation meant for it, and no URL may match two templates at all.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { app, type HttpFunctionOptions, type HttpMethod } from '@azure/functions';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { FUNCTIONS } from '../../lib/config/names.js';
import { apiEndpoints } from '../../lib/api/index.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

interface Registration {
  name: string;
  trigger: 'http' | 'other';
  route?: string;
  methods?: readonly HttpMethod[];
  authLevel?: string;
}

const registrations: Registration[] = [];

beforeAll(async () => {
  vi.spyOn(app, 'http').mockImplementation((name: string, options: HttpFunctionOptions) => {
    registrations.push({ name, trigger: 'http', ...(options.route !== undefined ? { route: options.route } : {}), methods: options.methods ?? [], authLevel: options.authLevel ?? 'function' });
  });
  for (const kind of ['eventGrid', 'storageQueue', 'timer'] as const) {
    vi.spyOn(app, kind).mockImplementation(((name: string) => void registrations.push({ name, trigger: 'other' })) as never);
  }
  // Every function file, as package.json `main` makes the host load them.
  for (const file of readdirSync(join(ROOT, 'functions')).filter((f) => f.endsWith('.ts'))) {
    await import(join(ROOT, 'functions', file));
  }
});

/** host.json `extensions.http.routePrefix` (the host's default is `api`). */
function routePrefix(): string {
  const host = JSON.parse(readFileSync(join(ROOT, 'host.json'), 'utf8')) as { extensions?: { http?: { routePrefix?: string } } };
  return host.extensions?.http?.routePrefix ?? 'api';
}

/** ASP.NET Core route template semantics, as the host uses them: literal segments (case-insensitive), `{name}`, `{name?}`, `{*name}` (the rest, possibly empty). */
export function templateMatches(template: string, path: string): boolean {
  const parts = template.split('/').filter((p) => p !== '');
  const segments = path.split('/').filter((s) => s !== '');
  for (const [i, part] of parts.entries()) {
    if (/^\{\*{1,2}[A-Za-z_]\w*\}$/.test(part)) return i === parts.length - 1;
    const segment = segments[i];
    if (/^\{[A-Za-z_]\w*\?\}$/.test(part)) {
      if (segment === undefined) return i === parts.length - 1;
      continue;
    }
    if (segment === undefined) return false;
    if (/^\{[A-Za-z_]\w*\}$/.test(part)) continue;
    if (part.toLowerCase() !== segment.toLowerCase()) return false;
  }
  return segments.length === parts.length;
}

function httpFunctions(): (Registration & { template: string })[] {
  const prefix = routePrefix();
  return registrations
    .filter((r) => r.trigger === 'http')
    .map((r) => ({ ...r, template: [prefix, r.route ?? r.name].filter((p) => p !== '').join('/') }))
    .sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
}

/** What the host does with one request: the first function, in name order, whose template and methods match. */
function hostMatch(method: string, path: string): (Registration & { template: string }) | undefined {
  return httpFunctions().find((f) => templateMatches(f.template, path) && (f.methods ?? []).includes(method as HttpMethod));
}

/** Every `METHOD /path` the README's API table documents. */
function readmeEndpoints(): { method: string; path: string }[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const found: { method: string; path: string }[] = [];
  for (const m of readme.matchAll(/`((?:GET|POST|DELETE|PUT|PATCH)(?:\/(?:GET|POST|DELETE|PUT|PATCH))*) (\/[^`\s]+)`/g)) {
    for (const method of (m[1] as string).split('/')) found.push({ method, path: (m[2] as string).replace(/\{[^}]+\}/g, 'abc123') });
  }
  return found;
}

function dashboardFiles(): string[] {
  const publicDir = join(ROOT, 'lib', 'dashboard', 'public');
  const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
  return walk(publicDir).map((file) => relative(publicDir, file).split('\\').join('/'));
}

describe('HTTP routes under the host\'s first-match-by-name routing', () => {
  it('registers the api and dashboard functions, anonymous at the host (the API checks Entra ID tokens itself)', () => {
    const http = httpFunctions();
    expect(http.map((f) => f.name)).toEqual([FUNCTIONS.api, FUNCTIONS.dashboard]);
    expect(http.map((f) => f.template)).toEqual(['api/{*path}', 'dashboard/{*asset}']);
    expect(http.map((f) => f.authLevel)).toEqual(['anonymous', 'anonymous']);
    expect(registrations.filter((r) => r.trigger === 'other').map((r) => r.name).sort()).toEqual([FUNCTIONS.dispatchAlerts, FUNCTIONS.evaluateScope, FUNCTIONS.onResourceChange, FUNCTIONS.reconcile].sort());
  });

  it('reads every endpoint the README documents, and the README documents every endpoint', () => {
    const documented = readmeEndpoints();
    expect(documented.length).toBeGreaterThan(8);
    const served = apiEndpoints().map((e) => `${e.method} ${e.path.replace('{id}', 'abc123')}`);
    expect(new Set(documented.map((e) => `${e.method} ${e.path}`))).toEqual(new Set(served));
  });

  it.each(readmeEndpoints().map((e) => [`${e.method} ${e.path}`, e]))('%s reaches the api function', (_label, endpoint) => {
    expect(hostMatch(endpoint.method, endpoint.path)?.name).toBe(FUNCTIONS.api);
  });

  it.each(dashboardFiles())('the dashboard file %s reaches the dashboard function', (file) => {
    const paths = file === 'index.html' ? ['/dashboard/', '/dashboard', '/dashboard/index.html'] : [`/dashboard/${file}`];
    for (const path of paths) {
      for (const method of ['GET', 'HEAD']) expect(hostMatch(method, path)?.name, `${method} ${path}`).toBe(FUNCTIONS.dashboard);
    }
  });

  it('reaches the dashboard function for the vendored Chart.js the page loads', () => {
    const page = readFileSync(join(ROOT, 'lib', 'dashboard', 'public', 'index.html'), 'utf8');
    const sources = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(sources).toContain('vendor/chart.umd.min.js');
    for (const source of sources) expect(hostMatch('GET', `/dashboard/${source}`)?.name, source).toBe(FUNCTIONS.dashboard);
  });

  it('matches no URL with two templates, whatever order the host takes them in', () => {
    const urls = [
      ...readmeEndpoints().map((e) => e.path),
      ...dashboardFiles().map((f) => `/dashboard/${f}`),
      '/', '/api', '/api/', '/dashboard', '/dashboard/', '/api/dashboard/', '/dashboard/api/findings', '/API/FINDINGS', '/Dashboard/assets/app.js',
    ];
    for (const url of urls) {
      const matching = httpFunctions().filter((f) => templateMatches(f.template, url)).map((f) => f.name);
      expect(matching.length, `${url}: ${matching.join(', ')}`).toBeLessThanOrEqual(1);
    }
  });

  it('leaves the host\'s own routes alone (the Event Grid webhook, the admin API)', () => {
    for (const path of ['/runtime/webhooks/eventgrid', '/admin/host/status']) {
      expect(httpFunctions().filter((f) => templateMatches(f.template, path))).toEqual([]);
    }
  });

  it('never lets a data route reach the keyless dashboard function', () => {
    for (const endpoint of apiEndpoints()) {
      expect(hostMatch(endpoint.method, endpoint.path.replace('{id}', 'x'))?.name).toBe(FUNCTIONS.api);
    }
    expect(hostMatch('POST', '/dashboard/')).toBeUndefined();
    expect(hostMatch('DELETE', '/dashboard/assets/app.js')).toBeUndefined();
  });

  it('replays ASP.NET Core template matching as the host does', () => {
    expect(templateMatches('api/{*path}', '/api')).toBe(true);
    expect(templateMatches('api/{*path}', '/api/a/b/c')).toBe(true);
    expect(templateMatches('api/{*path}', '/apis/x')).toBe(false);
    expect(templateMatches('{*path}', '/dashboard/x')).toBe(true);
    expect(templateMatches('products/{id}', '/Products/List')).toBe(true);
    expect(templateMatches('products/{id}', '/products')).toBe(false);
    expect(templateMatches('products/{id?}', '/products')).toBe(true);
    expect(templateMatches('products/list', '/PRODUCTS/LIST')).toBe(true);
    expect(templateMatches('products/list', '/products/list/more')).toBe(false);
  });
});
