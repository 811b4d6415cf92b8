/**
 * Builders for Virtual Network Manager resources in ARM REST shape (the shapes of the
 * NetworkManager*.json examples in ../shared/corpus/rest-api-examples/2024-07-01): a manager, a
 * security admin configuration, rule collections applying to network groups, admin rules, static
 * members and the deployment status list that says what is committed where.
 */
import { GROUP, ids, type Json } from '../rules/fixtures/build.js';

export const MANAGER = `${GROUP}/networkManagers/avnm`;

export const adminIds = {
  configuration: (name: string): string => `${MANAGER}/securityAdminConfigurations/${name}`,
  collection: (config: string, name: string): string => `${adminIds.configuration(config)}/ruleCollections/${name}`,
  rule: (config: string, collection: string, name: string): string => `${adminIds.collection(config, collection)}/rules/${name}`,
  group: (name: string): string => `${MANAGER}/networkGroups/${name}`,
};

export interface AdminRuleSpec {
  name: string;
  priority: number;
  access: 'Allow' | 'Deny' | 'AlwaysAllow';
  direction?: 'Inbound' | 'Outbound';
  protocol?: string;
  sources?: string[];
  destinations?: string[];
  ports?: string[];
}

function prefixes(list: readonly string[]): Json[] {
  return list.map((p) => ({ addressPrefixType: /^[A-Za-z]/.test(p) && p !== '*' ? 'ServiceTag' : 'IPPrefix', addressPrefix: p }));
}

export function adminRule(config: string, collection: string, spec: AdminRuleSpec): Json {
  return {
    id: adminIds.rule(config, collection, spec.name),
    name: spec.name,
    type: 'Microsoft.Network/networkManagers/securityAdminConfigurations/ruleCollections/rules',
    kind: 'Custom',
    properties: {
      protocol: spec.protocol ?? 'Tcp',
      sources: prefixes(spec.sources ?? ['*']),
      destinations: prefixes(spec.destinations ?? ['*']),
      sourcePortRanges: ['0-65535'],
      destinationPortRanges: spec.ports ?? ['0-65535'],
      access: spec.access,
      priority: spec.priority,
      direction: spec.direction ?? 'Inbound',
    },
  };
}

export interface ManagerSpec {
  configuration?: string;
  /** Collections by name: the groups each applies to and its rules. */
  collections: { name: string; groups: string[]; rules: AdminRuleSpec[] }[];
  /** Static members: group name → virtual network names (or full ids). */
  members: Record<string, string[]>;
  /** Regions the configuration is committed to; undefined: no deployment status in the input. */
  committedTo?: string[] | undefined;
  deploymentStatus?: string;
}

/** The resources of one network manager, as a list of REST bodies, and its deployment status list. */
export function networkManager(spec: ManagerSpec): Json[] {
  const config = spec.configuration ?? 'secadmin';
  const out: Json[] = [
    { id: MANAGER, name: 'avnm', type: 'Microsoft.Network/networkManagers', location: 'westeurope', properties: { networkManagerScopeAccesses: ['SecurityAdmin'] } },
    { id: adminIds.configuration(config), name: config, type: 'Microsoft.Network/networkManagers/securityAdminConfigurations', properties: {} },
  ];
  for (const collection of spec.collections) {
    out.push({
      id: adminIds.collection(config, collection.name),
      name: collection.name,
      type: 'Microsoft.Network/networkManagers/securityAdminConfigurations/ruleCollections',
      properties: { appliesToGroups: collection.groups.map((g) => ({ networkGroupId: adminIds.group(g) })) },
    });
    for (const rule of collection.rules) out.push(adminRule(config, collection.name, rule));
  }
  for (const [group, vnets] of Object.entries(spec.members)) {
    out.push({ id: adminIds.group(group), name: group, type: 'Microsoft.Network/networkManagers/networkGroups', properties: { memberType: 'VirtualNetwork' } });
    for (const vnet of vnets) {
      const vnetId = vnet.startsWith('/') ? vnet : ids.vnet(vnet);
      const name = vnetId.split('/').pop() ?? vnet;
      out.push({
        id: `${adminIds.group(group)}/staticMembers/${name}`,
        name,
        type: 'Microsoft.Network/networkManagers/networkGroups/staticMembers',
        properties: { resourceId: vnetId },
      });
    }
  }
  return out;
}

