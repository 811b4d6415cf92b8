import { NetworkManagementClient } from '@azure/arm-network';
import { createHttpHeaders, type HttpClient, type PipelineRequest } from '@azure/core-rest-pipeline';
import { describe, expect, it } from 'vitest';
import { createEstateLoader, loadEstate, type EstateDocument } from '../../lib/estate/load.js';
import type { Estate } from '../../lib/estate/model.js';
import { normalizeId } from '../../lib/arm/index.js';
import { resolve } from 'node:path';
import {
  CORPUS,
  cassetteDocuments,
  cassetteFiles,
  readJson,
  restExampleDocuments,
  restExampleFiles,
  REST_EXAMPLES,
  seedJsonOutputs,
} from './corpus.js';

const SUB = '/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Network';

function nsgRest(name: string, rules: { name: string; priority: number; port: string }[] = []) {
  return {
    name,
    id: `${SUB}/networkSecurityGroups/${name}`,
    type: 'Microsoft.Network/networkSecurityGroups',
    location: 'westeurope',
    properties: {
      securityRules: rules.map((r) => ({
        name: r.name,
        id: `${SUB}/networkSecurityGroups/${name}/securityRules/${r.name}`,
        properties: {
          protocol: 'Tcp',
          sourcePortRange: '*',
          destinationPortRange: r.port,
          sourceAddressPrefix: '*',
          destinationAddressPrefix: '*',
          access: 'Allow',
          priority: r.priority,
          direction: 'Inbound',
        },
      })),
    },
  };
}

function ruleNames(estate: Estate, nsgId: string): string[] {
  const rules = estate.networkSecurityGroups.get(normalizeId(nsgId))?.raw['securityRules'];
  return Array.isArray(rules) ? rules.map((r: { name: string }) => r.name) : [];
}

const doc = (source: string, json: unknown): EstateDocument => ({ source, json });

