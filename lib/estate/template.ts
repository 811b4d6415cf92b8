/**
 * ARM templates → estate resources. A template's Microsoft.Network resources become ARM REST
 * shaped resources with ids in a placeholder subscription and a resource group named after the
 * template. Expressions are resolved where literal (template-expression.ts); an expression that
 * cannot be resolved in a field the estate reads is reported (template, resource, field) and its
 * resource left out — never guessed. Unresolvable fields the estate does not read (location,
 * tags, public IPs, ...) are dropped silently. `dependsOn` is ignored; nested `resources` are
 * read as the child resources they declare.
 */
import type { ResourceError } from '../nsg/index.js';
import { estateKindOfType } from './kinds.js';
import type { EstateDocument } from './load.js';
import { isObject, type JsonObject } from './shape.js';
import {
  evaluateExpression,
  firstUnresolved,
  isExpression,
  isUnresolved,
  unresolved,
  type ExpressionScope,
} from './template-expression.js';

export interface UnresolvedExpression {
  template: string;
  /** The resource as the template names it (its `name` expression when that did not resolve). */
  resource: string;
  /** Path within the resource, e.g. `properties.securityRules[0].properties.sourceAddressPrefix`. */
  field: string;
  expression: string;
  reason: string;
}

export interface TemplateResult {
  label: string;
  /** Estate resources in ARM REST shape. */
  resources: JsonObject[];
  unresolved: UnresolvedExpression[];
  /** Resources deliberately not read (a false condition, a nested deployment), with why. */
  skipped: { resource: string; reason: string }[];
}

export interface TemplateOptions {
  /** Names the template in reports and becomes the resource group of its resources' ids. */
  label: string;
  /** A parameters file (`{ parameters: { name: { value } } }`); its values win over defaults. */
  parameters?: unknown;
  subscriptionId?: string;
  resourceGroup?: string;
}

/** The subscription template resources are placed in (a template names none). */
export const TEMPLATE_SUBSCRIPTION_ID = '00000000-0000-0000-0000-000000000000';

/** Keys the estate reads; an unresolved value anywhere else cannot change a verdict. */
const READ_KEYS = new Set(
  [
    'name',
    'type',
    'id',
    'properties',
    'addressSpace',
    'addressPrefixes',
    'addressPrefix',
    'subnets',
    'virtualNetworkPeerings',
    'networkSecurityGroup',
    'natGateway',
    'ipConfigurations',
    'securityRules',
    'defaultSecurityRules',
    'peeringState',
    'remoteVirtualNetwork',
    'remoteAddressSpace',
    'privateIPAddress',
    'privateIPAddresses',
    'privateIPAddressVersion',
    'subnet',
    'applicationSecurityGroups',
    'protocol',
    'sourcePortRange',
    'sourcePortRanges',
    'destinationPortRange',
    'destinationPortRanges',
    'sourceAddressPrefix',
    'sourceAddressPrefixes',
    'destinationAddressPrefix',
    'destinationAddressPrefixes',
    'sourceApplicationSecurityGroups',
    'destinationApplicationSecurityGroups',
    'access',
    'priority',
    'direction',
    // The services that own or use a subnet (application gateways, API Management, Entra Domain
    // Services, AKS) and a subnet's delegations and links.
    'gatewayIPConfigurations',
    'frontendIPConfigurations',
    'frontendPorts',
    'port',
    'httpListeners',
    'listeners',
    'frontendPort',
    'frontendIPConfiguration',
    'delegations',
    'serviceName',
    'serviceAssociationLinks',
    'resourceNavigationLinks',
    'linkedResourceType',
    'virtualNetworkConfiguration',
    'subnetResourceId',
    'virtualNetworkType',
    'subnetId',
    'replicaSets',
    'agentPoolProfiles',
    'vnetSubnetID',
    'nodeResourceGroup',
  ].map((k) => k.toLowerCase()),
);

type Path = readonly (string | number)[];

export function resourcesFromTemplate(template: unknown, options: TemplateOptions): TemplateResult {
  const result: TemplateResult = { label: options.label, resources: [], unresolved: [], skipped: [] };
  if (!isObject(template) || !Array.isArray(template['resources'])) {
    result.skipped.push({ resource: '(template)', reason: 'not an ARM template: no resources array' });
    return result;
  }
  const context = templateContext(template, options);
  const walk = (declared: unknown, parent: { type: string; name: string } | undefined, loops: Loops) => {
    if (!isObject(declared)) return;
    for (const instance of copies(declared, context, loops, result)) {
      const resource = readResource(declared, parent, instance, context, result);
      if (resource && Array.isArray(declared['resources'])) {
        for (const child of declared['resources']) walk(child, resource, instance);
      }
    }
  };
  for (const declared of template['resources']) walk(declared, undefined, new Map());
  connectPeeringPairs(result.resources);
  return result;
}

