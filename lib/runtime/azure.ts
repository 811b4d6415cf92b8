/**
 * The Functions app's runtime, built once per process from the app settings on first use: the
 * store, the alerter, the coalescer, ARM as the source, and the pipeline joining them.
 */
import type { TokenCredential } from '@azure/identity';
import { appCredential } from '../azure/clients.js';
import type { InvocationContext } from '@azure/functions';
import { alerterOptionsFromEnv, createAlerter } from '../alerts/index.js';
import { createArmReader, type ArmReader } from '../azure/arm.js';
import { DEFAULT_READ_BUDGET, type ReadBudgetConfig } from '../azure/budget.js';
import { armSource } from '../azure/arm-source.js';
import { coalescerFromEnvironment } from '../azure/coalesce.js';
import { SETTINGS } from '../config/names.js';
import { evaluateRules } from './catalogue.js';
import { createPipeline, type PipelineLog } from '../pipeline/pipeline.js';
import type { Runtime } from '../pipeline/handlers.js';
import type { EstateSource } from '../pipeline/types.js';
import { createFindingsStore, storeOptionsFromEnv } from '../store/index.js';

export interface AzureRuntimeOptions {
  env: Readonly<Record<string, string | undefined>>;
  /** Default: DefaultAzureCredential on the managed identity named by AZURE_CLIENT_ID. */
  credential?: TokenCredential;
  /** Default: the process's ARM reader (same credential, process-wide read budget). */
  armReader?: ArmReader;
}

/** The pipeline's pieces plus the source the API's flow check and scan starter read. */
export interface AzureRuntime extends Runtime {
  source: EstateSource;
}

let options: AzureRuntimeOptions = { env: process.env };
let runtime: AzureRuntime | undefined;

/** Replace what the runtime is built from (tests: Azurite settings, a test transport); rebuilds on next use. */
export function configureAzureRuntime(next: AzureRuntimeOptions): void {
  options = next;
  runtime = undefined;
}

/** The invocation's logger (traces correlated with the invocation in Application Insights). */
export function logTo(context: InvocationContext): PipelineLog {
  return (level, message, properties) => {
    const args = properties ? [message, properties] : [message];
    if (level === 'error') context.error(...args);
    else if (level === 'warn') context.warn(...args);
    else context.log(...args);
  };
}

/** Outside an invocation (the pipeline's own logs): the worker forwards the console to the host. */
const consoleLog: PipelineLog = (level, message, properties) => {
  const line = properties ? `${message} ${JSON.stringify(properties)}` : message;
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.info(line);
};

/**
 * The process's runtime, logging to this invocation; a setting that is missing or wrong fails
 * loudly, naming the setting.
 */
export function azureRuntime(context: InvocationContext): AzureRuntime {
  runtime ??= buildRuntime(options);
  return { ...runtime, log: logTo(context) };
}

function buildRuntime({ env, credential: given, armReader }: AzureRuntimeOptions): AzureRuntime {
  const credential = given ?? appCredential(env[SETTINGS.managedIdentityClientId]);
  const store = storeOptionsFromEnv(env, credential);
  if (!store.ok) throw new Error(store.error);
  const coalescer = coalescerFromEnvironment(env, credential);
  if (!coalescer.ok) throw new Error(coalescer.error.message);
  const alerts = alerterOptionsFromEnv(env, credential);
  for (const problem of alerts.errors) consoleLog('warn', `alert settings: ${problem}`);
  const alerter = createAlerter(alerts.options);
  const findings = createFindingsStore(store.options);
  const subscriptions = (env[SETTINGS.watchedSubscriptions] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const location = env[SETTINGS.serviceTagsLocation]?.trim();
  const share = readBudgetShare(env);
  if (!share.ok) throw new Error(share.error);
  const reader = armReader ?? createArmReader({ credential, budgetConfig: share.budget });
  const source = armSource({
    subscriptions,
    reader,
    ...(location ? { serviceTagsLocation: location } : {}),
  });
  return {
    source,
    store: findings,
    alerter,
    coalescer: coalescer.coalescer,
    log: consoleLog,
    watched: () => source.subscriptions(),
    pipeline: createPipeline({ source, store: findings, alerter, evaluate: evaluateRules, log: consoleLog }),
  };
}

/**
 * This instance's share of ARM's read budget. The budget is per subscription and identity, and
 * every instance of the app reads as the same identity: with the plan's maximum instance count in
 * NSGWATCH_MAX_INSTANCES, each instance takes 1/N of the bucket and of its refill, so all of them
 * together stay within what ARM grants even at full scale-out. Unset (one process): the whole budget.
 */
export function readBudgetShare(env: Readonly<Record<string, string | undefined>>): { ok: true; budget: ReadBudgetConfig } | { ok: false; error: string } {
  const raw = env[SETTINGS.maxInstances]?.trim();
  if (raw === undefined || raw === '') return { ok: true, budget: DEFAULT_READ_BUDGET };
  if (!/^\d{1,4}$/.test(raw) || Number(raw) < 1) return { ok: false, error: `${SETTINGS.maxInstances} must be a whole number of instances from 1, got '${raw}'` };
  const instances = Number(raw);
  // A bucket holds at least one read; past 250 instances the burst, not the rate, exceeds ARM's.
  const capacity = Math.max(1, DEFAULT_READ_BUDGET.capacity / instances);
  return {
    ok: true,
    budget: {
      capacity,
      refillPerSecond: DEFAULT_READ_BUDGET.refillPerSecond / instances,
      sweepReserve: capacity * (DEFAULT_READ_BUDGET.sweepReserve / DEFAULT_READ_BUDGET.capacity),
    },
  };
}
