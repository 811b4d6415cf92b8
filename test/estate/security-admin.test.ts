/**
 * The Virtual Network Manager REST examples in the corpus (2024-07-01), read in place: each
 * parses (or is reported by id and field where the example itself is malformed), they relate
 * (configuration → collection → rules, groups → members, deployment status → regions) and they
 * decide a flow. Shapes: https://learn.microsoft.com/rest/api/virtualnetworkmanager/
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadEstate, type EstateDocument } from '../../lib/estate/load.js';
import { securityAdminRelations } from '../../lib/estate/security-admin.js';
import { createFlowVerifier } from '../../lib/flow/verifier.js';
import { CORPUS, readJson } from './corpus.js';

const EXAMPLES = resolve(CORPUS, 'rest-api-examples/2024-07-01');

type Json = Record<string, unknown>;

function example(file: string): Json {
  return readJson(resolve(EXAMPLES, file)) as Json;
}

function body(file: string): unknown {
  return ((example(file)['responses'] as Json)['200'] as Json)['body'];
}

const SUB = '00000000-0000-0000-0000-000000000000';
const VNET = `/subscriptions/${SUB}/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/vnet1`;

/** A network the examples' groups can hold, with an open NSG on its subnet and one NIC. */
const network: EstateDocument = {
  source: 'vnet1.json',
  json: {
    value: [
      {
        id: VNET,
        name: 'vnet1',
        type: 'Microsoft.Network/virtualNetworks',
        location: 'East US',
        properties: {
          addressSpace: { addressPrefixes: ['10.0.0.0/16'] },
          subnets: [{ id: `${VNET}/subnets/default`, name: 'default', properties: { addressPrefix: '10.0.1.0/24', networkSecurityGroup: { id: `/subscriptions/${SUB}/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/open` } } }],
        },
      },
      {
        id: `/subscriptions/${SUB}/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/open`,
        name: 'open',
        type: 'Microsoft.Network/networkSecurityGroups',
        properties: { securityRules: [{ name: 'ssh', properties: { priority: 100, direction: 'Inbound', access: 'Allow', protocol: 'Tcp', sourceAddressPrefix: '*', sourcePortRange: '*', destinationAddressPrefix: '*', destinationPortRange: '22' } }] },
      },
      {
        id: `/subscriptions/${SUB}/resourceGroups/rg1/providers/Microsoft.Network/networkInterfaces/nic1`,
        name: 'nic1',
        type: 'Microsoft.Network/networkInterfaces',
        properties: { ipConfigurations: [{ name: 'ipconfig1', id: `/subscriptions/${SUB}/resourceGroups/rg1/providers/Microsoft.Network/networkInterfaces/nic1/ipConfigurations/ipconfig1`, properties: { privateIPAddress: '10.0.1.4', subnet: { id: `${VNET}/subnets/default` } } }] },
      },
    ],
  },
};

const ssh = { nic: 'nic1', direction: 'Inbound', protocol: 'Tcp', source: '198.51.100.7', sourcePort: 50000, destination: '10.0.1.4', destinationPort: 22 };

