/**
 * Private endpoints. Azure's answer, from "Manage network policies for private endpoints"
 * (https://learn.microsoft.com/azure/private-link/disable-private-endpoint-network-policy): network
 * policies are disabled for private endpoints by default; the subnet's NSG filters them only when
 * `privateEndpointNetworkPolicies` enables NSG support (`Enabled` or `NetworkSecurityGroupEnabled`),
 * and the setting touches private endpoints only. DESIGN §4: a private endpoint is not a VM.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadEstate } from '../../lib/estate/load.js';
import { relateEstate } from '../../lib/estate/relations.js';
import { createFlowVerifier } from '../../lib/flow/verifier.js';
import { evaluateEstate } from '../../lib/rules/index.js';
import { GROUP, bastion, ids, nic, nsg, vnet, type Json, type RuleSpec } from '../rules/fixtures/build.js';
import { estateOf } from '../rules/support.js';
import { CORPUS, readJson } from './corpus.js';

const EXAMPLES = resolve(CORPUS, 'rest-api-examples/2024-07-01');

function example(file: string): unknown {
  const doc = readJson(resolve(EXAMPLES, file)) as { responses: Record<string, { body?: unknown }> };
  return doc.responses['200']?.body;
}

const endpointId = (name: string): string => `${GROUP}/privateEndpoints/${name}`;

/** A private endpoint with its NIC (in both directions: the NIC names it, it names the NIC). */
function privateEndpoint(name: string, at: { vnet: string; subnet: string; ip: string }): Json[] {
  const nicJson = nic(`${name}.nic`, at);
  (nicJson['properties'] as Json)['privateEndpoint'] = { id: endpointId(name) };
  return [
    {
      name,
      id: endpointId(name),
      type: 'Microsoft.Network/privateEndpoints',
      location: 'westeurope',
      properties: { subnet: { id: ids.subnet(at.vnet, at.subnet) }, networkInterfaces: [{ id: ids.nic(`${name}.nic`) }] },
    },
    nicJson,
  ];
}

function withPolicy(network: Json, subnet: string, policy: unknown): Json {
  for (const s of (network['properties'] as { subnets: Json[] }).subnets) {
    if (s['name'] === subnet && policy !== undefined) (s['properties'] as Json)['privateEndpointNetworkPolicies'] = policy;
  }
  return network;
}

const DENY_ALL_INBOUND: RuleSpec[] = [{ name: 'deny-all', priority: 100, access: 'Deny', protocol: '*', source: '*', ports: '*' }];

/** One subnet guarded by `rules`, holding the private endpoint pe-sql at 10.0.2.5 (and a VM at 10.0.2.4 when asked). */
function endpointEstate(policy: unknown, rules: RuleSpec[] = DENY_ALL_INBOUND, options: { vm?: boolean } = {}): Json[] {
  return [
    withPolicy(vnet('vnet-app', ['10.0.0.0/16'], [{ name: 'snet-data', prefix: '10.0.2.0/24', nsg: 'nsg-data' }]), 'snet-data', policy),
    nsg('nsg-data', rules),
    ...privateEndpoint('pe-sql', { vnet: 'vnet-app', subnet: 'snet-data', ip: '10.0.2.5' }),
    ...(options.vm ? [nic('nic-vm', { vnet: 'vnet-app', subnet: 'snet-data', ip: '10.0.2.4' })] : []),
  ];
}

const toEndpoint = { nic: 'pe-sql.nic', direction: 'inbound', protocol: 'Tcp', source: '203.0.113.9:50000', destination: '10.0.2.5:1433' };

