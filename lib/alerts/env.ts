import type { TokenCredential } from '@azure/identity';
import type { AlertSink } from './types.js';

/** Builds the sinks the app settings configure (App Insights, Event Grid topic, webhook). */
export function alertSinksFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  credential: TokenCredential,
): { sinks: AlertSink[]; errors: string[] } {
  void env;
  void credential;
  throw new Error('alertSinksFromEnv: not implemented yet');
}
