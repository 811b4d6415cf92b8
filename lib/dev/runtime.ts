/**
 * The embedded local deployment (DESIGN §8): Azurite for tables and queues, the files of an estate
 * folder as the live source, and the same pieces as in Azure — the Event Grid handler, per-scope
 * coalescing through the queue, the queue handler, evaluateScope, the store, the alerts — plus the
 * HTTP API and the dashboard on loopback. Only the sources differ from Azure.
 */
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { startAzurite, type Azurite } from '../local/azurite.js';
import { FUNCTIONS, MAX_DEQUEUE_COUNT, QUEUES, SETTINGS, TABLES } from '../config/names.js';
import { createCoalescer } from '../azure/coalesce.js';
import { createFindingsStore, type FindingsStore, type Transition } from '../store/index.js';
import {
  alerterOptionsFromEnv,
  createAlerter,
  type Alerter,
  type AlertMessage,
  type AlertSink,
} from '../alerts/index.js';
import { createPipeline, type EstateEvaluator, type PipelineLog } from '../pipeline/pipeline.js';
import { fileSource } from '../pipeline/file-source.js';
import { handleEvaluateMessage, handleResourceEvents, type Runtime } from '../pipeline/handlers.js';
import type { EvaluationOutcome, Pipeline } from '../pipeline/types.js';
import { createApi, localAccess, type RuleInfo } from '../api/index.js';
import { createEstateFlowChecker } from '../api/flow-check.js';
import { createQueueScanStarter } from '../api/scan.js';
import { createDashboardAssets } from '../dashboard/assets.js';
import { startDevServer, type DevServer } from './server.js';
import { createEventGridWebhook } from './webhook.js';
import { startQueuePoller, type QueuePoller } from './poller.js';
import { formatAlert, formatTransition } from './output.js';