describe('loadEstate: the REST API examples', () => {
  const kinds = /^(ApplicationSecurityGroup|BastionHost|DefaultSecurityRule|NatGateway|NetworkInterface|NetworkSecurityGroup|Subnet|VirtualNetwork)/;
  // POST actions that return nothing.
  const notResources = new Set(['SubnetPrepareNetworkPolicies.json', 'SubnetUnprepareNetworkPolicies.json']);
  const files = restExampleFiles().filter((f) => kinds.test(f) && !notResources.has(f));

  it('covers the examples of every kind', () => {
    expect(files.length).toBe(47);
  });

  it.each(files)('%s loads with no errors', (file) => {
    const estate = loadEstate(restExampleDocuments(file));
    expect(estate.errors).toEqual([]);
    for (const source of estate.sources) expect(source.resources).toBeGreaterThan(0);
  });

  it.each([
    ['NetworkSecurityGroupGet.json', 'networkSecurityGroups', 1],
    ['NetworkSecurityGroupList.json', 'networkSecurityGroups', 2],
    ['VirtualNetworkGet.json', 'subnets', 1],
    ['VirtualNetworkCreateSubnetWithAddressPrefixes.json', 'subnets', 1],
    ['SubnetList.json', 'subnets', 2],
    ['NetworkInterfaceList.json', 'networkInterfaces', 2],
    ['NatGatewayListAll.json', 'natGateways', 2],
    ['BastionHostListBySubscription.json', 'bastionHosts', 1],
    ['ApplicationSecurityGroupListAll.json', 'applicationSecurityGroups', 2],
    // A standalone IP configuration assembles its NIC; standalone rules assemble their NSG.
    ['NetworkInterfaceIPConfigurationGet.json', 'networkInterfaces', 1],
    ['NetworkSecurityGroupRuleList.json', 'networkSecurityGroups', 1],
    ['DefaultSecurityRuleList.json', 'networkSecurityGroups', 1],
  ] as const)('%s yields %s × %i', (file, kind, count) => {
    expect(loadEstate(restExampleDocuments(file))[kind].size).toBe(count);
  });

  it('keeps the flattened NSG with its custom and default rules for the engine', () => {
    const estate = loadEstate(restExampleDocuments('NetworkSecurityGroupGet.json'));
    const nsg = [...estate.networkSecurityGroups.values()][0];
    expect(nsg?.name).toBe('testnsg');
    expect(nsg?.partial).toBe(false);
    const rules = nsg?.raw['securityRules'] as Record<string, unknown>[];
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({ name: 'rule1', destinationPortRange: '80', priority: 130, access: 'Allow' });
    expect(rules[0]).not.toHaveProperty('properties');
    expect(nsg?.raw['defaultSecurityRules']).toHaveLength(6);
  });

  it('reads subnet prefixes from addressPrefix and addressPrefixes', () => {
    const estate = loadEstate(restExampleDocuments('VirtualNetworkCreateSubnetWithAddressPrefixes.json'));
    const subnet = [...estate.subnets.values()][0];
    expect(subnet?.addressPrefixes).toEqual(['10.0.0.0/28', '10.0.1.0/28']);
  });

  it('reads NIC IP configurations: address, subnet, NSG', () => {
    const estate = loadEstate(restExampleDocuments('NetworkInterfaceGet.json'));
    const nic = [...estate.networkInterfaces.values()][0];
    expect(nic?.networkSecurityGroup?.id).toBe('/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/nsg');
    expect(nic?.ipConfigurations).toEqual([
      expect.objectContaining({
        name: 'ipconfig1',
        privateIpAddresses: ['172.20.2.4'],
        subnet: expect.objectContaining({ id: '/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/rg1-vnet/subnets/default' }),
      }),
    ]);
  });

  it('takes the kind from the type when a published id misspells its type segment', () => {
    // NatGatewayList.json spells the ids `.../natGateway/...`; the type says natGateways.
    const estate = loadEstate(restExampleDocuments('NatGatewayList.json'));
    expect([...estate.natGateways.values()].map((n) => n.name)).toEqual(['test-natGateway', 'test-natGateway2']);
  });

  it('counts bodies of other types as ignored, not as errors', () => {
    const estate = loadEstate(restExampleDocuments('NetworkWatcherFlowLogList.json'));
    expect(estate.errors).toEqual([]);
    expect(estate.sources[0]?.ignoredTypes).toEqual({ 'microsoft.network/networkwatchers/flowlogs': 2 });
  });

  it('reads an effective NSG list entry as its NSG, with the rules as Azure expanded them', () => {
    const estate = loadEstate(restExampleDocuments('NetworkInterfaceEffectiveNSGList.json'));
    const nsg = [...estate.networkSecurityGroups.values()][0];
    expect(nsg?.id).toBe('/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/test-nsg');
    expect(nsg?.name).toBe('test-nsg');
    expect((nsg?.raw['effectiveSecurityRules'] as { name: string }[]).map((r) => r.name)).toEqual([
      'securityRules/rule1',
      'securityRules/default-allow-rdp',
      'defaultSecurityRules/AllowInternetOutBound',
    ]);
    // Where it is applied, as back-references.
    expect(nsg?.networkInterfaces.map((r) => r.id.split('/').pop())).toEqual(['nic1']);
    expect(nsg?.subnets.map((r) => r.id.split('/').pop())).toEqual(['default']);
  });

  it('finds no resource in a body that holds none', () => {
    const estate = loadEstate(restExampleDocuments('NetworkWatcherIpFlowVerify.json'));
    expect(estate.sources.map((s) => s.resources)).toEqual([0, 0]);
  });
});

