/**
 * Virtual Network Manager security admin rules in the estate (DESIGN §3 "Composition"): reading
 * network managers, security admin configurations, rule collections, admin rules (custom and
 * default), network groups, static members, deployment status lists and the effective / active
 * security admin rules lists, and working out which rules apply to one virtual network.
 *
 * What Azure documents, and this module encodes:
 * - A security admin configuration holds rule collections; a collection holds admin rules and
 *   applies to the network groups it names (`appliesToGroups`); the rules apply to the virtual
 *   networks of those groups (https://learn.microsoft.com/azure/virtual-network-manager/concept-security-admins).
 * - Configurations take effect only once deployed (committed) to a region; the goal state of a
 *   region is its deployed configurations combined with network group membership, and only one
 *   security admin configuration of a network manager is deployed to a region at a time
 *   (https://learn.microsoft.com/azure/virtual-network-manager/concept-deployments).
 * - Group membership is static (`staticMembers`) or dynamic, through Azure Policy conditions
 *   (https://learn.microsoft.com/azure/virtual-network-manager/concept-network-groups): dynamic
 *   membership is evaluated by Azure Policy and is not in the exported resources, so offline it is
 *   a stated assumption.
 * - The per-network effective security admin rules list gives exactly the rules that apply to one
 *   network (https://learn.microsoft.com/rest/api/virtualnetworkmanager/list-effective-security-admin-rules/list):
 *   when the input holds it, it decides that network.
 */
import { boundedText } from '../nsg/describe-value.js';
import { kindOfId, nameOfId, normalizeId, parentId, parseResourceId } from '../arm/index.js';
import type {
  ActiveAdminRules,
  AdminDeployment,
  AdminRuleCollection,
  AdminRuleResource,
  ArmReference,
  EffectiveAdminRules,
  Estate,
  ListedAdminRule,
  NetworkGroup,
  NetworkGroupStaticMember,
  NetworkManager,
  Origin,
  SecurityAdminConfiguration,
  SecurityAdminEstate,
  VirtualNetwork,
} from './model.js';
import { isObject, type JsonObject } from './shape.js';
import type { FieldReader } from './load-paths.js';
import { isSecurityAdminKind, type SecurityAdminKind } from './kinds.js';
import type { ResourceError } from '../nsg/index.js';

export type SecurityAdminResource =
  | NetworkManager
  | SecurityAdminConfiguration
  | AdminRuleCollection
  | AdminRuleResource
  | NetworkGroup
  | NetworkGroupStaticMember;

type Base = Pick<NetworkManager, 'id' | 'key' | 'name' | 'subscriptionId' | 'resourceGroup' | 'tags' | 'origin'>;

function ref(id: string): ArmReference {
  return { id, key: normalizeId(id) };
}

function parentRef(id: string, read: FieldReader): ArmReference {
  const parent = parentId(id);
  return parent === undefined ? read.fail('id', `'${boundedText(id)}' has no parent resource`) : ref(parent);
}

function ruleKindOf(value: unknown, read: FieldReader): 'Custom' | 'Default' {
  if (value === undefined || value === null) return 'Custom';
  const text = typeof value === 'string' ? value.trim().toLowerCase() : '';
  if (text === 'custom') return 'Custom';
  if (text === 'default') return 'Default';
  return read.fail('kind', `kind ${JSON.stringify(value)} is neither Custom nor Default`);
}

