import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTemplateFile } from '../../lib/local/files.js';
import { loadEstate } from '../../lib/estate/load.js';
import type { Estate } from '../../lib/estate/model.js';
import {
  guardsOfNetworkInterface,
  natGatewaysOfSubnet,
  relateEstate,
  subnetRole,
  virtualNetworkScope,
} from '../../lib/estate/relations.js';
import {
  evaluateExpression,
  firstUnresolved,
  isUnresolved,
  type ExpressionScope,
} from '../../lib/estate/template-expression.js';
import {
  resourcesFromTemplate,
  templateDocument,
  TEMPLATE_SUBSCRIPTION_ID,
  unresolvedErrors,
  type TemplateResult,
} from '../../lib/estate/template.js';
import { QUICKSTARTS } from './corpus.js';

const scope: ExpressionScope = {
  parameter: (name) => ({ p: 'web', mode: 'new', n: 3, obj: { name: 'fromParam' } })[name.toLowerCase()] ?? { unresolvedParameter: name },
  variable: (name) => ({ vnet: { name: 'vnet1', prefix: '10.0.0.0/16' }, list: ['a', 'b'] })[name.toLowerCase()],
  copyIndex: (loop) => (loop === undefined || loop === 'rules' ? 2 : undefined),
  subscriptionId: 'sub',
  resourceGroup: 'rg',
};

describe('template expressions: literal ones resolve', () => {
  it.each([
    ["[concat('a', 'b', 'c')]", 'abc'],
    ["[concat(parameters('p'), '-nsg')]", 'web-nsg'],
    ["[concat(variables('list'), createArray('c'))]", ['a', 'b', 'c']],
    ["[format('{0}-{1}', parameters('p'), 7)]", 'web-7'],
    ["[variables('vnet').name]", 'vnet1'],
    ["[variables('vnet')['prefix']]", '10.0.0.0/16'],
    ["[variables('list')[1]]", 'b'],
    ["[parameters('obj').name]", 'fromParam'],
    ["[resourceId('Microsoft.Network/virtualNetworks/subnets', variables('vnet').name, 'default')]", '/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/default'],
    ["[resourceId('Microsoft.Network/networkSecurityGroups/', 'nsg1')]", '/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg1'],
    ["[resourceId('other-rg', 'Microsoft.Network/networkSecurityGroups', 'nsg1')]", '/subscriptions/sub/resourceGroups/other-rg/providers/Microsoft.Network/networkSecurityGroups/nsg1'],
    ["[resourceId('s2', 'rg2', 'Microsoft.Network/virtualNetworks/subnets', 'v/s')]", '/subscriptions/s2/resourceGroups/rg2/providers/Microsoft.Network/virtualNetworks/v/subnets/s'],
    ["[copyIndex()]", 2],
    ["[copyIndex(1)]", 3],
    ["[add(copyIndex('rules'), 100)]", 102],
    ["[concat('nic', copyIndex())]", 'nic2'],
    ["[equals(parameters('mode'), 'new')]", true],
    ["[not(equals(parameters('mode'), 'new'))]", false],
    ["[and(true(), or(false(), greater(parameters('n'), 1)))]", true],
    // `if` takes one branch: the other may need the deployment.
    ["[if(equals(parameters('mode'), 'new'), 'created', resourceGroup().location)]", 'created'],
    ["[toLower('AzureBastionSubnet')]", 'azurebastionsubnet'],
    ["[json('null')]", null],
    ["[length(variables('list'))]", 2],
    ["[int('42')]", 42],
    ["[ concat( 'it''s' , ' quoted' ) ]", "it's quoted"],
  ])('%s → %j', (expression, expected) => {
    expect(evaluateExpression(expression, scope)).toEqual(expected);
  });
});

