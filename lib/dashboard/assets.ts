/**
 * The dashboard's static files: plain HTML, ES modules and CSS under lib/dashboard/public, and
 * Chart.js's UMD build from node_modules. Found relative to the package root, so the sources,
 * the compiled dist/ and the deployed Functions app all serve the same files with no build step.
 */
import { readFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DashboardAssets } from '../api/types.js';

/** What the page needs to sign in (OIDC authorization code + PKCE); absent locally, where nobody signs in. */
export interface DashboardSignIn {
  /** The v2.0 issuer; the page reads its discovery document for the authorize and token endpoints. */
  issuer: string;
  /** The app registration's client id (a public SPA client: no secret). */
  clientId: string;
  /** The delegated scope, `api://<client id>/access_as_user`. */
  scope: string;
}

export interface DashboardAssetOptions {
  /** Where the page finds the JSON API, relative to the page or absolute (`api/`, `/api/`). */
  apiBase: string;
  signIn?: DashboardSignIn;
  /** The folder holding index.html and assets/ (default: lib/dashboard/public of the package). */
  publicDir?: string;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** Files served under vendor/: a fixed list, never a path from the request. */
const VENDOR_FILES: Readonly<Record<string, () => string>> = {
  'chart.umd.min.js': () => join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js'),
};

const API_BASE_PLACEHOLDER = '%NSGWATCH_API_BASE%';
const SIGN_IN_PLACEHOLDERS = { issuer: '%NSGWATCH_AUTH_ISSUER%', clientId: '%NSGWATCH_AUTH_CLIENT_ID%', scope: '%NSGWATCH_AUTH_SCOPE%' } as const;

/** The folder of the package.json named nsgwatch above this module (sources or dist/). */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const parsed: unknown = JSON.parse(readFileSync(manifest, 'utf8'));
      if (typeof parsed === 'object' && parsed !== null && (parsed as Record<string, unknown>)['name'] === 'nsgwatch') return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no nsgwatch package.json above ${from}`);
    dir = parent;
  }
}

export function createDashboardAssets(options: DashboardAssetOptions): DashboardAssets {
  const publicDir = resolve(options.publicDir ?? join(packageRoot(), 'lib', 'dashboard', 'public'));
  const apiBase = escapeAttribute(options.apiBase);
  const signIn = options.signIn;
  const connectSources = signIn !== undefined ? [new URL(signIn.issuer).origin] : [];

  async function read(path: string): Promise<{ contentType: string; body: Uint8Array } | undefined> {
    const file = locate(publicDir, path);
    if (file === undefined) return undefined;
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch {
      return undefined;
    }
    const contentType = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
    if (path === '') {
      const page = bytes
        .toString('utf8')
        .replaceAll(API_BASE_PLACEHOLDER, apiBase)
        .replaceAll(SIGN_IN_PLACEHOLDERS.issuer, escapeAttribute(signIn?.issuer ?? ''))
        .replaceAll(SIGN_IN_PLACEHOLDERS.clientId, escapeAttribute(signIn?.clientId ?? ''))
        .replaceAll(SIGN_IN_PLACEHOLDERS.scope, escapeAttribute(signIn?.scope ?? ''));
      return { contentType, body: Buffer.from(page) };
    }
    return { contentType, body: bytes };
  }

  return { read, connectSources };
}

/** The file for a dashboard path, or undefined; only plain names under assets/ and known vendor files. */
function locate(publicDir: string, path: string): string | undefined {
  if (path === '') return join(publicDir, 'index.html');
  const [folder, name, ...rest] = path.split('/');
  if (name === undefined || rest.length > 0 || !/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(name)) return undefined;
  if (folder === 'assets') return join(publicDir, 'assets', name);
  if (folder === 'vendor') return Object.hasOwn(VENDOR_FILES, name) ? VENDOR_FILES[name]?.() : undefined;
  return undefined;
}

function escapeAttribute(text: string): string {
  return text.replace(/[&"'<>]/g, (c) => `&#${c.charCodeAt(0)};`);
}
