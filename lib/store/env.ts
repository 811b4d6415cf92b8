import type { TokenCredential } from '@azure/identity';
import { SETTINGS } from '../config/names.js';
import type { FindingsStoreOptions } from './types.js';
import { appCredential } from '../azure/clients.js';

export type StoreOptionsFromEnv =
  | { ok: true; options: FindingsStoreOptions }
  | { ok: false; error: string };

/**
 * Reads the Functions storage settings: `AzureWebJobsStorage__accountName` (identity-based, no
 * keys; the managed identity from AZURE_CLIENT_ID) wins over an `AzureWebJobsStorage` connection
 * string (`UseDevelopmentStorage=true` or Azurite locally).
 */
export function storeOptionsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  credential?: TokenCredential,
): StoreOptionsFromEnv {
  const accountName = env[SETTINGS.storageAccountName]?.trim();
  if (accountName) {
    if (!/^[a-z0-9]{3,24}$/.test(accountName)) {
      return { ok: false, error: `${SETTINGS.storageAccountName} is not a storage account name: "${accountName}"` };
    }
    return {
      ok: true,
      options: {
        connection: {
          kind: 'identity',
          accountName,
          credential:
            credential ?? appCredential(env[SETTINGS.managedIdentityClientId]),
        },
      },
    };
  }
  const connectionString = env[SETTINGS.storageConnectionString]?.trim();
  if (connectionString) return { ok: true, options: { connection: { kind: 'connectionString', connectionString } } };
  return {
    ok: false,
    error: `no storage configured: set ${SETTINGS.storageAccountName} (identity) or ${SETTINGS.storageConnectionString}`,
  };
}
