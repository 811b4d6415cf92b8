/**
 * The identity of an alert message, the same however often it is sent: the CloudEvent `id` on the
 * Event Grid topic and the webhook's `Idempotency-Key`, so a receiver recognises a redelivery from
 * the outbox (after a crash between sending and recording it) as the message it already has.
 */
import { createHash } from 'node:crypto';
import type { AlertMessage } from './types.js';
import { assertNever } from '../nsg/index.js';

export function stableId(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('base64url');
}

export function messageIdOf(message: AlertMessage): string {
  switch (message.kind) {
    case 'transition':
      return stableId(message.alert.transitionId);
    case 'digest': {
      const digest = message.digest;
      return stableId('digest', ...digest.top.map((a) => a.transitionId), String(digest.total), digest.at);
    }
    default:
      return assertNever(message, 'alert message');
  }
}