/** The resources as an estate document (`source` names the template). */
export function templateDocument(result: TemplateResult): EstateDocument {
  return { source: `template ${result.label}`, json: result.resources };
}

/** Unresolved expressions as resource errors, for reports that list errors by resource. */
export function unresolvedErrors(result: TemplateResult): ResourceError[] {
  return result.unresolved.map((u) => ({
    resourceId: `${u.template}: ${u.resource}`,
    field: u.field,
    message: `${u.field} = "${u.expression}" cannot be resolved offline (${u.reason}); the resource was not read`,
  }));
}

/** Copy loop name → index; '' holds the innermost loop for copyIndex() without a name. */
type Loops = ReadonlyMap<string, number>;

interface TemplateContext {
  label: string;
  subscriptionId: string;
  resourceGroup: string;
  scope(loops: Loops): ExpressionScope;
}

function templateContext(template: JsonObject, options: TemplateOptions): TemplateContext {
  const declaredParameters = isObject(template['parameters']) ? template['parameters'] : {};
  const declaredVariables = isObject(template['variables']) ? template['variables'] : {};
  const fileParameters = parameterValues(options.parameters);
  const subscriptionId = options.subscriptionId ?? TEMPLATE_SUBSCRIPTION_ID;
  const resourceGroup = options.resourceGroup ?? options.label;
  const parameterCache = new Map<string, unknown>();
  const variableCache = new Map<string, unknown>();
  const resolving = new Set<string>();

  const base: Omit<ExpressionScope, 'copyIndex'> = {
    subscriptionId,
    resourceGroup,
    parameter(name) {
      const key = name.toLowerCase();
      if (parameterCache.has(key)) return parameterCache.get(key);
      let value: unknown;
      const fromFile = lookup(fileParameters, name);
      const declared = lookup(declaredParameters, name);
      if (fromFile.found && isObject(fromFile.value) && 'value' in fromFile.value) {
        value = fromFile.value['value'];
      } else if (!declared.found) {
        value = unresolved(`parameter '${name}' is not declared`);
      } else if (isObject(declared.value) && 'defaultValue' in declared.value) {
        const defaultValue = declared.value['defaultValue'];
        value = guarded(`parameter ${key}`, () => resolveDeep(defaultValue, noLoops));
      } else {
        value = unresolved(`parameter '${name}' has no default value and no value in the parameters file`);
      }
      parameterCache.set(key, value);
      return value;
    },
    variable(name) {
      const key = name.toLowerCase();
      if (variableCache.has(key)) return variableCache.get(key);
      const declared = lookup(declaredVariables, name);
      const value = declared.found
        ? guarded(`variable ${key}`, () => resolveDeep(declared.value, noLoops))
        : unresolved(`variable '${name}' is not declared`);
      variableCache.set(key, value);
      return value;
    },
  };
  const guarded = (what: string, compute: () => unknown): unknown => {
    if (resolving.has(what)) return unresolved(`${what} refers to itself`);
    resolving.add(what);
    try {
      return compute();
    } finally {
      resolving.delete(what);
    }
  };
  const scope = (loops: Loops): ExpressionScope => ({
    ...base,
    copyIndex: (loop) => loops.get(loop === undefined ? '' : loop.toLowerCase()),
  });
  const noLoops: ExpressionScope = scope(new Map());
  // Values in parameters and variables resolve everywhere they can; copy blocks in them are not supported.
  const resolveDeep = (value: unknown, s: ExpressionScope): unknown => {
    if (typeof value === 'string') return resolveString(value, s);
    if (Array.isArray(value)) return value.map((v) => resolveDeep(v, s));
    if (isObject(value)) {
      const out: JsonObject = {};
      for (const [k, v] of Object.entries(value)) out[k] = k === 'copy' ? unresolved('copy in a variable') : resolveDeep(v, s);
      return out;
    }
    return value;
  };
  return { label: options.label, subscriptionId, resourceGroup, scope };
}

function resolveString(text: string, scope: ExpressionScope): unknown {
  if (text.startsWith('[[')) return text.slice(1);
  return isExpression(text) ? evaluateExpression(text, scope) : text;
}

