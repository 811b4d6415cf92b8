/**
 * The local stand-in for the Functions host's queue trigger on QUEUES.evaluate: receive messages,
 * decode them as the host does (base64, then JSON), call the very handler the queue-trigger
 * Function uses, delete on success, retry on failure, and move a message that keeps failing to
 * the poison queue after maxDequeueCount attempts, as host.json configures in Azure.
 */
import type { QueueClient } from '@azure/storage-queue';
import { MAX_DEQUEUE_COUNT } from '../config/names.js';
import { errorMessage } from '../nsg/index.js';

/** The queue trigger's handler: throws to have the message retried. */
export type QueueMessageHandler = (message: unknown, meta: { id: string; dequeueCount: number }) => Promise<void>;

export interface QueuePollerOptions {
  queue: QueueClient;
  poison: QueueClient;
  handle: QueueMessageHandler;
  /** Attempts before a message goes to the poison queue (host.json: 5). */
  maxDequeueCount?: number;
  /** How long a received message stays invisible to other receivers, seconds. */
  visibilityTimeoutSeconds?: number;
  /** Wait before a failed message is tried again, seconds. */
  retryDelaySeconds?: number;
  /** Pause between polls of an empty queue, ms. */
  idleDelayMs?: number;
  batchSize?: number;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

export interface QueuePoller {
  /** Resolves once the queue holds no message (visible or delayed) and no handler is running. */
  waitForIdle(timeoutMs?: number): Promise<void>;
  /** Messages handled successfully so far. */
  handled(): number;
  /** Stop polling and wait for the running handlers to finish. */
  stop(): Promise<void>;
}

export function startQueuePoller(options: QueuePollerOptions): QueuePoller {
  const maxDequeueCount = options.maxDequeueCount ?? MAX_DEQUEUE_COUNT;
  const visibility = options.visibilityTimeoutSeconds ?? 60;
  const retryDelay = options.retryDelaySeconds ?? 2;
  const idleDelayMs = options.idleDelayMs ?? 200;
  const batchSize = options.batchSize ?? 8;
  const log = options.log ?? (() => undefined);
  let stopping = false;
  let running = 0;
  let handledCount = 0;
  let wake: (() => void) | undefined;

  async function handleOne(message: { messageId: string; popReceipt: string; messageText: string; dequeueCount: number }): Promise<void> {
    running += 1;
    try {
      await options.handle(decodeMessage(message.messageText), { id: message.messageId, dequeueCount: message.dequeueCount });
      await options.queue.deleteMessage(message.messageId, message.popReceipt);
      handledCount += 1;
    } catch (error) {
      const reason = errorMessage(error);
      if (message.dequeueCount >= maxDequeueCount) {
        log('error', `queue message ${message.messageId} failed ${message.dequeueCount} times; moved to the poison queue: ${reason}`);
        await options.poison.sendMessage(message.messageText).catch(() => undefined);
        await options.queue.deleteMessage(message.messageId, message.popReceipt).catch(() => undefined);
      } else {
        log('warn', `queue message ${message.messageId} failed (attempt ${message.dequeueCount}); retrying in ${retryDelay} s: ${reason}`);
        await options.queue.updateMessage(message.messageId, message.popReceipt, undefined, retryDelay).catch(() => undefined);
      }
    } finally {
      running -= 1;
    }
  }

  async function loop(): Promise<void> {
    while (!stopping) {
      let received: { messageId: string; popReceipt: string; messageText: string; dequeueCount: number }[] = [];
      try {
        const response = await options.queue.receiveMessages({ numberOfMessages: batchSize, visibilityTimeout: visibility });
        received = response.receivedMessageItems;
      } catch (error) {
        if (!stopping) log('warn', `could not read the evaluation queue: ${errorMessage(error)}`);
      }
      if (received.length > 0) {
        await Promise.all(received.map((m) => handleOne(m)));
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, idleDelayMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  }

  const looping = loop();

  async function queueIsEmpty(): Promise<boolean> {
    const properties = await options.queue.getProperties();
    return (properties.approximateMessagesCount ?? 0) === 0;
  }

  return {
    async waitForIdle(timeoutMs = 60_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (running === 0 && (await queueIsEmpty()) && running === 0) return;
        if (Date.now() > deadline) throw new Error(`the evaluation queue did not drain within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    handled: () => handledCount,
    async stop(): Promise<void> {
      stopping = true;
      wake?.();
      await looping;
    },
  };
}

/** What the Functions host hands a queue trigger: base64 is decoded, JSON is parsed. */
export function decodeMessage(text: string): unknown {
  const trimmed = text.trim();
  const decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed, 'base64').toString('utf8') : trimmed;
  try {
    return JSON.parse(decoded) as unknown;
  } catch {
    return decoded;
  }
}