describe('private endpoints in the estate', () => {
  it('reads the REST examples: their NIC ids are misspelled ("provders"), which is reported on the endpoint and field', () => {
    const estate = loadEstate([
      { source: 'PrivateEndpointGet.json', json: example('PrivateEndpointGet.json') },
      { source: 'PrivateEndpointList.json', json: example('PrivateEndpointList.json') },
      { source: 'PrivateEndpointGetWithASG.json', json: example('PrivateEndpointGetWithASG.json') },
    ]);
    expect(estate.errors.length).toBe(4);
    for (const error of estate.errors) {
      expect(error.resourceId).toMatch(/\/privateEndpoints\/(testPe|pe1|pe2)$/);
      expect(error.field).toBe('networkInterfaces[0]');
      expect(error.message).toMatch(/provders.*is not an ARM resource id/);
    }
    expect(estate.sources.every((s) => !('microsoft.network/privateendpoints' in s.ignoredTypes))).toBe(true);
  });

  it('reads the REST examples with the NIC ids spelled right: the endpoint, its subnet and its NICs', () => {
    const fixed = (file: string): unknown => JSON.parse(JSON.stringify(example(file)).replaceAll('/provders/', '/providers/')) as unknown;
    const estate = loadEstate(['PrivateEndpointGet.json', 'PrivateEndpointList.json', 'PrivateEndpointGetWithASG.json'].map((f) => ({ source: f, json: fixed(f) })));
    expect(estate.errors).toEqual([]);
    expect([...estate.privateEndpoints.values()].map((p) => p.name).sort()).toEqual(['pe1', 'pe2', 'testPe']);
    const testPe = [...estate.privateEndpoints.values()].find((p) => p.name === 'testPe');
    expect(testPe?.subnet?.id).toMatch(/\/subnets\/mySubnet$/);
    expect(testPe?.networkInterfaces.map((n) => n.id)).toEqual([expect.stringMatching(/providers\/Microsoft\.Network\/networkInterfaces\/testPe\.nic\.abcd1234$/)]);
  });

  it("reads a subnet's privateEndpointNetworkPolicies from an SDK recording (Disabled)", () => {
    const recording = readJson(resolve(CORPUS, 'sdk-recordings/azure-sdk-for-js/arm-network/recording_subnets_get_test.json')) as {
      Entries: { RequestMethod: string; StatusCode: number; ResponseBody: Json }[];
    };
    const body = recording.Entries.find((e) => e.RequestMethod === 'GET' && e.StatusCode === 200)?.ResponseBody;
    const estate = loadEstate([{ source: 'recording', json: { ...body, type: 'Microsoft.Network/virtualNetworks/subnets' } }]);
    expect(estate.errors).toEqual([]);
    expect([...estate.subnets.values()][0]?.privateEndpointNetworkPolicies).toBe('Disabled');
  });

  it.each([['enabled', 'Enabled'], ['NETWORKSECURITYGROUPENABLED', 'NetworkSecurityGroupEnabled'], ['RouteTableEnabled', 'RouteTableEnabled']])(
    'reads %s case-insensitively as %s',
    (value, spelled) => {
      const estate = estateOf(endpointEstate(value));
      expect([...estate.subnets.values()][0]?.privateEndpointNetworkPolicies).toBe(spelled);
    },
  );

  it('an unknown policy value is an error naming the subnet and the field; the rest of the estate goes on', () => {
    const estate = loadEstate([{ source: 'bad', json: endpointEstate('Sometimes') }]);
    expect(estate.errors).toEqual([
      expect.objectContaining({
        resourceId: ids.subnet('vnet-app', 'snet-data'),
        field: 'privateEndpointNetworkPolicies',
        message: expect.stringMatching(/"Sometimes", not one of Enabled, Disabled, NetworkSecurityGroupEnabled, RouteTableEnabled/),
      }),
    ]);
    expect(estate.privateEndpoints.size).toBe(1);
  });
});

describe("whether the subnet's NSG filters a private endpoint", () => {
  it.each([
    // Not set: Azure's default is Disabled — nothing filters the endpoint.
    [undefined, 'Allow'],
    ['Disabled', 'Allow'],
    ['RouteTableEnabled', 'Allow'],
    ['Enabled', 'Deny'],
    ['NetworkSecurityGroupEnabled', 'Deny'],
  ])('privateEndpointNetworkPolicies %s: a flow the subnet NSG denies is %s at the endpoint', (policy, access) => {
    const answer = createFlowVerifier(estateOf(endpointEstate(policy))).verify(toEndpoint);
    if (!answer.ok) throw new Error(answer.error);
    expect(answer.access).toBe(access);
    if (access === 'Allow') {
      expect(answer.decidedBy).toEqual([]);
      expect(answer.notes).toContainEqual(expect.stringMatching(/private endpoint pe-sql.*does not filter it/));
    } else {
      expect(answer.decidedBy.map((s) => s.rule)).toEqual(['deny-all']);
    }
  });

  it('the setting touches private endpoints only: a VM in the same subnet stays filtered', () => {
    const verifier = createFlowVerifier(estateOf(endpointEstate('Disabled', DENY_ALL_INBOUND, { vm: true })));
    const answer = verifier.verify({ ...toEndpoint, nic: 'nic-vm', destination: '10.0.2.4:1433' });
    expect(answer.ok && answer.access).toBe('Deny');
  });

  it('a subnet NSG bypassed by its only private endpoint is still associated (no NSG-012), and is judged at the subnet', () => {
    const estate = estateOf(endpointEstate('Disabled'));
    const relations = relateEstate(estate);
    const points = relations.attachments.map((p) => `${p.kind}:${p.name}:${p.subnetNsg.state}`).sort();
    expect(points).toEqual(['networkInterface:pe-sql.nic:none', 'subnet:snet-data:present']);
    expect(evaluateEstate(estate).findings.filter((f) => f.ruleId === 'NSG-012')).toEqual([]);
  });

  it("the endpoint's evidence says why nothing filters it", () => {
    const sqlOpen: RuleSpec[] = [{ name: 'sql-from-internet', priority: 100, source: 'Internet', ports: '1433' }];
    const findings = evaluateEstate(estateOf(endpointEstate('Enabled', sqlOpen))).findings.filter((f) => f.ruleId === 'NSG-005');
    expect(findings).toHaveLength(1);
    const disabled = evaluateEstate(estateOf(endpointEstate('Disabled', sqlOpen))).findings.filter((f) => f.ruleId === 'NSG-005');
    // The NSG is still judged at the subnet (where a VM would sit), never at the unfiltered endpoint.
    expect(disabled.flatMap((f) => f.evidence.attachments ?? [])).toEqual([ids.subnet('vnet-app', 'snet-data')]);
  });
});