describe('loadEstate: the Cloud Custodian cassettes (a real, sanitised subscription)', () => {
  it('loads the estate of 43 NSGs with 133 custom rules', () => {
    const estate = loadEstate(cassetteDocuments('NetworkSecurityGroupTest.test_cidr_and_ingress_no_match.json'));
    expect(estate.errors).toEqual([]);
    expect(estate.networkSecurityGroups.size).toBe(43);
    const custom = [...estate.networkSecurityGroups.values()].reduce(
      (n, nsg) => n + (nsg.raw['securityRules'] as unknown[]).length,
      0,
    );
    expect(custom).toBe(133);
    const defaults = [...estate.networkSecurityGroups.values()].map((nsg) => (nsg.raw['defaultSecurityRules'] as unknown[]).length);
    expect(new Set(defaults)).toEqual(new Set([6]));
  });

  it('keeps NSGs whose names repeat across resource groups apart', () => {
    const estate = loadEstate(cassetteDocuments('NetworkSecurityGroupTest.test_cidr_and_ingress_no_match.json'));
    const named = [...estate.networkSecurityGroups.values()].filter((n) => n.name.toLowerCase() === 'jmeunier-test-nsg');
    expect(named.map((n) => n.resourceGroup).sort()).toEqual(['DBM-AGENT-INTEGRATION', 'JMEUNIER-TEST_GROUP']);
  });

  it('keeps the back-references NSGs list (subnets and NICs outside the export)', () => {
    const estate = loadEstate(cassetteDocuments('NetworkSecurityGroupTest.test_cidr_and_ingress_no_match.json'));
    const nodes = [...estate.networkSecurityGroups.values()].find((n) => n.name === 'us3-staging-dog-parent11-k8s-kube-nodes');
    expect(nodes?.networkInterfaces).toHaveLength(74);
    const sqlmi = [...estate.networkSecurityGroups.values()].find((n) => n.name === 'nsg-dbm-agent-integration-sql-managed-instance-1');
    expect(sqlmi?.subnets.map((s) => s.id.split('/').pop())).toEqual(['ManagedInstance', 'ManagedInstance2']);
  });

  it.each(cassetteFiles())('%s loads without errors', (file) => {
    const estate = loadEstate(cassetteDocuments(file));
    expect(estate.errors).toEqual([]);
  });

  it('merges every cassette into one estate, repeated recordings of one NSG merging into one', () => {
    const documents = cassetteFiles().flatMap((f) => cassetteDocuments(f));
    const estate = loadEstate(documents);
    expect(estate.errors).toEqual([]);
    // The 43 of the big listing plus five test NSGs (c7n-nsg, nsg-allow-all-ingress, ...) other recordings hold.
    expect(estate.networkSecurityGroups.size).toBe(48);
    expect(estate.networkSecurityGroups.has(normalizeId('/subscriptions/ea42f556-5106-4743-99b0-c129bfa71a47/resourceGroups/test_networksecuritygroup/providers/Microsoft.Network/networkSecurityGroups/c7n-nsg'))).toBe(true);
    expect(estate.networkInterfaces.size).toBeGreaterThanOrEqual(6);
    expect(estate.bastionHosts.size).toBe(1);
    const bastion = [...estate.bastionHosts.values()][0];
    expect(bastion?.subnets[0]?.id).toMatch(/\/subnets\/AzureBastionSubnet$/);
  });
});