/** One Virtual Network Manager resource, flattened (REST `properties` lifted, or az CLI output). */
export function readSecurityAdminResource(kind: SecurityAdminKind, flat: JsonObject, base: Base, raw: JsonObject, read: FieldReader): SecurityAdminResource {
  switch (kind) {
    case 'networkManager':
      return { ...base, kind };
    case 'securityAdminConfiguration':
      return { ...base, kind, networkManager: parentRef(base.id, read) };
    case 'adminRuleCollection': {
      const groups = flat['appliesToGroups'];
      if (groups !== undefined && groups !== null && !Array.isArray(groups)) read.fail('appliesToGroups', 'appliesToGroups is not an array');
      const appliesToGroups = (Array.isArray(groups) ? groups : []).map((item, i) => {
        const group = isObject(item) ? read.reference(item, 'networkGroupId', `appliesToGroups[${i}].networkGroupId`) : undefined;
        return group ?? read.fail(`appliesToGroups[${i}].networkGroupId`, `appliesToGroups[${i}] has no networkGroupId`);
      });
      return { ...base, kind, configuration: parentRef(base.id, read), appliesToGroups };
    }
    case 'adminRule':
      // `kind` sits beside `properties` in REST (Custom or Default) and at top level in az output.
      return { ...base, kind, collection: parentRef(base.id, read), ruleKind: ruleKindOf(raw['kind'], read), raw };
    case 'networkGroup': {
      const memberType = flat['memberType'];
      return { ...base, kind, networkManager: parentRef(base.id, read), memberType: typeof memberType === 'string' && memberType !== '' ? memberType : undefined };
    }
    case 'networkGroupStaticMember': {
      const member = read.reference(flat, 'resourceId', 'resourceId') ?? read.fail('resourceId', 'resourceId is missing');
      return { ...base, kind, group: parentRef(base.id, read), member };
    }
    default: {
      const never: never = kind;
      return never;
    }
  }
}

// --- Lists whose target is outside the body: deployment status, effective and active rules ---

/** Where a list document says what it is about: REST example `parameters`, or fields beside `value`. */
interface Hints {
  subscriptionId?: string;
  resourceGroupName?: string;
  virtualNetworkName?: string;
  networkManagerName?: string;
  virtualNetworkId?: string;
  networkManagerId?: string;
}

export interface AdminLists {
  deployments: AdminDeployment[];
  effective: EffectiveAdminRules[];
  active: ActiveAdminRules[];
  errors: ResourceError[];
  /** The containers and items taken here, for the generic scan to skip. */
  taken: Set<object>;
}

const MAX_DEPTH = 8;

