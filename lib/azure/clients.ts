/**
 * How nsgwatch's Azure clients authenticate and connect: one credential for every client (the
 * app's user-assigned managed identity in Azure, a developer's sign-in elsewhere), and plain http
 * only where a connection string asks for it (Azurite and the storage emulator on loopback).
 */
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';

/**
 * DefaultAzureCredential, pinned to the user-assigned identity when its client id is set
 * (https://learn.microsoft.com/javascript/api/@azure/identity/defaultazurecredential).
 */
export function appCredential(managedIdentityClientId: string | undefined): TokenCredential {
  const clientId = managedIdentityClientId?.trim();
  return new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {});
}

/** True when a storage connection string names an http endpoint (the SDKs refuse one unless told). */
export function isPlainHttpConnection(connectionString: string): boolean {
  return /(^|;)\s*(DefaultEndpointsProtocol=http\s*(;|$)|UseDevelopmentStorage=true|\w+Endpoint=http:)/i.test(connectionString);
}