describe('loadEstate: the seed az CLI outputs (flattened shape)', () => {
  const outputs = seedJsonOutputs();
  const at = (line: number) => {
    const found = outputs.find((o) => o.line === line);
    if (!found) throw new Error(`no JSON output on seed line ${line}`);
    return doc(`seed line ${line}`, found.json);
  };

  it('finds the five JSON outputs of the NAT-gateway procedure', () => {
    expect(outputs.map((o) => o.line)).toEqual([43, 47, 109, 113, 121]);
  });

  it('reads `az network nsg show --query {defaultSecurityRules, securityRules}` into its NSG', () => {
    const estate = loadEstate([at(47)]);
    expect(estate.errors).toEqual([]);
    const nsg = [...estate.networkSecurityGroups.values()][0];
    expect(nsg?.name).toBe('cc-project5-nat-nsg');
    // Only the rules were queried: the NSG is assembled from them and marked partial.
    expect(nsg?.partial).toBe(true);
    expect(ruleNames(estate, nsg?.id ?? '')).toEqual(['AllowAnyCustomAnyOutbound']);
    expect((nsg?.raw['securityRules'] as Record<string, unknown>[])[0]).toMatchObject({
      access: 'Allow',
      destinationAddressPrefix: '*',
      destinationPortRange: '*',
      direction: 'Outbound',
      priority: 100,
    });
    expect((nsg?.raw['defaultSecurityRules'] as { name: string }[]).map((r) => r.name)).toEqual([
      'AllowVnetOutBound',
      'AllowInternetOutBound',
      'DenyAllOutBound',
    ]);
  });

  it('reads the remediation rules (`az network nsg rule create` outputs) into one NSG', () => {
    const estate = loadEstate([at(109), at(113)]);
    const nsg = [...estate.networkSecurityGroups.values()][0];
    expect(ruleNames(estate, nsg?.id ?? '')).toEqual(['DenyAllOutboundAccess', 'AllowHttpsOutboundAccess']);
  });

  it('reads `az network vnet subnet update` output: prefix, NSG and NAT gateway', () => {
    const estate = loadEstate([at(121)]);
    const subnet = [...estate.subnets.values()][0];
    expect(subnet).toMatchObject({
      name: 'cc-project5-vnet-subnet-001',
      addressPrefixes: ['10.0.0.0/24'],
      networkSecurityGroup: { id: expect.stringMatching(/networkSecurityGroups\/cc-project5-nat-nsg$/) },
      natGateway: { id: expect.stringMatching(/natGateways\/cc-project5-managed-gateway$/) },
    });
    expect(subnet?.virtualNetwork.id).toMatch(/virtualNetworks\/cc-project5-network$/);
  });

  it('finds no resource in a query output that holds only an id', () => {
    expect(loadEstate([at(43)]).sources[0]?.resources).toBe(0);
  });
});

/** A transport for the real SDK client: serves the example body for every GET, records nothing else. */
function servingBody(body: unknown): HttpClient {
  return {
    async sendRequest(request: PipelineRequest) {
      return {
        request,
        status: 200,
        headers: createHttpHeaders({ 'content-type': 'application/json' }),
        bodyAsText: JSON.stringify(body),
      };
    },
  };
}

function sdkClient(body: unknown): NetworkManagementClient {
  const credential = { getToken: async () => ({ token: 'test', expiresOnTimestamp: Date.now() + 3_600_000 }) };
  return new NetworkManagementClient(credential, 'subid', { httpClient: servingBody(body), retryOptions: { maxRetries: 0 } });
}

function exampleBody(file: string): unknown {
  const example = readJson(`${REST_EXAMPLES}/${file}`) as { responses: Record<string, { body?: unknown }> };
  return example.responses['200']?.body;
}

describe('loadEstate: the Azure SDK deserialised models (flattened, camelCase)', () => {
  it('reads an NSG as the real NetworkManagementClient returns it', async () => {
    const nsg = await sdkClient(exampleBody('NetworkSecurityGroupGet.json')).networkSecurityGroups.get('rg1', 'testnsg');
    expect(nsg).not.toHaveProperty('properties');
    const estate = loadEstate([doc('sdk', nsg)]);
    expect(estate.errors).toEqual([]);
    const loaded = [...estate.networkSecurityGroups.values()][0];
    expect(ruleNames(estate, loaded?.id ?? '')).toEqual(['rule1']);
    expect((loaded?.raw['securityRules'] as Record<string, unknown>[])[0]).toMatchObject({ destinationPortRange: '80', priority: 130 });
  });

  it('reads a virtual network with its subnets, and a NIC, from the SDK', async () => {
    const vnet = await sdkClient(exampleBody('VirtualNetworkGet.json')).virtualNetworks.get('rg1', 'test-vnet');
    const nic = await sdkClient(exampleBody('NetworkInterfaceGet.json')).networkInterfaces.get('rg1', 'test-nic');
    const estate = loadEstate([doc('vnet', vnet), doc('nic', nic)]);
    expect(estate.errors).toEqual([]);
    expect([...estate.virtualNetworks.values()][0]?.addressPrefixes).toEqual(['10.0.0.0/16']);
    expect([...estate.subnets.values()][0]).toMatchObject({ name: 'subnet1', addressPrefixes: ['10.0.1.0/24'] });
    expect([...estate.networkInterfaces.values()][0]?.ipConfigurations[0]?.privateIpAddresses).toEqual(['172.20.2.4']);
  });

  it('reads a paged NSG list from the SDK iterator', async () => {
    const all = [];
    for await (const nsg of sdkClient(exampleBody('NetworkSecurityGroupListAll.json')).networkSecurityGroups.listAll()) all.push(nsg);
    expect(loadEstate([doc('sdk list', all)]).networkSecurityGroups.size).toBe(2);
  });
});