function stringField(object: JsonObject, field: string): string | undefined {
  const value = object[field];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function idField(object: JsonObject, field: string): string | undefined {
  const value = object[field];
  if (typeof value === 'string') return value.trim() || undefined;
  return isObject(value) ? stringField(value, 'id') : undefined;
}

function hintsOf(object: JsonObject, outer: Hints): Hints {
  const hints: Hints = { ...outer };
  const parameters = isObject(object['parameters']) ? object['parameters'] : undefined;
  for (const source of [parameters, object]) {
    if (!source) continue;
    for (const field of ['subscriptionId', 'resourceGroupName', 'virtualNetworkName', 'networkManagerName'] as const) {
      const value = stringField(source, field);
      if (value !== undefined) hints[field] = value;
    }
    const vnet = idField(source, 'virtualNetworkId') ?? idField(source, 'virtualNetwork');
    if (vnet !== undefined) hints.virtualNetworkId = vnet;
    const manager = idField(source, 'networkManagerId') ?? idField(source, 'networkManager');
    if (manager !== undefined) hints.networkManagerId = manager;
  }
  return hints;
}

function hintedId(hints: Hints, type: 'virtualNetworks' | 'networkManagers'): string | undefined {
  const explicit = type === 'virtualNetworks' ? hints.virtualNetworkId : hints.networkManagerId;
  if (explicit !== undefined) return explicit;
  const name = type === 'virtualNetworks' ? hints.virtualNetworkName : hints.networkManagerName;
  if (name === undefined || hints.subscriptionId === undefined || hints.resourceGroupName === undefined) return undefined;
  return `/subscriptions/${hints.subscriptionId}/resourceGroups/${hints.resourceGroupName}/providers/Microsoft.Network/${type}/${name}`;
}

function isDeploymentEntry(item: unknown): item is JsonObject {
  return isObject(item) && typeof item['deploymentType'] === 'string' && Array.isArray(item['configurationIds']);
}

function isListedRule(item: unknown): item is JsonObject {
  return isObject(item) && typeof item['id'] === 'string' && (Array.isArray(item['ruleCollectionAppliesToGroups']) || 'configurationDescription' in item || 'ruleCollectionDescription' in item);
}

/**
 * Finds the deployment status, effective and active security admin rules lists in one document:
 * `{ value: [...] }` (REST, `az network manager list-deploy-status` / `list-effective-security-admin-rule`),
 * a bare array, or a REST example `{ parameters, responses }` whose parameters name the target.
 */
export function readAdminLists(json: unknown, source: string, sequence: number): AdminLists {
  const out: AdminLists = { deployments: [], effective: [], active: [], errors: [], taken: new Set() };
  const origin: Origin = { source, sequence };
  const visit = (value: unknown, hints: Hints, depth: number, container: JsonObject | undefined): void => {
    if (depth > MAX_DEPTH) return;
    if (Array.isArray(value)) {
      if (value.length > 0 && value.every(isDeploymentEntry)) {
        takeDeployments(value, hints, origin, out);
        out.taken.add(value);
        if (container) out.taken.add(container);
        return;
      }
      if (value.length > 0 && value.every(isListedRule)) {
        takeRules(value, hints, container, origin, out);
        out.taken.add(value);
        if (container) out.taken.add(container);
        return;
      }
      for (const item of value) if (typeof item === 'object' && item !== null) visit(item, hints, depth + 1, undefined);
      return;
    }
    if (!isObject(value)) return;
    const inner = hintsOf(value, hints);
    if (Array.isArray(value['value'])) {
      const explicit = idField(value, 'virtualNetworkId');
      // An empty effective list for a named network: no admin rule applies to it (and none is guessed from exports).
      if (value['value'].length === 0 && explicit !== undefined && parseResourceId(explicit)) {
        out.effective.push({ virtualNetwork: ref(explicit), rules: [], truncated: typeof value['skipToken'] === 'string' && value['skipToken'] !== '', origin });
        out.taken.add(value);
        return;
      }
      visit(value['value'], inner, depth + 1, value);
      return;
    }
    // A resource is not a container of lists: the walk stays out of it (large exports stay cheap).
    if (typeof value['type'] === 'string' || typeof value['id'] === 'string') return;
    for (const [key, item] of Object.entries(value)) {
      if (key === 'parameters' || typeof item !== 'object' || item === null) continue;
      visit(item, inner, depth + 1, undefined);
    }
  };
  visit(json, {}, 0, undefined);
  return out;
}

function takeDeployments(items: JsonObject[], hints: Hints, origin: Origin, out: AdminLists): void {
  const manager = hintedId(hints, 'networkManagers');
  items.forEach((item, i) => {
    const label = `deployment status ${i} in ${origin.source}`;
    const region = stringField(item, 'region');
    if (region === undefined) {
      out.errors.push({ resourceId: manager ?? label, field: `value[${i}].region`, message: `deployment status entry ${i} has no region (in ${origin.source})` });
      return;
    }
    const ids = (item['configurationIds'] as unknown[]).filter((c): c is string => typeof c === 'string' && c.trim() !== '');
    // Configuration ids are full ARM ids; a bare name is read under the manager the document names.
    const admin = stringField(item, 'deploymentType')?.toLowerCase() === 'adminpolicy';
    const configurations = ids.map((c) => normalizeId(c.startsWith('/') || !admin ? c : manager !== undefined ? `${manager}/securityAdminConfigurations/${c}` : c));
    const fromIds = ids.find((c) => c.startsWith('/'));
    const managerId = manager ?? (fromIds !== undefined ? parentId(fromIds) : undefined);
    out.deployments.push({
      networkManager: managerId !== undefined ? ref(managerId) : undefined,
      region: normalizeRegion(region),
      deploymentType: stringField(item, 'deploymentType') ?? '',
      deploymentStatus: stringField(item, 'deploymentStatus'),
      configurations,
      commitTime: stringField(item, 'commitTime'),
      origin,
    });
  });
}

function takeRules(items: JsonObject[], hints: Hints, container: JsonObject | undefined, origin: Origin, out: AdminLists): void {
  const truncated = container !== undefined && typeof container['skipToken'] === 'string' && container['skipToken'] !== '';
  const rules: { rule: ListedAdminRule; region: string | undefined; commitTime: string | undefined }[] = [];
  items.forEach((item, i) => {
    const id = stringField(item, 'id') ?? '';
    if (kindOfId(id) !== 'adminRule') {
      out.errors.push({ resourceId: id || `admin rule ${i} in ${origin.source}`, field: `value[${i}].id`, message: `'${boundedText(id)}' is not the id of a security admin rule (in ${origin.source})` });
      return;
    }
    const groups = Array.isArray(item['ruleCollectionAppliesToGroups']) ? item['ruleCollectionAppliesToGroups'] : [];
    const appliesToGroups = groups.flatMap((g) => {
      const groupId = isObject(g) ? stringField(g, 'networkGroupId') : undefined;
      return groupId !== undefined ? [ref(groupId)] : [];
    });
    const kind = stringField(item, 'kind')?.toLowerCase() === 'default' ? 'Default' : 'Custom';
    rules.push({ rule: { id, key: normalizeId(id), ruleKind: kind, raw: item, appliesToGroups }, region: stringField(item, 'region'), commitTime: stringField(item, 'commitTime') });
  });
  // The active list (per network manager) gives each rule its region; the effective list (per network) does not.
  const active = rules.filter((r) => r.region !== undefined);
  for (const r of active) out.active.push({ region: normalizeRegion(r.region ?? ''), rule: r.rule, commitTime: r.commitTime, origin });
  const effective = rules.filter((r) => r.region === undefined);
  if (effective.length === 0) return;
  const network = hintedId(hints, 'virtualNetworks');
  if (network === undefined || !parseResourceId(network)) {
    out.errors.push({
      resourceId: `effective security admin rules list in ${origin.source}`,
      field: 'virtualNetwork',
      message: `the effective security admin rules list in ${origin.source} does not say which virtual network it is for (give virtualNetworkId beside value)`,
    });
    return;
  }
  out.effective.push({ virtualNetwork: ref(network), rules: effective.map((r) => r.rule), truncated, origin });
}

/** Regions compare as ARM writes them in ids and lists: lower case, no spaces (`West Europe` = `westeurope`). */
export function normalizeRegion(region: string): string {
  return region.replace(/\s+/g, '').toLowerCase();
}

export interface SecurityAdminParts {
  resources: SecurityAdminResource[];
  deployments: AdminDeployment[];
  effective: EffectiveAdminRules[];
  active: ActiveAdminRules[];
}

/** The estate's part: later records win (the loader hands them over in input order). */
export function securityAdminEstate(parts: SecurityAdminParts): SecurityAdminEstate | undefined {
  if (parts.resources.length === 0 && parts.deployments.length === 0 && parts.effective.length === 0 && parts.active.length === 0) return undefined;
  const maps = {
    networkManager: new Map<string, NetworkManager>(),
    securityAdminConfiguration: new Map<string, SecurityAdminConfiguration>(),
    adminRuleCollection: new Map<string, AdminRuleCollection>(),
    adminRule: new Map<string, AdminRuleResource>(),
    networkGroup: new Map<string, NetworkGroup>(),
    networkGroupStaticMember: new Map<string, NetworkGroupStaticMember>(),
  };
  for (const resource of [...parts.resources].sort((a, b) => a.origin.sequence - b.origin.sequence)) {
    (maps[resource.kind] as Map<string, SecurityAdminResource>).set(resource.key, resource);
  }
  const effective = new Map<string, EffectiveAdminRules>();
  for (const list of [...parts.effective].sort((a, b) => a.origin.sequence - b.origin.sequence)) {
    const seen = effective.get(list.virtualNetwork.key);
    // Pages of one list (same document) join; a later document replaces an earlier one.
    if (seen && seen.origin.source === list.origin.source) effective.set(list.virtualNetwork.key, { ...seen, rules: [...seen.rules, ...list.rules], truncated: list.truncated });
    else effective.set(list.virtualNetwork.key, list);
  }
  const sorted = <T>(map: Map<string, T>): Map<string, T> => new Map([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return {
    networkManagers: sorted(maps.networkManager),
    configurations: sorted(maps.securityAdminConfiguration),
    collections: sorted(maps.adminRuleCollection),
    rules: sorted(maps.adminRule),
    groups: sorted(maps.networkGroup),
    staticMembers: sorted(maps.networkGroupStaticMember),
    deployments: [...parts.deployments].sort((a, b) => a.origin.sequence - b.origin.sequence),
    active: parts.active,
    effective: sorted(effective),
  };
}

// --- Which admin rules apply to one virtual network ---

/** An admin rule as it applies to a network: the raw rule for the engine and where it comes from. */
export interface AppliedAdminRule {
  id: string;
  key: string;
  name: string;
  ruleKind: 'Custom' | 'Default';
  raw: Record<string, unknown>;
  manager: { id: string; name: string };
  configuration: { id: string; name: string };
  collection: { id: string; name: string };
}

export interface NetworkAdminRules {
  /** The rules that apply, in input order (the engine orders them by priority). */
  rules: AppliedAdminRule[];
  /** Where they were read from, and the assumptions the answer rests on. */
  notes: string[];
  /** Why the rules that apply cannot be known (the network's verdicts are not judged); empty when they can. */
  unknown: string[];
}

const NO_RULES: NetworkAdminRules = { rules: [], notes: [], unknown: [] };

/** `.../networkManagers/m/securityAdminConfigurations/c/ruleCollections/k/rules/r` → its parts. */
export function appliedRule(id: string, ruleKind: 'Custom' | 'Default', raw: Record<string, unknown>): AppliedAdminRule {
  const collection = parentId(id) ?? id;
  const configuration = parentId(collection) ?? collection;
  const manager = parentId(configuration) ?? configuration;
  const named = (x: string) => ({ id: x, name: nameOfId(x) });
  return { id, key: normalizeId(id), name: nameOfId(id), ruleKind, raw, manager: named(manager), configuration: named(configuration), collection: named(collection) };
}

function managerOfKey(key: string): string | undefined {
  const at = key.indexOf('/providers/microsoft.network/networkmanagers/');
  if (at < 0) return undefined;
  const rest = key.slice(at + '/providers/microsoft.network/networkmanagers/'.length);
  return key.slice(0, at) + '/providers/microsoft.network/networkmanagers/' + (rest.split('/')[0] ?? '');
}

/**
 * The security admin rules that apply to each virtual network, memoised per network. A network
 * with an effective list in the input takes exactly that list; otherwise the rules of the
 * configurations committed to the network's region whose collections apply to a group the
 * network is a static member of.
 */
export function securityAdminRelations(estate: Estate): (network: VirtualNetwork | undefined, networkKey: string) => NetworkAdminRules {
  const admin = estate.securityAdmin;
  const invalidAdmin = [...(estate.invalid?.values() ?? [])].filter((bad) => isSecurityAdminKind(bad.kind));
  if (!admin && invalidAdmin.length === 0) return () => NO_RULES;
  const state: SecurityAdminEstate = admin ?? {
    networkManagers: new Map(),
    configurations: new Map(),
    collections: new Map(),
    rules: new Map(),
    groups: new Map(),
    staticMembers: new Map(),
    deployments: [],
    active: [],
    effective: new Map(),
  };
  const groupsOfMember = new Map<string, Set<string>>();
  const subnetGroups = subnetGroupKeys(state);
  for (const member of state.staticMembers.values()) {
    // Security admin rules apply to virtual networks: a subnet member carries none (subnetGroupWarnings).
    if (subnetGroups.has(member.group.key) || kindOfId(member.member.key) === 'subnet') continue;
    const set = groupsOfMember.get(member.member.key) ?? new Set<string>();
    set.add(member.group.key);
    groupsOfMember.set(member.member.key, set);
  }
  const rulesOfCollection = new Map<string, AdminRuleResource[]>();
  for (const rule of state.rules.values()) rulesOfCollection.set(rule.collection.key, [...(rulesOfCollection.get(rule.collection.key) ?? []), rule]);
  const collectionsOfConfiguration = new Map<string, AdminRuleCollection[]>();
  for (const collection of state.collections.values()) {
    collectionsOfConfiguration.set(collection.configuration.key, [...(collectionsOfConfiguration.get(collection.configuration.key) ?? []), collection]);
  }
  const adminDeployments = state.deployments.filter((d) => d.deploymentType.toLowerCase() === 'adminpolicy');
  const managers = new Set<string>([
    ...state.networkManagers.keys(),
    ...[...state.configurations.values()].map((c) => c.networkManager.key),
    ...adminDeployments.flatMap((d) => (d.networkManager ? [d.networkManager.key] : [])),
  ]);
  const activeByManager = new Map<string, ActiveAdminRules[]>();
  for (const entry of state.active) {
    const manager = managerOfKey(entry.rule.key);
    if (manager !== undefined) activeByManager.set(manager, [...(activeByManager.get(manager) ?? []), entry]);
  }
  for (const manager of activeByManager.keys()) managers.add(manager);

  const memo = new Map<string, NetworkAdminRules>();
  const compute = (network: VirtualNetwork | undefined, key: string): NetworkAdminRules => {
    const name = network?.name ?? nameOfId(key);
    const listed = state.effective.get(key);
    if (listed) {
      const notes = listed.rules.length > 0 ? [`the security admin rules of virtual network ${name} are its effective security admin rules list`] : [];
      const unknown = listed.truncated ? [`the effective security admin rules list of virtual network ${name} carries a skipToken: its later pages are not in the input`] : [];
      return { rules: listed.rules.map((r) => appliedRule(r.id, r.ruleKind, r.raw)), notes, unknown };
    }
    const groups = groupsOfMember.get(key) ?? new Set<string>();
    const region = network?.location;
    const rules: AppliedAdminRule[] = [];
    const notes = new Set<string>();
    const unknown = new Set<string>();
    let fromExports = false;
    for (const manager of managers) {
      const managerName = nameOfId(manager);
      const memberOfManager = [...groups].some((g) => g.startsWith(`${manager}/networkgroups/`));
      const active = activeByManager.get(manager);
      const deployments = adminDeployments.filter((d) => d.networkManager?.key === manager);
      if (region === undefined) {
        if (memberOfManager) unknown.add(`the region of virtual network ${name} is not in the input: which security admin rules of network manager ${managerName} are committed there is not known`);
        continue;
      }
      if (active) {
        // The active list of a manager is what is committed to each region: it decides the manager's part.
        for (const entry of active) {
          if (entry.region !== region) continue;
          const hit = entry.rule.appliesToGroups.some((g) => groups.has(g.key));
          if (hit) rules.push(appliedRule(entry.rule.id, entry.rule.ruleKind, entry.rule.raw));
          else dynamicNote(notes, name, entry.rule.appliesToGroups);
        }
        notes.add(`security admin rules of network manager ${managerName} in ${region}: its active security admin rules list`);
        continue;
      }
      const here = deployments.filter((d) => d.region === region);
      const committed = new Set(here.filter((d) => !/^(failed|notstarted)$/i.test(d.deploymentStatus ?? '')).flatMap((d) => d.configurations));
      for (const d of here) {
        if (/^deploying$/i.test(d.deploymentStatus ?? '')) notes.add(`the security admin deployment of network manager ${managerName} to ${region} is Deploying: judged as committed`);
        if (/^(failed|notstarted)$/i.test(d.deploymentStatus ?? '')) notes.add(`the security admin deployment of network manager ${managerName} to ${region} is ${d.deploymentStatus ?? ''}: judged as not committed`);
      }
      for (const configuration of state.configurations.values()) {
        if (configuration.networkManager.key !== manager) continue;
        const collections = collectionsOfConfiguration.get(configuration.key) ?? [];
        const applying = collections.filter((c) => c.appliesToGroups.some((g) => groups.has(g.key)));
        if (deployments.length === 0) {
          // Nothing says what is committed where: a configuration that names a group of this network may apply or not.
          if (applying.length > 0) unknown.add(`whether security admin configuration ${configuration.name} of network manager ${managerName} is committed to ${region} is not known (no deployment status in the input)`);
          continue;
        }
        if (!committed.has(configuration.key)) continue;
        for (const collection of collections) {
          if (!collection.appliesToGroups.some((g) => groups.has(g.key))) {
            dynamicNote(notes, name, collection.appliesToGroups);
            continue;
          }
          const own = rulesOfCollection.get(collection.key) ?? [];
          for (const rule of own) rules.push(appliedRule(rule.id, rule.ruleKind, rule.raw));
          fromExports = true;
        }
      }
      for (const id of committed) {
        if (memberOfManager && !state.configurations.has(id)) unknown.add(`security admin configuration ${nameOfId(id)}, committed to ${region} by network manager ${managerName}, is not in the input`);
      }
    }
    // What failed validation among the manager's resources: the rules that apply may be missing some.
    for (const bad of invalidAdmin) {
      const manager = managerOfKey(bad.key);
      const touches = bad.references.includes(key) || (manager !== undefined && ([...groups].some((g) => g.startsWith(`${manager}/`)) || adminDeployments.some((d) => d.networkManager?.key === manager && d.region === region)));
      if (touches) unknown.add(`${bad.kind} ${nameOfId(bad.key)} failed validation`);
    }
    // A rule edited since the last commit is not in effect yet; the export cannot tell.
    if (fromExports) notes.add('security admin rules are taken as committed in the form the input holds them');
    return { rules, notes: [...notes], unknown: [...unknown] };
  };
  return (network, key) => {
    let entry = memo.get(key);
    if (!entry) {
      entry = compute(network, key);
      memo.set(key, entry);
    }
    return entry;
  };
}

/** Network groups whose member type is Subnet. */
function subnetGroupKeys(state: Pick<SecurityAdminEstate, 'groups'>): Set<string> {
  return new Set([...state.groups.values()].filter((g) => g.memberType?.toLowerCase() === 'subnet').map((g) => g.key));
}

const VNET_LEVEL = 'security admin rules apply to virtual networks only (https://learn.microsoft.com/azure/virtual-network-manager/concept-security-admins)';

/**
 * Network groups of subnets where security admin rules would need virtual networks: security admin
 * rules are applied at the virtual network level, and the groups they target consist of virtual
 * networks (https://learn.microsoft.com/azure/virtual-network-manager/concept-security-admins;
 * groups of subnets serve routing configurations,
 * https://learn.microsoft.com/azure/virtual-network-manager/concept-user-defined-route). A rule
 * collection naming a `memberType: Subnet` group, and a static member that is a subnet, are
 * rejected with a warning naming the group and the field, and carry no admin rules.
 */
export function subnetGroupWarnings(estate: Estate): ResourceError[] {
  const state = estate.securityAdmin;
  if (!state) return [];
  const subnetGroups = subnetGroupKeys(state);
  const out: ResourceError[] = [];
  for (const collection of state.collections.values()) {
    collection.appliesToGroups.forEach((group, i) => {
      if (!subnetGroups.has(group.key)) return;
      out.push({
        resourceId: collection.id,
        field: `appliesToGroups[${i}].networkGroupId`,
        message: `rule collection ${collection.name} applies to network group ${nameOfId(group.id)}, whose memberType is Subnet: ${VNET_LEVEL}, so its admin rules are not applied through that group`,
      });
    });
  }
  for (const member of state.staticMembers.values()) {
    const subnet = kindOfId(member.member.key) === 'subnet';
    if (!subnet && !subnetGroups.has(member.group.key)) continue;
    out.push({
      resourceId: member.id,
      field: 'resourceId',
      message: `network group ${nameOfId(member.group.id)} has ${subnet ? `subnet ${boundedText(member.member.id)}` : `member ${boundedText(member.member.id)} in a group whose memberType is Subnet`} as a static member: ${VNET_LEVEL}, so this membership carries none`,
    });
  }
  return out;
}

function dynamicNote(notes: Set<string>, network: string, groups: readonly ArmReference[]): void {
  for (const group of groups) {
    notes.add(`virtual network ${network} is not a static member of network group ${nameOfId(group.id)}; membership through Azure Policy (dynamic) cannot be read offline, so it is judged as not a member`);
  }
}
