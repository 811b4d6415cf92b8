import { describe, expect, it } from 'vitest';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { storeOptionsFromEnv } from '../../lib/store/index.js';

const credential: TokenCredential = {
  getToken: async (): Promise<AccessToken> => ({ token: 'unused', expiresOnTimestamp: Date.now() + 60_000 }),
};

describe('storeOptionsFromEnv', () => {
  const cases: [string, Record<string, string>, unknown][] = [
    [
      'identity-based account name wins over a connection string',
      { AzureWebJobsStorage__accountName: 'nsgwatchst01', AzureWebJobsStorage: 'UseDevelopmentStorage=true' },
      { ok: true, options: { connection: { kind: 'identity', accountName: 'nsgwatchst01', credential } } },
    ],
    [
      'local development storage',
      { AzureWebJobsStorage: 'UseDevelopmentStorage=true' },
      { ok: true, options: { connection: { kind: 'connectionString', connectionString: 'UseDevelopmentStorage=true' } } },
    ],
    ['nothing configured', {}, { ok: false, error: expect.stringContaining('AzureWebJobsStorage__accountName') }],
    ['blank values count as absent', { AzureWebJobsStorage: '  ' }, { ok: false, error: expect.stringContaining('no storage configured') }],
    ['not an account name', { AzureWebJobsStorage__accountName: 'Bad_Name' }, { ok: false, error: expect.stringContaining('"Bad_Name"') }],
  ];
  it.each(cases)('%s', (_name, env, want) => {
    expect(storeOptionsFromEnv(env, credential)).toEqual(want);
  });
});
