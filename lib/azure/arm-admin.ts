/**
 * The security admin rules that apply to one virtual network, read live: the network's effective
 * security admin rules list (`POST .../virtualNetworks/{name}/listNetworkManagerEffectiveSecurityAdminRules`,
 * https://learn.microsoft.com/rest/api/virtualnetworkmanager/list-effective-security-admin-rules/list),
 * the request `NetworkManagementClient.listNetworkManagerEffectiveSecurityAdminRules` sends, sent
 * through the client's pipeline (credential, read policy, budget) with its body parsed as ARM
 * sent it (the SDK's model mapping of every rule would be thrown away). It answers with
 * Reader on the network's own subscription, even when the network manager lives elsewhere, and
 * gives exactly the rules committed to the network's region for the groups it is in (static and
 * dynamic members alike). Pages follow `skipToken`. The document handed on is the REST body with
 * the network it is for beside it (`virtualNetworkId`), the shape lib/estate reads offline too.
 */
import type { NetworkManagementClient } from '@azure/arm-network';
import { createPipelineRequest, createHttpHeaders } from '@azure/core-rest-pipeline';
import { arrayField } from '../estate/fields.js';
import { parseResourceId } from '../arm/index.js';
import type { ReadFailure } from './arm-errors.js';
import { withReadContext } from './arm-policy.js';
import { bodyOf, failureFrom, NETWORK_API_VERSION, resourcePath, responseError } from './arm-rest.js';
import type { ReadLane } from './budget.js';

export type EffectiveAdminRulesRead =
  | { status: 'read'; document: { virtualNetworkId: string; value: unknown[] }; reads: number }
  /** The network is gone (404): nothing applies to it. */
  | { status: 'deleted'; reads: number }
  | { status: 'failed'; failure: ReadFailure; reads: number };

/** More pages than this is not a list Azure gives for one network: reported, never cut short silently. */
const MAX_PAGES = 50;

export async function readEffectiveAdminRules(
  client: (subscriptionId: string) => NetworkManagementClient,
  endpoint: string,
  virtualNetworkId: string,
  lane: ReadLane,
): Promise<EffectiveAdminRulesRead> {
  const type = 'Microsoft.Network/virtualNetworks/listNetworkManagerEffectiveSecurityAdminRules';
  const target = `${virtualNetworkId}/listNetworkManagerEffectiveSecurityAdminRules`;
  const id = parseResourceId(virtualNetworkId);
  if (!id?.resourceGroup) {
    return { status: 'failed', reads: 0, failure: { target, resourceType: type, cause: 'client-error', attempts: 0, message: `'${virtualNetworkId}' is not a virtual network id` } };
  }
  const network = resourcePath(id.subscriptionId, id.resourceGroup, 'Microsoft.Network/virtualNetworks', id.name);
  const url = `${endpoint}${network}/listNetworkManagerEffectiveSecurityAdminRules?api-version=${NETWORK_API_VERSION}`;
  return withReadContext(lane, async (context) => {
    const sdk = client(id.subscriptionId);
    const value: unknown[] = [];
    let skipToken: string | undefined;
    try {
      for (let page = 0; page === 0 || skipToken !== undefined; page += 1) {
        if (page >= MAX_PAGES) throw new Error(`${target}: more than ${MAX_PAGES} pages`);
        // The body is the REST QueryRequestOptions: the next page's skipToken, if any.
        const response = await sdk.sendRequest(
          createPipelineRequest({
            url,
            method: 'POST',
            headers: createHttpHeaders({ 'content-type': 'application/json', accept: 'application/json' }),
            body: JSON.stringify(skipToken === undefined ? {} : { skipToken }),
          }),
        );
        if (response.status !== 200) throw responseError(response);
        // The REST body as ARM sent it (fields under `properties`), as offline exports hold it.
        const body = bodyOf(response, target);
        value.push(...arrayField(body, 'value'));
        const next = body['skipToken'];
        skipToken = typeof next === 'string' && next !== '' ? next : undefined;
      }
      return { status: 'read', document: { virtualNetworkId, value }, reads: context.requests };
    } catch (error) {
      const failure = failureFrom(error, context, target, type);
      if (failure.kind === 'deleted') return { status: 'deleted', reads: context.requests };
      return { status: 'failed', failure: failure.failure, reads: context.requests };
    }
  });
}