/** The deployment status list body (`listDeploymentStatus`), configuration ids in full. */
export function deploymentStatus(spec: ManagerSpec): Json {
  const config = spec.configuration ?? 'secadmin';
  return {
    value: (spec.committedTo ?? []).map((region) => ({
      deploymentType: 'AdminPolicy',
      configurationIds: [adminIds.configuration(config)],
      commitTime: '2026-11-30T10:00:00Z',
      region,
      deploymentStatus: spec.deploymentStatus ?? 'Deployed',
      errorMessage: '',
    })),
  };
}

/** The documents of a manager: its resources and (when it has one) its deployment status list. */
export function managerDocuments(spec: ManagerSpec): { source: string; json: unknown }[] {
  return [
    { source: 'network-manager.json', json: { value: networkManager(spec) } },
    ...(spec.committedTo ? [{ source: 'deployment-status.json', json: deploymentStatus(spec) }] : []),
  ];
}

/** The effective security admin rules list items (REST) a network in every group of the spec would get. */
export function effectiveItems(spec: ManagerSpec): Json[] {
  const config = spec.configuration ?? 'secadmin';
  return spec.collections.flatMap((collection) =>
    collection.rules.map((rule) => {
      const { name: _name, type: _type, ...item } = adminRule(config, collection.name, rule);
      return { ...item, configurationDescription: '', ruleCollectionDescription: '', ruleCollectionAppliesToGroups: collection.groups.map((g) => ({ networkGroupId: adminIds.group(g) })) };
    }),
  );
}

/**
 * A manager of the size the benchmarks hold the engine to: three collections of admin rules
 * (`count` in all) over three groups, mixing what enterprises write — Deny of high-risk ports from
 * the Internet, AlwaysAllow of management sources, Allow handing the rest to the NSGs.
 */
export function benchManager(networks: readonly string[], count = 50): ManagerSpec {
  const rules: AdminRuleSpec[] = Array.from({ length: count }, (_, i) => {
    const kind = i % 5;
    if (kind === 0) return { name: `deny-${i}`, priority: 10 + i, access: 'Deny', sources: ['Internet'], ports: [['22'], ['3389'], ['445'], ['23'], ['5985-5986']][i % 5] ?? ['22'] };
    if (kind === 1) return { name: `always-${i}`, priority: 10 + i, access: 'AlwaysAllow', sources: [`10.${i % 200}.0.0/26`], ports: ['22', '3389'] };
    if (kind === 2) return { name: `udp-${i}`, priority: 10 + i, access: 'Deny', protocol: 'Udp', sources: ['Internet'], ports: [`${1000 + i}`] };
    if (kind === 3) return { name: `pass-${i}`, priority: 10 + i, access: 'Allow', sources: ['VirtualNetwork'], ports: ['443'] };
    return { name: `partner-${i}`, priority: 10 + i, access: 'Allow', sources: [`${20 + (i % 100)}.${i}.0.0/24`], ports: ['443', '8443'] };
  });
  const groups = ['g-0', 'g-1', 'g-2'];
  const members: Record<string, string[]> = { 'g-0': [], 'g-1': [], 'g-2': [] };
  networks.forEach((id, i) => members[groups[i % 3] ?? 'g-0']?.push(id));
  const third = Math.ceil(count / 3);
  return {
    collections: groups.map((group, k) => ({ name: `c-${k}`, groups: [group], rules: rules.slice(k * third, (k + 1) * third) })),
    members,
    committedTo: ['westeurope'],
  };
}

/**
 * A manager in subscription `sub` with one rule, its ids and its effective list item (REST): an
 * AlwaysAllow of SSH from anywhere, past every NSG, applying to the group `all`.
 */
export function guardRailOf(sub: string) {
  const manager = `/subscriptions/${sub}/resourceGroups/rg-avnm/providers/Microsoft.Network/networkManagers/avnm`;
  const configuration = `${manager}/securityAdminConfigurations/sec`;
  const collection = `${configuration}/ruleCollections/guard`;
  const rule = `${collection}/rules/always-ssh`;
  const item = {
    id: rule,
    kind: 'Custom',
    configurationDescription: 'platform guard rails',
    ruleCollectionAppliesToGroups: [{ networkGroupId: `${manager}/networkGroups/all` }],
    properties: {
      protocol: 'Tcp',
      sources: [{ addressPrefixType: 'IPPrefix', addressPrefix: '*' }],
      destinations: [{ addressPrefixType: 'IPPrefix', addressPrefix: '*' }],
      sourcePortRanges: ['0-65535'],
      destinationPortRanges: ['22'],
      access: 'AlwaysAllow',
      priority: 5,
      direction: 'Inbound',
    },
  };
  return { manager, configuration, collection, rule, item };
}