function parameterValues(file: unknown): JsonObject {
  if (!isObject(file)) return {};
  const inner = file['parameters'];
  return isObject(inner) ? inner : file;
}

function lookup(object: JsonObject, name: string): { found: true; value: unknown } | { found: false } {
  const key = Object.keys(object).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? { found: false } : { found: true, value: object[key] };
}

/** The instances of a resource: one per copy index, or a single one. */
function copies(declared: JsonObject, context: TemplateContext, outer: Loops, result: TemplateResult): Loops[] {
  const copy = declared['copy'];
  if (!isObject(copy)) return [outer];
  const name = typeof copy['name'] === 'string' ? copy['name'].toLowerCase() : '';
  const count = resolveString(String(copy['count'] ?? ''), context.scope(outer));
  const resolvedCount = typeof copy['count'] === 'number' ? copy['count'] : count;
  if (typeof resolvedCount !== 'number' || !Number.isInteger(resolvedCount) || resolvedCount < 0) {
    result.unresolved.push({
      template: context.label,
      resource: String(declared['name'] ?? '(unnamed)'),
      field: 'copy.count',
      expression: String(copy['count'] ?? ''),
      reason: isUnresolved(count) ? count.reason : 'not a whole number',
    });
    return [];
  }
  return Array.from({ length: resolvedCount }, (_, i) => new Map([...outer, [name, i], ['', i]]));
}

function readResource(
  declared: JsonObject,
  parent: { type: string; name: string } | undefined,
  loops: Loops,
  context: TemplateContext,
  result: TemplateResult,
): { type: string; name: string } | undefined {
  const scope = context.scope(loops);
  const label = String(declared['name'] ?? '(unnamed)');
  const report = (field: string, expression: unknown, reason: string) =>
    result.unresolved.push({ template: context.label, resource: label, field, expression: String(expression), reason });

  const typeValue = resolveString(String(declared['type'] ?? ''), scope);
  const nameValue = resolveString(String(declared['name'] ?? ''), scope);
  if (typeof typeValue !== 'string' || typeValue === '') {
    report('type', declared['type'], isUnresolved(typeValue) ? typeValue.reason : 'no type');
    return undefined;
  }
  const type = parent && !typeValue.includes('.') ? `${parent.type}/${typeValue}` : typeValue;
  if (typeof nameValue !== 'string' || nameValue === '') {
    if (estateKindOfType(type) !== undefined) report('name', declared['name'], isUnresolved(nameValue) ? nameValue.reason : 'no name');
    return undefined;
  }
  const name = parent && !nameValue.includes('/') ? `${parent.name}/${nameValue}` : nameValue;

  if (type.toLowerCase() === 'microsoft.resources/deployments') {
    result.skipped.push({ resource: `${type} ${name}`, reason: 'nested and linked deployments are not followed' });
    return undefined;
  }
  // Other resource types cannot change a verdict: their conditions and properties are not read.
  if (estateKindOfType(type) === undefined) return { type, name };
  if ('condition' in declared) {
    const condition = typeof declared['condition'] === 'boolean' ? declared['condition'] : resolveString(String(declared['condition']), scope);
    if (condition === false) {
      result.skipped.push({ resource: `${type} ${name}`, reason: `condition ${String(declared['condition'])} is false` });
      return undefined;
    }
    if (condition !== true) {
      report('condition', declared['condition'], isUnresolved(condition) ? condition.reason : 'not a boolean');
      return undefined;
    }
  }

  const id = templateId(context, type, name);
  if (id === undefined) {
    report('name', declared['name'], `name '${name}' does not fit type ${type}`);
    return undefined;
  }
  const problems: { field: string; expression: string; reason: string }[] = [];
  const properties = resolveTree(declared['properties'] ?? {}, ['properties'], scope, context, problems);
  const tags = resolveTree(declared['tags'] ?? {}, ['tags'], scope, context, []);
  if (problems.length > 0) {
    for (const p of problems) report(p.field, p.expression, p.reason);
    return { type, name };
  }
  const resource: JsonObject = { id, name: name.split('/').pop() ?? name, type, properties };
  if (isObject(tags) && Object.keys(tags).length > 0) resource['tags'] = tags;
  result.resources.push(resource);
  return { type, name };
}

/** `/subscriptions/S/resourceGroups/G/providers/NS/t1/n1/t2/n2` from a template type and name. */
function templateId(context: TemplateContext, type: string, name: string): string | undefined {
  const [namespace, ...types] = type.split('/');
  const names = name.split('/');
  if (!namespace || types.length !== names.length || names.some((n) => n === '')) return undefined;
  const path = types.flatMap((t, i) => [t, names[i] ?? '']).join('/');
  return `/subscriptions/${context.subscriptionId}/resourceGroups/${context.resourceGroup}/providers/${namespace}/${path}`;
}