export interface DevRuntimeOptions {
  /** The folder of JSON files that is the live estate (re-read on every evaluation). */
  estateDir: string;
  /** Keep Azurite's data here; in memory when absent. */
  dataDir?: string;
  /** 0 for a free port. */
  port: number;
  host?: string;
  /** Seconds a scope's window stays open before it is evaluated. */
  coalesceSeconds?: number;
  evaluate: EstateEvaluator;
  rules: () => readonly RuleInfo[];
  /** Where lines for a person go. */
  print: (line: string) => void;
  /** The environment the webhook alert sink is configured from (NSGWATCH_ALERTS_WEBHOOK_*). */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface DevStats {
  findingsOpened: number;
  findingsResolved: number;
  alerts: number;
  events: number;
  evaluations: number;
  evaluationFailures: number;
}

export interface DevRuntime {
  url: string;
  store: FindingsStore;
  pipeline: Pipeline;
  stats: DevStats;
  /** Sweep every subscription of the estate through evaluateScope. */
  sweep(): Promise<EvaluationOutcome[]>;
  /** Resolves once every queued scope was evaluated. */
  waitForIdle(timeoutMs?: number): Promise<void>;
  /** Stop the server, the poller and Azurite, in that order. */
  stop(): Promise<void>;
}

/** The console alert sink: what would reach a channel, printed. */
function consoleSink(print: (line: string) => void): AlertSink {
  return {
    name: 'console',
    send(messages: AlertMessage[]) {
      for (const message of messages) print(formatAlert(message));
      return Promise.resolve();
    },
  };
}

/** The webhook sink only, from the alert settings; other sinks stay off locally. */
function webhookSinks(env: Readonly<Record<string, string | undefined>>, print: (line: string) => void): AlertSink[] {
  const webhookSettings = [SETTINGS.alertsWebhookUrl, SETTINGS.alertsWebhookFormat, SETTINGS.alertsWebhookMinSeverity];
  const only = Object.fromEntries(webhookSettings.map((name) => [name, env[name]]));
  if (!only[SETTINGS.alertsWebhookUrl]) return [];
  const setup = alerterOptionsFromEnv(only, noCredential);
  for (const error of setup.errors) print(`  ! alert settings: ${error}`);
  return setup.options.sinks;
}

/** Locally no sink needs Azure credentials; one that asked would fail loudly. */
const noCredential: TokenCredential = {
  getToken(): Promise<AccessToken | null> {
    return Promise.reject(new Error('local mode has no Azure credentials'));
  },
};

export async function startDevRuntime(options: DevRuntimeOptions): Promise<DevRuntime> {
  const print = options.print;
  const stats: DevStats = { findingsOpened: 0, findingsResolved: 0, alerts: 0, events: 0, evaluations: 0, evaluationFailures: 0 };
  const azurite: Azurite = await startAzurite(options.dataDir !== undefined ? { location: options.dataDir } : {});
  let server: DevServer | undefined;
  let poller: QueuePoller | undefined;
  let stopDispatching = (): void => undefined;
  try {
    const connectionString = azurite.connectionString;
    const store = createFindingsStore({ connection: { kind: 'connectionString', connectionString } });
    await store.ensureTables();
    const queue = new QueueClient(connectionString, QUEUES.evaluate);
    const poison = new QueueClient(connectionString, QUEUES.evaluatePoison);
    const coalescer = createCoalescer({
      table: TableClient.fromConnectionString(connectionString, TABLES.pending, { allowInsecureConnection: true }),
      queue,
      delaySeconds: options.coalesceSeconds ?? 1,
    });
    await coalescer.ensureResources();
    await poison.createIfNotExists();

    const log: PipelineLog = (level, message) => {
      if (level !== 'info') print(`  ! ${message}`);
    };
    const alerter = countingAlerter(
      createAlerter({ sinks: [consoleSink(print), ...webhookSinks(options.env ?? {}, print)], log: (level, message) => log(level, message) }),
      stats,
      print,
    );
    const source = fileSource({ directory: options.estateDir });
    const pipeline = createPipeline({ source, store, alerter, evaluate: options.evaluate, log });
    const runtime: Runtime = { pipeline, coalescer, store, alerter, log, watched: () => source.subscriptions() };
    // What the Azure dispatch timer does, every second: retries what a sink (the webhook) refused,
    // and what a stop with --data left in the outbox.
    const dispatching = setInterval(() => void pipeline.dispatch(), 1_000);
    dispatching.unref();
    stopDispatching = () => clearInterval(dispatching);
    await pipeline.dispatch();

    poller = startQueuePoller({
      queue,
      poison,
      handle: async (message, delivery) => {
        await handleEvaluateMessage(message, delivery, runtime, { maxDequeueCount: MAX_DEQUEUE_COUNT });
      },
      retryDelaySeconds: 1,
      log: (_level, message) => print(`  ! ${message}`),
    });

    const api = createApi(
      {
        // Local mode has no sign-in: the dev server's loopback, Host and Origin checks stand in for it.
        access: localAccess(),
        store,
        rules: options.rules,
        flow: createEstateFlowChecker(source),
        scan: createQueueScanStarter({ coalescer, subscriptions: () => source.subscriptions() }),
        dashboard: createDashboardAssets({ apiBase: '/api/' }),
        log: (_level, message) => print(`  ! ${message}`),
      },
      { dashboardBase: '/' },
    );
    const webhook = createEventGridWebhook({
      functionName: FUNCTIONS.onResourceChange,
      deliver: async (event) => {
        await handleResourceEvents(event, runtime);
      },
      onDelivery: (report) => {
        stats.events += report.delivered;
      },
    });
    server = await startDevServer({ api, webhook, port: options.port, ...(options.host !== undefined ? { host: options.host } : {}), log: (line) => print(`  ! ${line}`) });

    const started = { server, poller };
    return {
      url: server.url,
      store,
      pipeline,
      stats,
      sweep: () => pipeline.sweep(undefined, { operation: 'nsgwatch/sweep', eventId: `sweep-${Date.now()}` }),
      waitForIdle: (timeoutMs) => started.poller.waitForIdle(timeoutMs),
      async stop() {
        stopDispatching();
        await started.server.close();
        await started.poller.stop();
        await azurite.stop();
      },
    };
  } catch (error) {
    stopDispatching();
    await server?.close().catch(() => undefined);
    await poller?.stop().catch(() => undefined);
    await azurite.stop();
    throw error;
  }
}

/** Prints each transition as the pipeline publishes it and counts what the demo summarises. */
function countingAlerter(alerter: Alerter, stats: DevStats, print: (line: string) => void): Alerter {
  const show = (transitions: readonly Transition[]) => {
    for (const transition of transitions) {
      print(formatTransition(transition));
      if (transition.kind === 'opened' || transition.kind === 'reopened') stats.findingsOpened += 1;
      if (transition.kind === 'resolved') stats.findingsResolved += 1;
    }
  };
  return {
    ...alerter,
    // The outbox hands every transition to the console sink once (it never fails): print it there.
    async deliverTo(sink, transitions) {
      if (sink === 'console') show(transitions);
      const outcome = await alerter.deliverTo(sink, transitions);
      if (outcome.status === 'sent') stats.alerts += outcome.messages;
      return outcome;
    },
    async publish(transitions: readonly Transition[]) {
      show(transitions);
      const outcomes = await alerter.publish(transitions);
      for (const outcome of outcomes) if (outcome.status === 'sent') stats.alerts += outcome.messages;
      return outcomes;
    },
    recordEvaluation(metric) {
      stats.evaluations += 1;
      if (!metric.ok) stats.evaluationFailures += 1;
      alerter.recordEvaluation(metric);
    },
  };
}