describe('a private endpoint is not a VM', () => {
  const bastionEstate = (rules: RuleSpec[]): Json[] => [
    withPolicy(
      vnet('vnet-app', ['10.0.0.0/16'], [
        { name: 'AzureBastionSubnet', prefix: '10.0.0.0/26' },
        { name: 'snet-data', prefix: '10.0.2.0/24', nsg: 'nsg-data' },
      ]),
      'snet-data',
      'Enabled',
    ),
    nsg('nsg-data', rules),
    bastion('bas-hub', 'vnet-app'),
    ...privateEndpoint('pe-sql', { vnet: 'vnet-app', subnet: 'snet-data', ip: '10.0.2.5' }),
  ];

  it('no BAS-002 on a private endpoint the subnet NSG closes to Bastion', () => {
    const findings = evaluateEstate(estateOf(bastionEstate(DENY_ALL_INBOUND))).findings;
    expect(findings.filter((f) => f.ruleId === 'BAS-002')).toEqual([]);
  });

  it('no BAS-003 and no SSH/RDP exposure at a private endpoint whose subnet NSG lets SSH and RDP in', () => {
    const open: RuleSpec[] = [{ name: 'ssh-rdp', priority: 100, source: 'Internet', ports: ['22', '3389'] }];
    const findings = evaluateEstate(estateOf(bastionEstate(open))).findings;
    expect(findings.filter((f) => f.ruleId === 'BAS-003')).toEqual([]);
    const pe = ids.nic('pe-sql.nic');
    const atEndpoint = findings.filter((f) => ['NSG-001', 'NSG-002'].includes(f.ruleId) && (f.evidence.attachments ?? []).includes(pe));
    expect(atEndpoint).toEqual([]);
  });
});

describe('the private endpoint corpus example with its NIC and subnet', () => {
  it('relates: the endpoint NIC is a private endpoint attachment', () => {
    const body = JSON.parse(JSON.stringify(example('PrivateEndpointGet.json')).replaceAll('/provders/', '/providers/')) as Json;
    const props = body['properties'] as Json;
    const subnetId = (props['subnet'] as Json)['id'] as string;
    const nicId = ((props['networkInterfaces'] as Json[])[0] as Json)['id'] as string;
    const estate = loadEstate([
      { source: 'PrivateEndpointGet.json', json: body },
      {
        source: 'nic',
        json: {
          id: nicId,
          name: 'testPe.nic.abcd1234',
          type: 'Microsoft.Network/networkInterfaces',
          properties: { ipConfigurations: [{ name: 'privateEndpointIpConfig', properties: { privateIPAddress: '192.168.0.6', subnet: { id: subnetId } } }] },
        },
      },
    ]);
    expect(estate.errors).toEqual([]);
    const point = relateEstate(estate).attachments.find((p) => p.kind === 'networkInterface');
    expect(point?.privateEndpoint).toMatchObject({ name: 'testPe', policies: undefined, subnetNsgApplies: undefined });
    expect(point?.subnetNsg.state).toBe('unknown');
  });
});

// Keeps the JSON fixtures honest about the shape the loader reads.
it('the fixtures are read without errors', () => {
  expect(loadEstate([{ source: 'f', json: endpointEstate('Enabled') }]).errors).toEqual([]);
  expect(JSON.parse(readFileSync(resolve(EXAMPLES, 'PrivateEndpointList.json'), 'utf8'))).toBeDefined();
});
