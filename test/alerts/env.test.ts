import { describe, expect, it } from 'vitest';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { alerterOptionsFromEnv } from '../../lib/alerts/index.js';

const credential: TokenCredential = {
  getToken: async (): Promise<AccessToken> => ({ token: 'unused', expiresOnTimestamp: Date.now() + 60_000 }),
};

describe('alerterOptionsFromEnv', () => {
  const cases: [string, Record<string, string>, { sinks: string[]; errors: RegExp[]; threshold?: number; dashboard?: string }][] = [
    ['nothing configured: no sinks', {}, { sinks: [], errors: [] }],
    [
      'topic and Slack webhook',
      {
        NSGWATCH_ALERTS_TOPIC_ENDPOINT: 'https://nsgwatch-alerts.westeurope-1.eventgrid.azure.net/api/events',
        NSGWATCH_ALERTS_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/X',
        NSGWATCH_ALERTS_WEBHOOK_FORMAT: 'slack',
        NSGWATCH_ALERTS_WEBHOOK_MIN_SEVERITY: 'HIGH',
        NSGWATCH_ALERTS_DIGEST_THRESHOLD: '50',
        NSGWATCH_DASHBOARD_URL: 'https://nsgwatch.example/',
      },
      { sinks: ['eventGrid', 'webhook:slack'], errors: [], threshold: 50, dashboard: 'https://nsgwatch.example/' },
    ],
    [
      'wrong values are reported by setting name, the rest still works',
      {
        NSGWATCH_ALERTS_TOPIC_ENDPOINT: 'http://insecure.example/api/events',
        NSGWATCH_ALERTS_WEBHOOK_URL: 'https://example.com/hook',
        NSGWATCH_ALERTS_WEBHOOK_FORMAT: 'discord',
        NSGWATCH_ALERTS_DIGEST_THRESHOLD: 'many',
      },
      {
        sinks: [],
        errors: [/NSGWATCH_ALERTS_TOPIC_ENDPOINT must be an https URL/, /NSGWATCH_ALERTS_WEBHOOK_FORMAT must be one of generic, teams, slack/, /NSGWATCH_ALERTS_DIGEST_THRESHOLD/],
      },
    ],
    ['a severity that is not one', { NSGWATCH_ALERTS_WEBHOOK_URL: 'https://example.com/h', NSGWATCH_ALERTS_WEBHOOK_MIN_SEVERITY: 'urgent' }, { sinks: [], errors: [/"urgent"/] }],
  ];
  it.each(cases)('%s', (_name, env, want) => {
    const setup = alerterOptionsFromEnv(env, credential);
    expect(setup.options.sinks.map((s) => s.name)).toEqual(want.sinks);
    expect(setup.errors).toHaveLength(want.errors.length);
    want.errors.forEach((re, i) => expect(setup.errors[i]).toMatch(re));
    expect(setup.options.digestThreshold).toBe(want.threshold);
    expect(setup.options.dashboardUrl).toBe(want.dashboard);
    expect(setup.appInsights).toBeUndefined();
  });
});