describe('loadEstate: Resource Graph output', () => {
  /** A Resource Graph row as `resources | where type =~ ...` returns it. */
  const row = (resource: Record<string, unknown>) => ({
    id: resource['id'],
    name: resource['name'],
    type: String(resource['type']).toLowerCase(),
    tenantId: 'tenant',
    kind: '',
    location: 'westeurope',
    resourceGroup: 'rg1',
    subscriptionId: 'sub1',
    managedBy: '',
    sku: null,
    plan: null,
    properties: resource['properties'],
    tags: null,
    identity: null,
    zones: null,
    extendedLocation: null,
  });

  it('reads `{ data: [...] }` (objectArray) with lower-case types', () => {
    const graph = { totalRecords: 2, count: 2, data: [row(nsgRest('a')), row(nsgRest('b'))], facets: [], resultTruncated: 'false' };
    const estate = loadEstate([doc('graph', graph)]);
    expect([...estate.networkSecurityGroups.values()].map((n) => n.name)).toEqual(['a', 'b']);
  });

  it('reads `{ data: { columns, rows } }` (table format)', () => {
    const objects = [row(nsgRest('a', [{ name: 'ssh', priority: 100, port: '22' }]))];
    const columns = Object.keys(objects[0] ?? {}).map((name) => ({ name, type: 'string' }));
    const graph = { totalRecords: 1, count: 1, data: { columns, rows: objects.map((o) => Object.values(o)) } };
    const estate = loadEstate([doc('graph', graph)]);
    expect(estate.errors).toEqual([]);
    expect(ruleNames(estate, `${SUB}/networkSecurityGroups/a`)).toEqual(['ssh']);
  });

  it('reads `az graph query` output (data plus skip_token)', () => {
    const estate = loadEstate([doc('az graph', { count: 1, data: [row(nsgRest('a'))], skip_token: null, total_records: 1 })]);
    expect(estate.networkSecurityGroups.size).toBe(1);
  });
});

describe('loadEstate: shapes mixed freely', () => {
  it('reads a list response, a bare array, a single resource and an az CLI object together', () => {
    const vnetCli = {
      id: `${SUB}/virtualNetworks/v1`,
      name: 'v1',
      type: 'Microsoft.Network/virtualNetworks',
      resourceGroup: 'rg1',
      addressSpace: { addressPrefixes: ['10.1.0.0/16'] },
      subnets: [{ id: `${SUB}/virtualNetworks/v1/subnets/s1`, name: 's1', addressPrefix: '10.1.1.0/24', resourceGroup: 'rg1' }],
      virtualNetworkPeerings: [],
    };
    const estate = loadEstate([
      doc('list.json', { value: [nsgRest('a')], nextLink: 'https://management.azure.com/next?page=2' }),
      doc('array.json', [nsgRest('b')]),
      doc('single.json', nsgRest('c')),
      doc('cli.json', [vnetCli]),
    ]);
    expect(estate.errors).toEqual([]);
    expect([...estate.networkSecurityGroups.values()].map((n) => n.name)).toEqual(['a', 'b', 'c']);
    expect(estate.subnets.get(normalizeId(`${SUB}/virtualNetworks/v1/subnets/s1`))?.addressPrefixes).toEqual(['10.1.1.0/24']);
    expect(estate.sources.map((s) => [s.source, s.resources, s.nextLinks])).toEqual([
      ['list.json', 1, 1],
      ['array.json', 1, 0],
      ['single.json', 1, 0],
      ['cli.json', 1, 0],
    ]);
  });

  it('compares ids case-insensitively: references in other casings find their resource', () => {
    const nic = {
      id: `${SUB}/networkInterfaces/nic1`.toUpperCase(),
      type: 'microsoft.network/networkinterfaces',
      properties: {
        networkSecurityGroup: { id: `${SUB}/networkSecurityGroups/A/`.toLowerCase() },
        ipConfigurations: [{ name: 'ip', properties: { privateIPAddress: '10.0.0.4' } }],
      },
    };
    const estate = loadEstate([doc('nsg', nsgRest('A')), doc('nic', nic)]);
    const loaded = [...estate.networkInterfaces.values()][0];
    expect(loaded?.id).toBe(nic.id);
    expect(estate.networkSecurityGroups.has(loaded?.networkSecurityGroup?.key ?? '')).toBe(true);
    expect(estate.networkInterfaces.has(normalizeId(`${SUB}/networkInterfaces/NIC1`))).toBe(true);
  });
});

