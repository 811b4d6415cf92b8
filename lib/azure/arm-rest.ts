/**
 * ARM reads at the REST level, shared by the lists and the targeted reads: one GET through a
 * client's pipeline with its body parsed as ARM sent it, failures classified (a 404 is "deleted"),
 * and small helpers for bodies and bounded concurrency.
 */
import type { NetworkManagementClient } from '@azure/arm-network';
import { RestError, createPipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { armTypeOf } from '../arm/index.js';
import { field } from '../estate/fields.js';
import { classifyReadError, describeFailure, type ReadFailure } from './arm-errors.js';
import type { ReadContext } from './arm-policy.js';

/**
 * The api-version of the installed @azure/arm-network: its operations all send this one, and the
 * raw lists below use it too (test/azure/arm.test.ts holds the two together).
 */
export const NETWORK_API_VERSION = '2025-05-01';

/**
 * The api-version each list outside Microsoft.Network is read at: a GA version of the provider's
 * REST specification (azure-rest-api-specs: specification/apimanagement/.../Microsoft.ApiManagement/stable/2024-05-01,
 * specification/containerservice/.../Microsoft.ContainerService/aks/stable/2025-10-01,
 * specification/domainservices/.../Microsoft.AAD/stable/2022-12-01). Microsoft.Network types use
 * the installed SDK's NETWORK_API_VERSION.
 */
export const SERVICE_API_VERSIONS: Readonly<Record<string, string>> = {
  [armTypeOf('apiManagementService').toLowerCase()]: '2024-05-01',
  [armTypeOf('managedCluster').toLowerCase()]: '2025-10-01',
  [armTypeOf('domainService').toLowerCase()]: '2022-12-01',
};

/** The api-version of a list or GET of `type` (a top-level ARM type). */
export function apiVersionOf(type: string): string {
  return SERVICE_API_VERSIONS[type.toLowerCase()] ?? NETWORK_API_VERSION;
}

/** The ARM path of a top-level resource (`type` as `Namespace/resourceType`), each part encoded as the SDK encodes path parameters. */
export function resourcePath(subscriptionId: string, resourceGroup: string, type: string, name: string): string {
  return `/subscriptions/${encodeURIComponent(subscriptionId)}/resourceGroups/${encodeURIComponent(resourceGroup)}/providers/${type}/${encodeURIComponent(name)}`;
}

/** One GET through the client's pipeline, its REST body parsed as it is (see listResources). */
export async function getJson(sdk: NetworkManagementClient, endpoint: string, path: string, target: string, apiVersion: string = NETWORK_API_VERSION): Promise<Record<string, unknown>> {
  const url = `${endpoint}${path}?api-version=${apiVersion}`;
  const response = await sdk.sendRequest(createPipelineRequest({ url, method: 'GET' }));
  if (response.status !== 200) throw responseError(response);
  return bodyOf(response, target);
}

/** One step of a scope read: the top-level resource to GET and what to follow from it. */
/** The API leaves `type` out of some bodies (a subnet's GET); the estate keys resources by it. */
export function withType(resource: unknown, type: string): unknown {
  if (typeof resource === 'object' && resource !== null && typeof (resource as { type?: unknown }).type !== 'string') {
    (resource as { type?: string }).type = type;
  }
  return resource;
}

export type FailureOrDeleted = { kind: 'deleted'; message: string } | { kind: 'failed'; failure: ReadFailure };

export function failureFrom(error: unknown, context: ReadContext, target: string, resourceType: string): FailureOrDeleted {
  const classified = classifyReadError(error);
  if (classified.kind === 'deleted') return classified;
  const failure: ReadFailure = {
    target,
    resourceType,
    cause: classified.cause,
    attempts: context.lastAttempts,
    message: describeFailure(classified, context),
  };
  if (classified.httpStatus !== undefined) failure.httpStatus = classified.httpStatus;
  return { kind: 'failed', failure };
}

export function badIdFailure(id: string, error: string): ReadFailure {
  return { target: id, resourceType: 'unknown', cause: 'bad-id', attempts: 0, message: error };
}

export function parseJsonObject(text: string | undefined, target: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? '');
  } catch {
    throw new Error(`${target}: the response is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${target}: the response is not a JSON object`);
  return parsed as Record<string, unknown>;
}

/**
 * The JSON body of a 200: the client's deserialization policy has already parsed it (as
 * `parsedBody`); the text is parsed only when it has not.
 */
export function bodyOf(response: PipelineResponse, target: string): Record<string, unknown> {
  const parsed = (response as PipelineResponse & { parsedBody?: unknown }).parsedBody;
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  return parseJsonObject(response.bodyAsText ?? undefined, target);
}

/** A non-200 answer as the RestError the SDK would throw: status, and ARM's error code and message. */
export function responseError(response: PipelineResponse): RestError {
  let code: string | undefined;
  let message = `HTTP ${response.status}`;
  try {
    const error = field(JSON.parse(response.bodyAsText ?? ''), 'error');
    const errorCode = field(error, 'code');
    const errorMessage = field(error, 'message');
    if (typeof errorCode === 'string') code = errorCode;
    if (typeof errorMessage === 'string' && errorMessage !== '') message = errorMessage;
  } catch {
    // Not JSON: the status says what there is to say.
  }
  return new RestError(message, { statusCode: response.status, response, ...(code === undefined ? {} : { code }) });
}

export async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let index = 0;
  const worker = async (): Promise<void> => {
    while (index < items.length) {
      const item = items[index] as T;
      index += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

