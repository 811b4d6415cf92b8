import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_DEQUEUE_COUNT } from '../../lib/config/names.js';

const HOST = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'host.json'), 'utf8')) as {
  extensions?: { queues?: { maxDequeueCount?: unknown } };
};

describe('host.json', () => {
  it('delivers a queue message as many times as the pipeline counts on (and local mode does)', () => {
    expect(HOST.extensions?.queues?.maxDequeueCount).toBe(MAX_DEQUEUE_COUNT);
  });
});
