import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';

/** Azurite's documented, public development account (not a secret: it is the same everywhere). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  /** Keep data under this folder; in memory when absent. */
  location?: string;
  /** Fixed ports; 0 (a free port) when absent. */
  ports?: { blob?: number; queue?: number; table?: number };
  /** Milliseconds to wait for the services to listen. */
  startTimeoutMs?: number;
}

export interface Azurite {
  blobUrl: string;
  queueUrl: string;
  tableUrl: string;
  /** A connection string for the data-plane SDKs, pointing at loopback. */
  connectionString: string;
  stop(): Promise<void>;
}

type Service = 'Blob' | 'Queue' | 'Table';
const LISTENING = /Azurite (Blob|Queue|Table) service is successfully listening at (http:\/\/\S+)/;

/**
 * Start Azurite (from npm) on loopback as a child process: telemetry off, API version check off,
 * no access log, in memory unless a folder is given. Resolves once all three services listen.
 */
export async function startAzurite(options: AzuriteOptions = {}): Promise<Azurite> {
  const entry = createRequire(import.meta.url).resolve('azurite/dist/src/azurite.js');
  const ports = options.ports ?? {};
  const args = [
    entry,
    '--disableTelemetry',
    '--skipApiVersionCheck',
    '--loose',
    // No access log: a line per request would cost Azurite more than the request itself.
    '--silent',
    '--blobHost', '127.0.0.1', '--blobPort', String(ports.blob ?? 0),
    '--queueHost', '127.0.0.1', '--queuePort', String(ports.queue ?? 0),
    '--tableHost', '127.0.0.1', '--tablePort', String(ports.table ?? 0),
  ];
  if (options.location) {
    mkdirSync(options.location, { recursive: true });
    args.push('--location', options.location);
  } else {
    args.push('--inMemoryPersistence');
  }
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const urls = await waitForServices(child, options.startTimeoutMs ?? 30_000);
  const conn = [
    'DefaultEndpointsProtocol=http',
    `AccountName=${AZURITE_ACCOUNT}`,
    `AccountKey=${AZURITE_KEY}`,
    `BlobEndpoint=${urls.Blob}/${AZURITE_ACCOUNT}`,
    `QueueEndpoint=${urls.Queue}/${AZURITE_ACCOUNT}`,
    `TableEndpoint=${urls.Table}/${AZURITE_ACCOUNT}`,
  ].join(';');
  return {
    blobUrl: `${urls.Blob}/${AZURITE_ACCOUNT}`,
    queueUrl: `${urls.Queue}/${AZURITE_ACCOUNT}`,
    tableUrl: `${urls.Table}/${AZURITE_ACCOUNT}`,
    connectionString: conn,
    stop: () => stopChild(child),
  };
}

function waitForServices(child: ChildProcess, timeoutMs: number): Promise<Record<Service, string>> {
  return new Promise((resolve, reject) => {
    const found: Partial<Record<Service, string>> = {};
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`Azurite did not start within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      for (const line of output.split('\n')) {
        const m = LISTENING.exec(line);
        if (m?.[1] && m[2]) found[m[1] as Service] = m[2];
      }
      if (found.Blob && found.Queue && found.Table) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        // Keep draining so a full pipe never blocks Azurite.
        child.stdout?.resume();
        child.stderr?.resume();
        resolve({ Blob: found.Blob, Queue: found.Queue, Table: found.Table });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited (code ${code}) before it was ready:\n${output}`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