describe('the NetworkManager REST examples', () => {
  it.each([
    ['NetworkManagerSecurityAdminConfigurationGet.json', 'configurations'],
    ['NetworkManagerAdminRuleCollectionGet.json', 'collections'],
    ['NetworkManagerAdminRuleGet.json', 'rules'],
    ['NetworkManagerDefaultAdminRuleGet.json', 'rules'],
  ] as const)('%s is read into %s', (file, map) => {
    const estate = loadEstate([{ source: file, json: body(file) }]);
    expect(estate.errors).toEqual([]);
    expect(estate.securityAdmin?.[map].size).toBe(1);
  });

  it('the default admin rule keeps its kind Default; the custom one Custom', () => {
    const estate = loadEstate(['NetworkManagerAdminRuleGet.json', 'NetworkManagerDefaultAdminRuleGet.json'].map((file) => ({ source: file, json: body(file) })));
    expect([...(estate.securityAdmin?.rules.values() ?? [])].map((r) => [r.name, r.ruleKind])).toEqual([
      ['SampleAdminRule', 'Custom'],
      ['SampleDefaultAdminRule', 'Default'],
    ]);
  });

  it.each(['NetworkManagerGet.json', 'NetworkManagerGroupGet.json', 'NetworkManagerStaticMemberGet.json'])(
    '%s spells its id with /resourceGroup/ (not an ARM id): an error naming the resource and the field id',
    (file) => {
      const estate = loadEstate([{ source: file, json: body(file) }]);
      expect(estate.errors).toEqual([expect.objectContaining({ field: 'id', message: expect.stringMatching(/is not an ARM resource id/) })]);
    },
  );

  it('the deployment status list gives regions and configurations, named under the manager its request names', () => {
    const file = 'NetworkManagerDeploymentStatusList.json';
    const estate = loadEstate([{ source: file, json: example(file) }]);
    const [admin] = estate.securityAdmin?.deployments ?? [];
    expect(admin).toMatchObject({ region: 'eastus', deploymentType: 'AdminPolicy', deploymentStatus: 'Deploying' });
    expect(admin?.configurations).toEqual([
      `/subscriptions/${SUB}/resourcegroups/resouregroupsample/providers/microsoft.network/networkmanagers/testnetworkmanager/securityadminconfigurations/secconfig1`,
      `/subscriptions/${SUB}/resourcegroups/resouregroupsample/providers/microsoft.network/networkmanagers/testnetworkmanager/securityadminconfigurations/secconfig2`,
    ]);
  });

  it('the effective list of a network is read for the network its request names, and its skipToken leaves the network not judged', () => {
    const file = 'NetworkManagerEffectiveSecurityAdminRulesList.json';
    const estate = loadEstate([{ source: file, json: example(file) }]);
    expect(estate.errors).toEqual([]);
    const [list] = estate.securityAdmin?.effective.values() ?? [];
    expect(list?.virtualNetwork.id).toBe(`/subscriptions/${SUB}/resourceGroups/myResourceGroup/providers/Microsoft.Network/virtualNetworks/testVirtualNetwork`);
    expect(list?.rules.map((r) => [r.ruleKind, r.key.split('/').pop()])).toEqual([['Default', 'sampleadminrule']]);
    const applies = securityAdminRelations(estate)(undefined, list?.virtualNetwork.key ?? '');
    expect(applies.unknown).toEqual([expect.stringMatching(/skipToken/)]);
  });

  it('the effective list body alone does not say which network it is for: an error, nothing guessed', () => {
    const file = 'NetworkManagerEffectiveSecurityAdminRulesList.json';
    const estate = loadEstate([{ source: file, json: body(file) }]);
    expect(estate.errors).toEqual([expect.objectContaining({ field: 'virtualNetwork', message: expect.stringMatching(/does not say which virtual network/) })]);
    expect(estate.securityAdmin?.effective.size ?? 0).toBe(0);
  });

  it('the active list gives each rule its region and the groups of its collection', () => {
    const file = 'NetworkManagerActiveSecurityAdminRulesList.json';
    const estate = loadEstate([{ source: file, json: example(file) }]);
    expect(estate.errors).toEqual([]);
    expect(estate.securityAdmin?.active.map((a) => [a.region, a.rule.appliesToGroups.length])).toEqual([['westus', 1]]);
  });

  it('relate and decide: configuration, collection and its Deny rule, committed to the network region and applying to its group', () => {
    const configuration = body('NetworkManagerSecurityAdminConfigurationGet.json') as Json;
    const collection = body('NetworkManagerAdminRuleCollectionGet.json') as Json;
    const rule = body('NetworkManagerAdminRuleGet.json') as Json;
    const groupId = (((collection['properties'] as Json)['appliesToGroups'] as Json[])[0] as Json)['networkGroupId'] as string;
    const manager = configuration['id'] as string;
    // The group and member the collection names, in the static member example's shape (its own id is malformed).
    const member = body('NetworkManagerStaticMemberGet.json') as Json;
    const staticMember = { ...member, id: `${groupId}/staticMembers/vnet1`, properties: { resourceId: VNET } };
    const deployment = {
      source: 'deployment-status.json',
      json: { value: [{ ...(((body('NetworkManagerDeploymentStatusList.json') as Json)['value'] as Json[])[0] as Json), deploymentStatus: 'Deployed', configurationIds: [manager] }] },
    };
    const documents: EstateDocument[] = [
      network,
      { source: 'configuration.json', json: configuration },
      { source: 'collection.json', json: collection },
      { source: 'rule.json', json: rule },
      { source: 'member.json', json: staticMember },
      deployment,
    ];
    const estate = loadEstate(documents);
    expect(estate.errors).toEqual([]);
    const applies = securityAdminRelations(estate)(estate.virtualNetworks.get(VNET.toLowerCase()), VNET.toLowerCase());
    expect(applies.unknown).toEqual([]);
    expect(applies.rules.map((r) => [r.name, r.collection.name, r.configuration.name, r.manager.name])).toEqual([['SampleAdminRule', 'testRuleCollection', 'myTestSecurityConfig', 'testNetworkManager']]);
    // The example rule denies TCP 22 from anywhere at priority 1: the open NSG never sees the flow.
    expect(createFlowVerifier(estate).verify(ssh)).toMatchObject({ ok: true, access: 'Deny', decidedBy: [{ layer: 'admin', rule: 'SampleAdminRule', priority: 1 }] });
    // Without the commit the network's admin rules are not known.
    const uncommitted = loadEstate(documents.filter((d) => d !== deployment));
    expect(createFlowVerifier(uncommitted).verify(ssh)).toMatchObject({ ok: false, error: expect.stringMatching(/is not known \(no deployment status/) });
  });
});