/**
 * Resolves a value tree with property copy loops (`copy: [{ name, count, input }]`). Unresolved
 * values under keys the estate reads are collected in `problems`; others are dropped.
 */
function resolveTree(
  value: unknown,
  path: Path,
  scope: ExpressionScope,
  context: TemplateContext,
  problems: { field: string; expression: string; reason: string }[],
  loops: Loops = new Map(),
): unknown {
  const here = context.scope(loops);
  const local = loops.size === 0 ? scope : mergeScopes(scope, here);
  if (typeof value === 'string') {
    const resolved = resolveString(value, local);
    const blocked = firstUnresolved(resolved);
    if (!blocked) return resolved;
    if (isRead(path)) problems.push({ field: formatPath(path), expression: value, reason: blocked.reason });
    return undefined;
  }
  if (Array.isArray(value)) {
    return value.map((v, i) => resolveTree(v, [...path, i], scope, context, problems, loops)).filter((v) => v !== undefined);
  }
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === 'copy' && Array.isArray(inner)) {
      for (const loop of inner) {
        if (!isObject(loop) || typeof loop['name'] !== 'string') continue;
        const loopName = loop['name'];
        const count = typeof loop['count'] === 'number' ? loop['count'] : resolveString(String(loop['count'] ?? ''), local);
        if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
          if (isRead([...path, loopName])) {
            problems.push({
              field: `${formatPath([...path, loopName])} (copy count)`,
              expression: String(loop['count'] ?? ''),
              reason: isUnresolved(count) ? count.reason : 'not a whole number',
            });
          }
          continue;
        }
        out[loopName] = Array.from({ length: count }, (_, i) =>
          resolveTree(loop['input'], [...path, loopName, i], scope, context, problems, new Map([...loops, [loopName.toLowerCase(), i]])),
        );
      }
      continue;
    }
    const resolved = resolveTree(inner, [...path, key], scope, context, problems, loops);
    if (resolved !== undefined) out[key] = resolved;
  }
  return out;
}

/** Property loops see their own index by name and the resource's loops by theirs. */
function mergeScopes(outer: ExpressionScope, inner: ExpressionScope): ExpressionScope {
  return { ...outer, copyIndex: (loop) => (loop === undefined ? outer.copyIndex(undefined) : (inner.copyIndex(loop) ?? outer.copyIndex(loop))) };
}

function isRead(path: Path): boolean {
  return path.every((p) => typeof p === 'number' || READ_KEYS.has(p.toLowerCase()));
}

function formatPath(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/**
 * Azure connects a peering once both directions exist; a template that declares both sides
 * deploys a Connected pair, one side alone stays Initiated.
 */
function connectPeeringPairs(resources: JsonObject[]): void {
  const peerings: { vnet: string; remote: string; properties: JsonObject }[] = [];
  const vnetOf = (peeringId: string) => peeringId.split('/').slice(0, -2).join('/').toLowerCase();
  const remoteOf = (properties: JsonObject) => {
    const remote = properties['remoteVirtualNetwork'];
    return isObject(remote) && typeof remote['id'] === 'string' ? remote['id'].toLowerCase() : undefined;
  };
  for (const resource of resources) {
    const type = String(resource['type']).toLowerCase();
    const properties = isObject(resource['properties']) ? resource['properties'] : undefined;
    if (!properties) continue;
    if (type === 'microsoft.network/virtualnetworks/virtualnetworkpeerings') {
      const remote = remoteOf(properties);
      if (remote) peerings.push({ vnet: vnetOf(String(resource['id'])), remote, properties });
    } else if (type === 'microsoft.network/virtualnetworks' && Array.isArray(properties['virtualNetworkPeerings'])) {
      for (const inline of properties['virtualNetworkPeerings']) {
        const inner = isObject(inline) && isObject(inline['properties']) ? inline['properties'] : undefined;
        const remote = inner && remoteOf(inner);
        if (inner && remote) peerings.push({ vnet: String(resource['id']).toLowerCase(), remote, properties: inner });
      }
    }
  }
  for (const p of peerings) {
    if (p.properties['peeringState'] !== undefined) continue;
    const paired = peerings.some((q) => q.vnet === p.remote && q.remote === p.vnet);
    p.properties['peeringState'] = paired ? 'Connected' : 'Initiated';
  }
}