describe('loadEstate: the same resource seen twice (later wins)', () => {
  const nsgId = `${SUB}/networkSecurityGroups/a`;

  it.each([
    {
      name: 'a later NSG snapshot replaces an earlier one',
      documents: [nsgRest('a', [{ name: 'old', priority: 100, port: '22' }]), nsgRest('a', [{ name: 'new', priority: 100, port: '22' }])],
      rules: ['new'],
    },
    {
      name: 'a standalone rule after its NSG is merged into it',
      documents: [
        nsgRest('a', [{ name: 'r1', priority: 100, port: '22' }]),
        { ...nsgRest('a', [{ name: 'r2', priority: 200, port: '80' }]).properties.securityRules[0], type: 'Microsoft.Network/networkSecurityGroups/securityRules' },
      ],
      rules: ['r1', 'r2'],
    },
    {
      name: 'a standalone rule replaces the inline rule of the same id',
      documents: [
        nsgRest('a', [{ name: 'r1', priority: 100, port: '22' }]),
        { ...nsgRest('a', [{ name: 'r1', priority: 300, port: '3389' }]).properties.securityRules[0] },
      ],
      rules: ['r1'],
      port: '3389',
    },
    {
      name: 'a rule older than an NSG snapshot that no longer lists it was deleted',
      documents: [
        { ...nsgRest('a', [{ name: 'gone', priority: 200, port: '80' }]).properties.securityRules[0] },
        nsgRest('a', [{ name: 'r1', priority: 100, port: '22' }]),
      ],
      rules: ['r1'],
    },
  ])('$name', ({ documents, rules, port }) => {
    const estate = loadEstate(documents.map((d, i) => doc(`input ${i}`, d)));
    expect(estate.errors).toEqual([]);
    expect(estate.networkSecurityGroups.size).toBe(1);
    expect(ruleNames(estate, nsgId)).toEqual(rules);
    if (port) expect((estate.networkSecurityGroups.get(normalizeId(nsgId))?.raw['securityRules'] as Record<string, unknown>[])[0]?.['destinationPortRange']).toBe(port);
  });

  it('merges standalone subnets into a VNet snapshot without inline subnets, and later subnet snapshots win', () => {
    const vnet = { id: `${SUB}/virtualNetworks/v`, type: 'Microsoft.Network/virtualNetworks', properties: { addressSpace: { addressPrefixes: ['10.0.0.0/16'] } } };
    const subnet = (prefix: string) => ({ id: `${SUB}/virtualNetworks/v/subnets/s`, name: 's', properties: { addressPrefix: prefix } });
    const estate = loadEstate([doc('1', subnet('10.0.1.0/24')), doc('2', vnet), doc('3', subnet('10.0.2.0/24'))]);
    expect([...estate.subnets.values()].map((s) => s.addressPrefixes)).toEqual([['10.0.2.0/24']]);
  });
});