describe('template expressions: the rest is unresolved, with a reason', () => {
  it.each([
    ["[resourceGroup().location]", 'resourcegroup() depends on the deployment'],
    ["[uniqueString(resourceGroup().id)]", 'uniquestring() depends on the deployment'],
    ["[reference(variables('vnet').name).addressPrefix]", 'reference() depends on the deployment'],
    ["[concat('a', subscription().subscriptionId)]", 'subscription() depends on the deployment'],
    ["[uri('https://x', 'y')]", 'uri() is not evaluated offline'],
    ["[copyIndex('other')]", 'copyIndex(other) outside its copy loop'],
    ["[variables('vnet').missing]", "no property 'missing'"],
    ["[resourceId('Microsoft.Network/virtualNetworks/subnets', 'v')]", 'resourceId() has 1 name(s) for 2 type segment(s)'],
    ["[format('{0:N2}', 1)]", 'format() placeholder {0:N2} is not supported offline'],
    ["[concat('a', 'b']", "not an expression nsgwatch can read: expected ')'"],
    ["[concat('a]", 'not an expression nsgwatch can read: unterminated string'],
  ])('%s', (expression, reason) => {
    const value = evaluateExpression(expression, scope);
    expect(isUnresolved(value)).toBe(true);
    expect(firstUnresolved(value)?.reason).toBe(reason);
  });
});

const nsgTemplate = (properties: unknown, extra: Record<string, unknown> = {}) => ({
  $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
  parameters: {
    prefix: { type: 'string', defaultValue: 'app' },
    noDefault: { type: 'string' },
    count: { type: 'int', defaultValue: 2 },
    location: { type: 'string', defaultValue: '[resourceGroup().location]' },
  },
  variables: { nsgName: "[concat(parameters('prefix'), '-nsg')]" },
  resources: [
    {
      type: 'Microsoft.Network/networkSecurityGroups',
      apiVersion: '2020-05-01',
      name: "[variables('nsgName')]",
      location: "[parameters('location')]",
      properties,
      ...extra,
    },
  ],
});

const rule = (name: string, priority: unknown, source: unknown = '*') => ({
  name,
  properties: {
    protocol: 'Tcp',
    sourcePortRange: '*',
    destinationPortRange: '22',
    sourceAddressPrefix: source,
    destinationAddressPrefix: '*',
    access: 'Allow',
    priority,
    direction: 'Inbound',
  },
});

function nsgRules(result: TemplateResult): unknown[] {
  const properties = result.resources[0]?.['properties'] as { securityRules?: unknown[] } | undefined;
  return properties?.securityRules ?? [];
}

describe('resourcesFromTemplate: resources, ids, loops', () => {
  it('places resources in a placeholder subscription and a resource group named after the template', () => {
    const result = resourcesFromTemplate(nsgTemplate({ securityRules: [rule('ssh', 100)] }), { label: 'demo' });
    expect(result.unresolved).toEqual([]);
    expect(result.resources[0]).toMatchObject({
      id: `/subscriptions/${TEMPLATE_SUBSCRIPTION_ID}/resourceGroups/demo/providers/Microsoft.Network/networkSecurityGroups/app-nsg`,
      name: 'app-nsg',
      type: 'Microsoft.Network/networkSecurityGroups',
    });
    // location needs the deployment but cannot change a verdict: dropped, not reported.
    expect(result.resources[0]).not.toHaveProperty('location');
  });

  it('prefers the parameters file over defaults', () => {
    const result = resourcesFromTemplate(nsgTemplate({}), { label: 'demo', parameters: { parameters: { prefix: { value: 'db' } } } });
    expect(result.resources[0]?.['name']).toBe('db-nsg');
  });

  it('expands property copy loops with a literal count', () => {
    const properties = {
      copy: [{ name: 'securityRules', count: "[parameters('count')]", input: rule("[concat('rule', copyIndex('securityRules'))]", "[add(100, copyIndex('securityRules'))]") }],
    };
    const result = resourcesFromTemplate(nsgTemplate(properties), { label: 'demo' });
    expect(result.unresolved).toEqual([]);
    expect(nsgRules(result)).toEqual([
      expect.objectContaining({ name: 'rule0', properties: expect.objectContaining({ priority: 100 }) }),
      expect.objectContaining({ name: 'rule1', properties: expect.objectContaining({ priority: 101 }) }),
    ]);
  });

  it('expands resource copy loops with a literal count', () => {
    const template = nsgTemplate({}, { name: "[concat('nsg', copyIndex(1))]", copy: { name: 'nsgLoop', count: 3 } });
    const result = resourcesFromTemplate(template, { label: 'demo' });
    expect(result.resources.map((r) => r['name'])).toEqual(['nsg1', 'nsg2', 'nsg3']);
  });

  it('reads nested child resources as the children they declare', () => {
    const template = nsgTemplate({ securityRules: [] }, { resources: [{ type: 'securityRules', name: 'http', apiVersion: '2020-05-01', properties: rule('http', 200).properties }] });
    const result = resourcesFromTemplate(template, { label: 'demo' });
    expect(result.resources.map((r) => [r['type'], r['id']])).toEqual([
      ['Microsoft.Network/networkSecurityGroups', expect.stringMatching(/networkSecurityGroups\/app-nsg$/)],
      ['Microsoft.Network/networkSecurityGroups/securityRules', expect.stringMatching(/networkSecurityGroups\/app-nsg\/securityRules\/http$/)],
    ]);
    const estate = loadEstate([templateDocument(result)]);
    expect((([...estate.networkSecurityGroups.values()][0]?.raw['securityRules']) as { name: string }[]).map((r) => r.name)).toEqual(['http']);
  });

  it('skips a resource whose condition is false, and says why', () => {
    const result = resourcesFromTemplate(nsgTemplate({}, { condition: "[equals(parameters('prefix'), 'other')]" }), { label: 'demo' });
    expect(result.resources).toEqual([]);
    expect(result.skipped).toEqual([{ resource: 'Microsoft.Network/networkSecurityGroups app-nsg', reason: "condition [equals(parameters('prefix'), 'other')] is false" }]);
  });
});

