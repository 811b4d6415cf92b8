/**
 * POST /api/scan starts a sweep by putting one subscription scope per subscription on the
 * evaluation queue (through the coalescer), so a scan is evaluated by the same queue consumer as
 * events, scales out the same way, and a second click while one is pending joins it.
 */
import { randomUUID } from 'node:crypto';
import { subscriptionScope } from '../azure/scopes.js';
import type { Coalescer } from '../azure/coalesce.js';
import type { ScanStart, ScanStarter } from './types.js';
import { errorMessage } from '../nsg/index.js';

export interface QueueScanStarterOptions {
  coalescer: Pick<Coalescer, 'enqueueScope'>;
  /** The watched subscriptions (lower case). */
  subscriptions: () => Promise<string[]>;
  now?: () => Date;
  newId?: () => string;
}

/** The operation name a requested scan records in the finding history. */
export const SCAN_OPERATION = 'nsgwatch/scan/action';

export function createQueueScanStarter(options: QueueScanStarterOptions): ScanStarter {
  const now = options.now ?? (() => new Date());
  const newId = options.newId ?? randomUUID;
  return {
    async start(request): Promise<ScanStart> {
      let watched: string[];
      try {
        watched = (await options.subscriptions()).map((s) => s.toLowerCase());
      } catch (error) {
        return { ok: false, error: { code: 'unavailable', message: `could not list the watched subscriptions: ${message(error)}` } };
      }
      const wanted = request.subscriptionId?.toLowerCase();
      if (wanted !== undefined && !watched.includes(wanted)) {
        return { ok: false, error: { code: 'unknownSubscription', message: `subscription ${wanted} is not watched; watched: ${watched.join(', ') || 'none'}` } };
      }
      const subscriptions = wanted !== undefined ? [wanted] : watched;
      const scanId = newId();
      const startedAt = now().toISOString();
      try {
        for (const subscription of subscriptions) {
          const scope = subscriptionScope(subscription);
          await options.coalescer.enqueueScope(scope, {
            eventId: scanId,
            correlationId: scanId,
            operationName: SCAN_OPERATION,
            eventTime: startedAt,
            resourceId: scope.id,
            ...(request.requestedBy !== undefined ? { changedBy: request.requestedBy } : {}),
          });
        }
      } catch (error) {
        return { ok: false, error: { code: 'unavailable', message: `could not queue the scan: ${message(error)}` } };
      }
      return { ok: true, started: { scanId, subscriptions, startedAt } };
    },
  };
}

function message(error: unknown): string {
  return errorMessage(error);
}