describe('loadEstate: validation — the bad resource is reported, the rest goes on', () => {
  const goodNsg = nsgRest('good');
  it.each([
    {
      name: 'no id',
      resource: { name: 'x', type: 'Microsoft.Network/networkSecurityGroups', properties: {} },
      error: { resourceId: 'x', field: 'id', message: expect.stringContaining('has no id') },
    },
    {
      name: 'an id that is not an ARM id',
      resource: { id: 'nsg-1', type: 'Microsoft.Network/networkSecurityGroups' },
      error: { resourceId: 'nsg-1', field: 'id', message: expect.stringContaining('is not an ARM resource id') },
    },
    {
      name: 'an id of another kind than its type',
      resource: { id: `${SUB}/virtualNetworks/v/subnets/s`, type: 'Microsoft.Network/networkSecurityGroups' },
      error: { field: 'id', message: expect.stringContaining('is the id of a Microsoft.Network/virtualNetworks/subnets') },
    },
    {
      name: 'a malformed subnet prefix',
      resource: { id: `${SUB}/virtualNetworks/v/subnets/s`, properties: { addressPrefix: '10.0.0.0/33' } },
      error: { field: 'addressPrefix', message: expect.stringContaining("'10.0.0.0/33' has a prefix length above 32") },
    },
    {
      name: 'a subnet prefix length with a leading zero',
      resource: { id: `${SUB}/virtualNetworks/v/subnets/s`, properties: { addressPrefix: '0.0.0.0/00' } },
      error: { field: 'addressPrefix', message: expect.stringContaining("'0.0.0.0/00' is not a CIDR prefix: bad length") },
    },
    {
      name: 'a subnet without any prefix',
      resource: { id: `${SUB}/virtualNetworks/v/subnets/s`, name: 's', properties: {} },
      error: { field: 'addressPrefix', message: expect.stringContaining('neither addressPrefix nor addressPrefixes') },
    },
    {
      name: 'a VNet address space that is not a prefix',
      resource: { id: `${SUB}/virtualNetworks/v`, type: 'Microsoft.Network/virtualNetworks', properties: { addressSpace: { addressPrefixes: ['10.0.0/16'] } } },
      error: { field: 'addressSpace.addressPrefixes[0]', message: expect.stringContaining("'10.0.0/16' is not a CIDR prefix") },
    },
    {
      name: 'a NIC IP that is not an address',
      resource: {
        id: `${SUB}/networkInterfaces/n`,
        type: 'Microsoft.Network/networkInterfaces',
        properties: { ipConfigurations: [{ name: 'ip', properties: { privateIPAddress: '10.0.0.256' } }] },
      },
      // The IP configuration is reported alone, by its own id; the NIC keeps its other configurations.
      error: { field: 'privateIPAddress', message: expect.stringContaining("'10.0.0.256' is not an IPv4 or IPv6 address") },
    },
    {
      name: 'a reference without an id',
      resource: { id: `${SUB}/virtualNetworks/v/subnets/s`, properties: { addressPrefix: '10.0.0.0/24', networkSecurityGroup: { name: 'nsg' } } },
      error: { field: 'networkSecurityGroup', message: expect.stringContaining('networkSecurityGroup has no id') },
    },
    {
      name: 'a reference that is not an ARM id',
      resource: { id: `${SUB}/natGateways/g`, type: 'Microsoft.Network/natGateways', properties: { subnets: [{ id: 'subnet-1' }] } },
      error: { field: 'subnets[0]', message: expect.stringContaining("'subnet-1' is not an ARM resource id") },
    },
    {
      name: 'security rules that are not an array',
      resource: { id: `${SUB}/networkSecurityGroups/n`, type: 'Microsoft.Network/networkSecurityGroups', properties: { securityRules: {} } },
      error: { field: 'securityRules', message: expect.stringContaining('securityRules is not an array') },
    },
  ])('$name', ({ resource, error }) => {
    const estate = loadEstate([doc('bad.json', [resource, goodNsg])]);
    expect(estate.errors).toEqual([expect.objectContaining(error)]);
    expect(estate.errors[0]?.message).toContain('(in bad.json)');
    expect(estate.networkSecurityGroups.has(normalizeId(goodNsg.id))).toBe(true);
  });

  it('reports a bad inline subnet on the subnet and keeps the VNet and its other subnets', () => {
    const vnet = {
      id: `${SUB}/virtualNetworks/v`,
      type: 'Microsoft.Network/virtualNetworks',
      properties: {
        addressSpace: { addressPrefixes: ['10.0.0.0/16'] },
        subnets: [
          { name: 'ok', properties: { addressPrefix: '10.0.1.0/24' } },
          { name: 'bad', properties: { addressPrefix: 'ten' } },
        ],
      },
    };
    const estate = loadEstate([doc('v.json', vnet)]);
    expect(estate.errors).toEqual([
      expect.objectContaining({ resourceId: `${SUB}/virtualNetworks/v/subnets/bad`, field: 'addressPrefix' }),
    ]);
    expect(estate.virtualNetworks.size).toBe(1);
    expect([...estate.subnets.values()].map((s) => s.name)).toEqual(['ok']);
  });

  it('records a dangling reference as a reference, not as an error', () => {
    const subnet = { id: `${SUB}/virtualNetworks/v/subnets/s`, properties: { addressPrefix: '10.0.0.0/24', networkSecurityGroup: { id: `${SUB}/networkSecurityGroups/elsewhere` } } };
    const estate = loadEstate([doc('s.json', subnet)]);
    expect(estate.errors).toEqual([]);
    expect([...estate.subnets.values()][0]?.networkSecurityGroup?.id).toBe(`${SUB}/networkSecurityGroups/elsewhere`);
  });

  it('accepts IPv6 prefixes and addresses', () => {
    const vnet = {
      id: `${SUB}/virtualNetworks/v6`,
      type: 'Microsoft.Network/virtualNetworks',
      properties: { addressSpace: { addressPrefixes: ['10.0.0.0/16', 'ace:cab:deca::/48'] }, subnets: [{ name: 's', properties: { addressPrefixes: ['10.0.0.0/24', 'ace:cab:deca:deed::/64'] } }] },
    };
    const nic = {
      id: `${SUB}/networkInterfaces/n6`,
      type: 'Microsoft.Network/networkInterfaces',
      properties: { ipConfigurations: [{ name: 'v6', properties: { privateIPAddress: 'ace:cab:deca:deed::4', privateIPAddressVersion: 'IPv6' } }] },
    };
    const estate = loadEstate([doc('v6', [vnet, nic])]);
    expect(estate.errors).toEqual([]);
    expect([...estate.networkInterfaces.values()][0]?.ipConfigurations[0]?.privateIpAddresses).toEqual(['ace:cab:deca:deed::4']);
  });
});

describe('createEstateLoader: an estate built up document by document', () => {
  // Every REST example of both API versions, one document each: NSGs with standalone rules of the
  // same ids, NICs with standalone IP configurations, load balancers with standalone parts, route
  // tables with standalone routes, effective admin rule lists.
  const documents = [REST_EXAMPLES, resolve(CORPUS, 'rest-api-examples/2024-07-01')].flatMap((dir) =>
    restExampleFiles(dir).flatMap((file) => restExampleDocuments(file, dir)),
  );

  it('gives, after each document, the estate of the documents so far, and leaves it so as more are added', () => {
    expect(documents.length).toBeGreaterThan(100);
    const loader = createEstateLoader();
    const taken = documents.map((document) => {
      loader.add(document);
      return loader.estate();
    });
    // Compared only once every document is in: an estate given earlier must not have changed since.
    taken.forEach((estate, i) => expect(estate, `after ${documents[i]?.source}`).toEqual(loadEstate(documents.slice(0, i + 1))));
    const last = taken.at(-1);
    expect(last?.loadBalancers.size).toBeGreaterThan(0);
    expect(last?.networkSecurityGroups.size).toBeGreaterThan(0);
    expect(last?.routeTables.size).toBeGreaterThan(0);
  });
});