describe('resourcesFromTemplate: unresolved expressions are reported, never guessed', () => {
  it.each([
    {
      name: 'a rule field that needs the deployment',
      template: nsgTemplate({ securityRules: [rule('ssh', 100, "[reference('vnet').addressPrefix]")] }),
      report: { resource: "[variables('nsgName')]", field: 'properties.securityRules[0].properties.sourceAddressPrefix', expression: "[reference('vnet').addressPrefix]", reason: 'reference() depends on the deployment' },
    },
    {
      name: 'a parameter with no default and no value',
      template: nsgTemplate({ securityRules: [rule('ssh', "[parameters('noDefault')]")] }),
      report: { field: 'properties.securityRules[0].properties.priority', reason: "parameter 'noDefault' has no default value and no value in the parameters file" },
    },
    {
      name: 'a name that needs the deployment',
      template: nsgTemplate({}, { name: '[uniqueString(resourceGroup().id)]' }),
      report: { field: 'name', reason: 'uniquestring() depends on the deployment' },
    },
    {
      name: 'a property copy count that is not literal',
      template: nsgTemplate({ copy: [{ name: 'securityRules', count: '[length(reference(\'x\').rules)]', input: rule('r', 100) }] }),
      report: { field: 'properties.securityRules (copy count)', reason: 'reference() depends on the deployment' },
    },
    {
      name: 'a condition that is not literal',
      template: nsgTemplate({}, { condition: "[contains(resourceGroup().name, 'prod')]" }),
      report: { field: 'condition', reason: 'resourcegroup() depends on the deployment' },
    },
  ])('$name', ({ template, report }) => {
    const result = resourcesFromTemplate(template, { label: 'demo' });
    expect(result.resources).toEqual([]);
    expect(result.unresolved).toEqual([expect.objectContaining({ template: 'demo', ...report })]);
    const [error] = unresolvedErrors(result);
    expect(error?.resourceId).toContain('demo: ');
    expect(error?.message).toContain('cannot be resolved offline');
  });

  it('drops unresolved values in fields that cannot change a verdict', () => {
    const properties = { securityRules: [{ ...rule('ssh', 100), properties: { ...rule('ssh', 100).properties, description: '[reference(\'x\').text]' } }] };
    const result = resourcesFromTemplate(nsgTemplate(properties, { tags: { owner: '[deployment().name]', team: 'net' } }), { label: 'demo' });
    expect(result.unresolved).toEqual([]);
    expect(result.resources[0]?.['tags']).toEqual({ team: 'net' });
  });
});

async function quickstart(name: string): Promise<{ result: TemplateResult; estate: Estate }> {
  const loaded = await loadTemplateFile(join(QUICKSTARTS, name));
  if (!loaded.ok) throw new Error(loaded.problem.message);
  return { result: loaded.value, estate: loadEstate([templateDocument(loaded.value)]) };
}

const byName = <T extends { name: string }>(map: ReadonlyMap<string, T>, name: string) => [...map.values()].find((r) => r.name === name);

describe('the ARM quickstart templates', () => {
  it('101-azure-bastion-nsg: the AzureBastionSubnet carries an NSG holding the Bastion rules', async () => {
    const { result, estate } = await quickstart('101-azure-bastion-nsg');
    expect(result.unresolved).toEqual([]);
    expect(result.skipped).toEqual([expect.objectContaining({ resource: 'Microsoft.Network/virtualNetworks/subnets vnet01/AzureBastionSubnet' })]);
    const subnet = byName(estate.subnets, 'AzureBastionSubnet');
    expect(subnet && subnetRole(subnet.name)).toBe('bastion');
    expect(subnet?.addressPrefixes).toEqual(['10.1.1.0/27']);
    // The parameters file names the Bastion host; the NSG is named after it.
    const nsg = estate.networkSecurityGroups.get(subnet?.networkSecurityGroup?.key ?? '');
    expect(nsg?.name).toBe('GEN-UNIQUE-8-nsg');
    expect((nsg?.raw['securityRules'] as { name: string }[]).map((r) => r.name)).toEqual([
      'AllowHttpsInBound',
      'AllowGatewayManagerInBound',
      'AllowLoadBalancerInBound',
      'AllowBastionHostCommunicationInBound',
      'DenyAllInBound',
      'AllowSshRdpOutBound',
      'AllowAzureCloudCommunicationOutBound',
      'AllowBastionHostCommunicationOutBound',
      'AllowGetSessionInformationOutBound',
      'DenyAllOutBound',
    ]);
    const relations = relateEstate(estate);
    expect(relations.bastions.map((b) => [b.bastion.name, b.subnet.key, b.subnetPrefixes])).toEqual([['GEN-UNIQUE-8', subnet?.key, ['10.1.1.0/27']]]);
  });

  it('101-azure-bastion: the Bastion subnet has no NSG', async () => {
    const { result, estate } = await quickstart('101-azure-bastion');
    expect(result.unresolved).toEqual([]);
    const subnet = byName(estate.subnets, 'AzureBastionSubnet');
    expect(subnet).toBeDefined();
    expect(subnet?.networkSecurityGroup).toBeUndefined();
    expect(estate.networkSecurityGroups.size).toBe(0);
  });

  it('101-nat-gateway-vnet: the NAT gateway subnet has no NSG', async () => {
    const { result, estate } = await quickstart('101-nat-gateway-vnet');
    expect(result.unresolved).toEqual([]);
    const subnet = byName(estate.subnets, 'mySubnet');
    expect(subnet?.networkSecurityGroup).toBeUndefined();
    expect(natGatewaysOfSubnet(relateEstate(estate), subnet?.id ?? '').map((n) => n.id.split('/').pop())).toEqual(['myNATgateway']);
  });

  it('101-vm-simple-linux: the VM NIC is guarded by an NSG that allows SSH from anywhere', async () => {
    const { result, estate } = await quickstart('101-vm-simple-linux');
    expect(result.unresolved).toEqual([]);
    const relations = relateEstate(estate);
    const nic = [...estate.networkInterfaces.values()][0];
    const [point] = guardsOfNetworkInterface(relations, nic?.id ?? '');
    expect(point?.nicNsg.state).toBe('present');
    const rules = point?.nicNsg.state === 'present' ? (point.nicNsg.nsg.raw['securityRules'] as Record<string, unknown>[]) : [];
    expect(rules).toEqual([
      expect.objectContaining({ name: 'SSH', access: 'Allow', direction: 'Inbound', protocol: 'TCP', sourceAddressPrefix: '*', destinationPortRange: '22' }),
    ]);
    // Dynamic allocation: the NIC's address is known only to lie within its subnet.
    expect(point?.local).toEqual({ kind: 'within', prefixes: ['10.1.0.0/24'] });
  });

  it('101-bastion-hub-spoke-vnet: both peering sides declared deploy a Connected pair; Bastion serves the spoke', async () => {
    const { estate } = await quickstart('101-bastion-hub-spoke-vnet');
    expect([...estate.peerings.values()].map((p) => p.peeringState)).toEqual(['Connected', 'Connected']);
    const relations = relateEstate(estate);
    expect(relations.bastions[0]?.servedVirtualNetworks.map((v) => v.id.split('/').pop())).toEqual(['vnet-hub', 'vnet-spoke']);
    const spoke = byName(estate.virtualNetworks, 'vnet-spoke');
    const scope = virtualNetworkScope(relations, spoke?.id ?? '');
    expect(scope.kind === 'known' ? scope.prefixes : []).toEqual(['10.1.0.0/16', '10.0.0.0/16']);
  });

  it('201-application-security-group: ASG references resolve, and the NIC is a member', async () => {
    const { estate } = await quickstart('201-application-security-group');
    const asg = byName(estate.applicationSecurityGroups, 'webServersAsg');
    const nsg = byName(estate.networkSecurityGroups, 'webNsg');
    const rules = nsg?.raw['securityRules'] as { destinationApplicationSecurityGroups: { id: string }[] }[];
    expect(rules[0]?.destinationApplicationSecurityGroups).toEqual([{ id: asg?.id }]);
    expect([...estate.networkInterfaces.values()][0]?.ipConfigurations[0]?.applicationSecurityGroups.map((a) => a.key)).toEqual([asg?.key]);
  });

  it('ag-docs-qs: resource copy loops name each NSG', async () => {
    const { estate } = await quickstart('ag-docs-qs');
    expect([...estate.networkSecurityGroups.values()].map((n) => n.name).sort()).toEqual(['vm-nsg1', 'vm-nsg2']);
  });

  it('201-redis-vnet-nsg: rules built from reference() are reported per field and the NSG left out', async () => {
    const { result, estate } = await quickstart('201-redis-vnet-nsg');
    expect(estate.networkSecurityGroups.size).toBe(0);
    expect(result.unresolved.length).toBe(12);
    expect(result.unresolved[0]).toEqual({
      template: '201-redis-vnet-nsg',
      resource: "[parameters('newNsgName')]",
      field: 'properties.securityRules[0].properties.destinationAddressPrefix',
      expression: "[reference(variables('subnetId'), '2018-04-01').addressPrefix]",
      reason: 'reference() depends on the deployment',
    });
    expect(result.skipped).toEqual([{ resource: 'Microsoft.Resources/deployments associateNsg', reason: 'nested and linked deployments are not followed' }]);
  });

  it('201-api-management-create-with-internal-vnet: a name built with uniqueString() is reported', async () => {
    const { result } = await quickstart('201-api-management-create-with-internal-vnet');
    // The NSG, the network naming it and the API Management service (read for the subnet it is injected into).
    expect(result.unresolved.map((u) => [u.field, u.reason])).toEqual([
      ['name', 'uniquestring() depends on the deployment'],
      ['properties.subnets[0].properties.networkSecurityGroup.id', 'uniquestring() depends on the deployment'],
      ['name', 'uniquestring() depends on the deployment'],
    ]);
  });

  const templates = (dir: string): string[] =>
    readdirSync(dir).flatMap((entry) => {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) return templates(path);
      return entry.endsWith('.json') && !entry.endsWith('.parameters.json') ? [path] : [];
    });
  const all = templates(QUICKSTARTS).map((p) => relative(QUICKSTARTS, p));

  it('covers every template file of the corpus', () => {
    expect(all.length).toBe(45);
  });

  it.each(all)('%s loads into an estate without errors; anything unresolved is named', async (path) => {
    const { result, estate } = await quickstart(path);
    expect(estate.errors).toEqual([]);
    for (const u of result.unresolved) {
      expect(u.template).not.toBe('');
      expect(u.resource).not.toBe('');
      expect(u.field).not.toBe('');
      expect(u.expression).toMatch(/^\[.*\]$|^$/);
      expect(u.reason).not.toBe('');
    }
  });

  it('reads the Network resources of most templates', async () => {
    let nsgs = 0;
    let unresolved = 0;
    for (const path of all) {
      const { result, estate } = await quickstart(path);
      nsgs += estate.networkSecurityGroups.size;
      unresolved += result.unresolved.length;
    }
    // Figures of the 2021 snapshot: most NSGs resolve; the rest name what needs a deployment.
    expect(nsgs).toBeGreaterThanOrEqual(50);
    expect(unresolved).toBeGreaterThan(0);
  });
});
