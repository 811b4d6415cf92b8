/**
 * Builds an Estate from parsed JSON documents of any accepted shape, mixed freely.
 *
 * Merging is deterministic: every record gets a sequence number in input order and the later
 * record of the same resource wins. Children (subnets, peerings, security rules, NIC IP
 * configurations) are merged by id across inline lists and standalone child resources, later
 * winning; a child older than a parent snapshot that lists its children inline, and does not
 * list that child, was deleted since and is dropped.
 */
import { boundedText } from '../nsg/describe-value.js';
import { assertNever, type ResourceError } from '../nsg/index.js';
import { addressProblem, prefixProblem } from './addresses.js';
import { armTypeOf, childId, kindOfId, nameOfId, normalizeId, parentId, parseResourceId, topLevelId, type ResourceKind } from '../arm/index.js';
import { isSecurityAdminKind, type EstateKind } from './kinds.js';
import type {
  ApplicationSecurityGroup,
  ArmReference,
  EffectiveRouteTable,
  BastionHost,
  Estate,
  InvalidResource,
  NatGateway,
  NetworkInterface,
  NetworkSecurityGroup,
  NicIpConfiguration,
  Origin,
  GatewayConnection,
  LocalNetworkGateway,
  PrivateEndpoint,
  PrivateEndpointNetworkPolicies,
  Route,
  RouteTable,
  VirtualNetworkGateway,
  LoadBalancer,
  PublicIpAddress,
  ScaleSet,
  ApplicationGateway,
  ApiManagementService,
  DomainService,
  ManagedCluster,
  SubnetLink,
  SourceSummary,
  Subnet,
  VirtualNetwork,
  VirtualNetworkPeering,
} from './model.js';
import { flatten, isObject, scanDocument, type JsonObject } from './shape.js';
import { readLoadBalancer, readPublicIp, readScaleSet, type FieldReader } from './load-paths.js';
import {
  readApiManagementService,
  readApplicationGateway,
  readDelegations,
  readDomainService,
  readManagedCluster,
  readSubnetLinks,
  subnetLink,
} from './load-services.js';
import { readAdminLists, readSecurityAdminResource, securityAdminEstate, type SecurityAdminParts } from './security-admin.js';

/** One parsed input: `source` names it in reports (a file path, a URL, `template:...`). */
export interface EstateDocument {
  source: string;
  json: unknown;
}

/** A field that failed validation: the resource is reported and left out. */
class InvalidField extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

interface Child<T> {
  key: string;
  parentKey: string;
  parentId: string;
  sequence: number;
  source: string;
  /** undefined: the child failed validation in this snapshot (a tombstone over older copies). */
  value: T | undefined;
  /** For a tombstone: what failed, for whatever depends on it. */
  invalid?: InvalidResource;
}

/** A parent snapshot: when it lists children inline, those are all the children it had. */
interface ParentSnapshot {
  sequence: number;
  inlineChildren: Set<string> | undefined;
}

interface PendingNsg {
  nsg: NetworkSecurityGroup;
  rules: ParentSnapshot;
  defaultRules: ParentSnapshot;
}

interface PendingNic {
  nic: NetworkInterface;
  ipConfigurations: ParentSnapshot;
}

interface PendingVnet {
  vnet: VirtualNetwork;
  subnets: ParentSnapshot;
  peerings: ParentSnapshot;
}

interface Builder {
  errors: ResourceError[];
  /** Top-level records that failed validation, by key (a later valid copy clears them in finish). */
  invalid: Map<string, InvalidResource>;
  vnets: Map<string, PendingVnet>;
  nsgs: Map<string, PendingNsg>;
  nics: Map<string, PendingNic>;
  natGateways: Map<string, NatGateway>;
  bastionHosts: Map<string, BastionHost>;
  asgs: Map<string, ApplicationSecurityGroup>;
  privateEndpoints: Map<string, PrivateEndpoint>;
  routeTables: Map<string, { table: RouteTable; routes: ParentSnapshot }>;
  routes: Child<Route>[];
  gateways: Map<string, VirtualNetworkGateway>;
  connections: Map<string, GatewayConnection>;
  localGateways: Map<string, LocalNetworkGateway>;
  scaleSets: Map<string, ScaleSet>;
  publicIps: Map<string, PublicIpAddress>;
  loadBalancers: Map<string, LoadBalancer>;
  effectiveRoutes: Map<string, EffectiveRouteTable>;
  /** Standalone parts of load balancers, merged into their parent at the end. */
  loadBalancerParts: LoadBalancerPartRecord[];
  /** Load balancer key → the part lists its record held inline (what it says it has). */
  loadBalancerInline: Map<string, Set<LoadBalancerSegment>>;
  applicationGateways: Map<string, ApplicationGateway>;
  apiManagementServices: Map<string, ApiManagementService>;
  domainServices: Map<string, DomainService>;
  managedClusters: Map<string, ManagedCluster>;
  /** Links read as resources of their own: later copies of the same link win. */
  subnetLinks: Map<string, { subnetKey: string; link: SubnetLink }>;
  subnets: Child<Subnet>[];
  peerings: Child<VirtualNetworkPeering>[];
  rules: Child<JsonObject>[];
  defaultRules: Child<JsonObject>[];
  ipConfigurations: Child<NicIpConfiguration>[];
  securityAdmin: SecurityAdminParts;
}

export function loadEstate(documents: readonly EstateDocument[]): Estate {
  const loader = createEstateLoader();
  for (const document of documents) loader.add(document);
  return loader.last();
}

/**
 * An estate built up document by document: `estate()` gives at any point what `loadEstate` gives
 * for the documents added so far, and adding more leaves the estates already given as they were.
 * Each resource is read once however many estates are taken along the way (a targeted read takes
 * one per round, lib/pipeline/targeted.ts).
 */
export interface EstateLoader {
  add(document: EstateDocument): void;
  estate(): Estate;
  /**
   * The estate, assembled from the builder's own records: nothing may be added after it. A whole
   * inventory's records are not copied for an estate no later one will follow (the sweep's peak
   * memory).
   */
  last(): Estate;
}

export function createEstateLoader(): EstateLoader {
  const builder = emptyBuilder();
  const sources: SourceSummary[] = [];
  let sequence = 0;
  let done = false;
  return {
    add(document) {
      if (done) throw new Error('the estate was already taken as the last one');
      // Lists whose subject is outside their body (deployment status, effective admin rules) first.
      const lists = readAdminLists(document.json, document.source, sequence + 1);
      builder.errors.push(...lists.errors);
      builder.securityAdmin.deployments.push(...lists.deployments);
      builder.securityAdmin.effective.push(...lists.effective);
      builder.securityAdmin.active.push(...lists.active);
      const scan = scanDocument(document.json, lists.taken);
      const summary: SourceSummary = {
        source: document.source,
        resources: scan.resources.length,
        byKind: {},
        ignoredTypes: {},
        nextLinks: scan.nextLinks,
        emptyLists: scan.emptyLists,
      };
      sources.push(summary);
      for (const found of scan.resources) {
        sequence += 1;
        if (found.kind === undefined) {
          const type = found.type.toLowerCase();
          summary.ignoredTypes[type] = (summary.ignoredTypes[type] ?? 0) + 1;
          continue;
        }
        summary.byKind[found.kind] = (summary.byKind[found.kind] ?? 0) + 1;
        addRecord(builder, found.raw, found.kind, { source: document.source, sequence });
      }
    },
    estate: () => finish(builder, sources, false),
    last() {
      done = true;
      return finish(builder, sources, true);
    },
  };
}

function emptyBuilder(): Builder {
  return {
    errors: [],
    invalid: new Map(),
    vnets: new Map(),
    nsgs: new Map(),
    nics: new Map(),
    natGateways: new Map(),
    bastionHosts: new Map(),
    asgs: new Map(),
    privateEndpoints: new Map(),
    routeTables: new Map(),
    routes: [],
    gateways: new Map(),
    connections: new Map(),
    localGateways: new Map(),
    scaleSets: new Map(),
    publicIps: new Map(),
    loadBalancers: new Map(),
    effectiveRoutes: new Map(),
    loadBalancerParts: [],
    loadBalancerInline: new Map(),
    applicationGateways: new Map(),
    apiManagementServices: new Map(),
    domainServices: new Map(),
    managedClusters: new Map(),
    subnetLinks: new Map(),
    subnets: [],
    peerings: [],
    rules: [],
    defaultRules: [],
    ipConfigurations: [],
    securityAdmin: { resources: [], deployments: [], effective: [], active: [] },
  };
}

function addRecord(builder: Builder, raw: JsonObject, kind: EstateKind, origin: Origin): void {
  if (kind === 'networkInterfaceEffectiveRouteTable') return addEffectiveRoutes(builder, raw, origin);
  const id = raw['id'];
  const name = typeof raw['name'] === 'string' ? raw['name'] : undefined;
  if (typeof id !== 'string' || id.trim() === '') {
    const label = name ?? `(unnamed ${armTypeOf(kind)})`;
    report(builder, label, 'id', `has no id (in ${origin.source})`);
    markInvalid(builder, `${label.toLowerCase()}#${origin.sequence}`, kind, undefined, raw);
    return;
  }
  // The type decides the kind; an id of another known kind contradicts it. (Ids whose type
  // segment is merely misspelled, as in some published REST examples, keep the type's kind.)
  const idKind = kindOfId(id);
  if (!parseResourceId(id) || (idKind !== undefined && idKind !== kind && !sameResource(kind, idKind))) {
    const what = idKind === undefined ? 'is not an ARM resource id' : `is the id of a ${armTypeOf(idKind)}`;
    report(builder, id, 'id', `${what}, but the resource's type is ${armTypeOf(kind)} (in ${origin.source})`);
    markInvalid(builder, normalizeId(id), kind, undefined, raw);
    return;
  }
  try {
    addValid(builder, flatten(raw), id.trim(), idKind !== undefined && sameResource(kind, idKind) ? (idKind as EstateKind) : kind, origin);
  } catch (error) {
    if (!(error instanceof InvalidField)) throw error;
    report(builder, id, error.field, `${error.message} (in ${origin.source})`);
    markInvalid(builder, normalizeId(id), kind, CHILD_KINDS.has(kind) ? parentId(id) : undefined, raw);
    // Its list of subnets or IP configurations cannot be read: which NSGs it names is unknown.
    if (/^(subnets|ipConfigurations)$/.test(error.field)) builder.invalid.get(normalizeId(id))?.nsgReferences.push('*');
  }
}

/**
 * A NIC's effective route list (`{ value: [{ source, state, addressPrefix: [...], nextHopType }] }`,
 * https://learn.microsoft.com/rest/api/virtualnetwork/network-interfaces/get-effective-route-table)
 * with the NIC it is of (`networkInterface.id`), as the live reader hands it over. A route with a
 * bad prefix is reported and left out; the rest stand.
 */
function addEffectiveRoutes(builder: Builder, raw: JsonObject, origin: Origin): void {
  const nicValue = raw['networkInterface'];
  const nicId = isObject(nicValue) ? nicValue['id'] : undefined;
  if (typeof nicId !== 'string' || !parseResourceId(nicId)) {
    report(builder, `(effective routes in ${origin.source})`, 'networkInterface.id', `names no NIC it is of (in ${origin.source})`);
    return;
  }
  const label = `${nicId}/effectiveRouteTable`;
  const value = raw['value'];
  if (!Array.isArray(value)) {
    report(builder, label, 'value', `value is not an array of routes (in ${origin.source})`);
    return;
  }
  const table: EffectiveRouteTable = { networkInterface: ref(nicId), routes: [], source: origin.source };
  value.forEach((item, i) => {
    if (!isObject(item)) return report(builder, label, `value[${i}]`, `route ${i} is not an object (in ${origin.source})`);
    const prefixes = item['addressPrefix'];
    const list = Array.isArray(prefixes) ? prefixes : [];
    if (!Array.isArray(prefixes)) return report(builder, label, `value[${i}].addressPrefix`, `route ${i} has no addressPrefix list (in ${origin.source})`);
    for (const [j, prefix] of list.entries()) {
      const problem = typeof prefix === 'string' ? prefixProblem(prefix) : 'is not a string';
      if (problem !== undefined) return report(builder, label, `value[${i}].addressPrefix[${j}]`, `route ${i}: ${problem} (in ${origin.source})`);
    }
    table.routes.push({
      source: typeof item['source'] === 'string' ? item['source'] : undefined,
      state: typeof item['state'] === 'string' ? item['state'] : undefined,
      addressPrefixes: list as string[],
      nextHopType: typeof item['nextHopType'] === 'string' ? item['nextHopType'] : undefined,
    });
  });
  builder.effectiveRoutes.set(table.networkInterface.key, table);
}

const CHILD_KINDS: ReadonlySet<EstateKind> = new Set<EstateKind>([
  'subnet',
  'virtualNetworkPeering',
  'securityRule',
  'defaultSecurityRule',
  'networkInterfaceIpConfiguration',
]);

const KIND_OF_SEGMENT: Readonly<Record<string, EstateKind>> = {
  subnets: 'subnet',
  virtualNetworkPeerings: 'virtualNetworkPeering',
  ipConfigurations: 'networkInterfaceIpConfiguration',
};

function markInvalid(builder: Builder, key: string, kind: EstateKind, parent: string | undefined, raw: JsonObject): void {
  builder.invalid.set(key, invalidResource(key, kind, parent, raw));
}

function invalidResource(key: string, kind: EstateKind, parent: string | undefined, raw: JsonObject): InvalidResource {
  return { key, kind, parentKey: parent === undefined ? undefined : normalizeId(parent), nsgReferences: nsgReferencesOf(raw), references: idsIn(raw) };
}

const ARM_ID_START = /^\/subscriptions\/[^/]+\/resourcegroups\//i;

/** The ARM ids a value holds, walked to a bounded depth and count (the input is untrusted). */
function idsIn(value: unknown): string[] {
  const found = new Set<string>();
  const walk = (v: unknown, depth: number): void => {
    if (found.size >= 500 || depth > 8) return;
    if (typeof v === 'string') {
      if (v.length <= 2048 && ARM_ID_START.test(v)) found.add(normalizeId(v));
      return;
    }
    if (Array.isArray(v)) {
      for (const item of v.slice(0, 1000)) walk(item, depth + 1);
      return;
    }
    if (isObject(v)) for (const item of Object.values(v).slice(0, 1000)) walk(item, depth + 1);
  };
  walk(value, 0);
  return [...found];
}

/** The NSG a resource that failed validation names, read as far as it can be: `*` when it cannot. */
function nsgReferencesOf(raw: JsonObject): string[] {
  // A properties bag that is not an object hides whatever it held.
  if (raw['properties'] !== undefined && raw['properties'] !== null && !isObject(raw['properties'])) return ['*'];
  let value: unknown;
  try {
    value = flatten(raw)['networkSecurityGroup'];
  } catch {
    return ['*'];
  }
  if (value === undefined || value === null) return [];
  const id = isObject(value) ? value['id'] : value;
  return typeof id === 'string' && parseResourceId(id) ? [normalizeId(id)] : ['*'];
}

/**
 * A scale-set instance's NIC (or its public IP) is a Microsoft.Network resource living under the
 * scale set: `az vmss nic list` gives it `type: Microsoft.Network/networkInterfaces` and an id
 * under `Microsoft.Compute/virtualMachineScaleSets/...`. The id decides.
 */
const SCALE_SET_TWINS: ReadonlyMap<ResourceKind, ResourceKind> = new Map([
  ['scaleSetNetworkInterface', 'networkInterface'],
  ['scaleSetNetworkInterfaceIpConfiguration', 'networkInterfaceIpConfiguration'],
  ['scaleSetPublicIPAddress', 'publicIPAddress'],
]);

function sameResource(typeKind: ResourceKind, idKind: ResourceKind): boolean {
  return SCALE_SET_TWINS.get(idKind) === typeKind;
}

const FIELDS: FieldReader = {
  reference: (flat, field, label) => reference(flat, field, label),
  references: (flat, field, label) => references(flat, field, label),
  fail: (field, message) => {
    throw new InvalidField(field, message);
  },
};

function addValid(builder: Builder, flat: JsonObject, id: string, kind: EstateKind, origin: Origin): void {
  if (isSecurityAdminKind(kind)) {
    builder.securityAdmin.resources.push(readSecurityAdminResource(kind, flat, base(flat, id, origin), flat, FIELDS));
    return;
  }
  switch (kind) {
    case 'virtualNetwork': {
      // Subnets and peerings are resources of their own: a bad one is reported alone.
      const subnets = childItems(flat, 'subnets');
      const peerings = childItems(flat, 'virtualNetworkPeerings');
      const subnetChildren =
        subnets?.map((s, i) => guardedChild(builder, s, id, 'subnets', i, origin, subnetChild)) ?? [];
      const peeringChildren =
        peerings?.map((p, i) => guardedChild(builder, p, id, 'virtualNetworkPeerings', i, origin, peeringChild)) ?? [];
      builder.subnets.push(...subnetChildren);
      builder.peerings.push(...peeringChildren);
      const location = optionalString(flat, 'location');
      const vnet: VirtualNetwork = { ...base(flat, id, origin), kind, addressPrefixes: addressSpace(flat), ...(location ? { location: location.replace(/\s+/g, '').toLowerCase() } : {}) };
      builder.vnets.set(vnet.key, {
        vnet,
        subnets: snapshot(origin, subnets && subnetChildren),
        peerings: snapshot(origin, peerings && peeringChildren),
      });
      return;
    }
    case 'subnet':
      builder.subnets.push(subnetChild(flat, parentOf(id), '', origin, id));
      return;
    case 'virtualNetworkPeering':
      builder.peerings.push(peeringChild(flat, parentOf(id), '', origin, id));
      return;
    case 'networkSecurityGroup': {
      const rules = childArray(flat, 'securityRules');
      const defaults = childArray(flat, 'defaultSecurityRules');
      const ruleChildren = rules?.map((r, i) => ruleChild(r, id, 'securityRules', i, origin)) ?? [];
      const defaultChildren = defaults?.map((r, i) => ruleChild(r, id, 'defaultSecurityRules', i, origin)) ?? [];
      const raw: JsonObject = { ...flat, id, type: armTypeOf('networkSecurityGroup') };
      const nsg: NetworkSecurityGroup = {
        ...base(flat, id, origin),
        kind,
        raw,
        subnets: references(flat, 'subnets'),
        networkInterfaces: references(flat, 'networkInterfaces'),
        partial: false,
      };
      builder.rules.push(...ruleChildren);
      builder.defaultRules.push(...defaultChildren);
      builder.nsgs.set(nsg.key, {
        nsg,
        rules: snapshot(origin, rules && ruleChildren),
        defaultRules: snapshot(origin, defaults && defaultChildren),
      });
      return;
    }
    case 'securityRule':
    case 'defaultSecurityRule': {
      const child = ruleChild(flat, parentOf(id), kind === 'securityRule' ? 'securityRules' : 'defaultSecurityRules', -1, origin);
      (kind === 'securityRule' ? builder.rules : builder.defaultRules).push(child);
      return;
    }
    case 'networkInterface':
    case 'scaleSetNetworkInterface': {
      const configs = childItems(flat, 'ipConfigurations');
      // An IP configuration is a resource of its own: a bad one is reported alone.
      const children =
        configs?.map((c, i) => guardedChild(builder, c, id, 'ipConfigurations', i, origin, ipConfigurationChild)) ?? [];
      const nic: NetworkInterface = {
        ...base(flat, id, origin),
        kind: 'networkInterface',
        networkSecurityGroup: reference(flat, 'networkSecurityGroup'),
        ipConfigurations: [],
        partial: false,
        scaleSet: scaleSetOf(id),
      };
      const endpoint = reference(flat, 'privateEndpoint');
      if (endpoint) nic.privateEndpoint = endpoint;
      builder.ipConfigurations.push(...children);
      builder.nics.set(nic.key, { nic, ipConfigurations: snapshot(origin, configs && children) });
      return;
    }
    case 'networkInterfaceIpConfiguration':
    case 'scaleSetNetworkInterfaceIpConfiguration':
      builder.ipConfigurations.push(ipConfigurationChild(flat, parentOf(id), '', origin, id));
      return;
    case 'natGateway': {
      const nat: NatGateway = { ...base(flat, id, origin), kind, subnets: references(flat, 'subnets') };
      builder.natGateways.set(nat.key, nat);
      return;
    }
    case 'bastionHost': {
      const configs = childArray(flat, 'ipConfigurations') ?? [];
      const subnets = configs.flatMap((c, i) => {
        const ref = reference(flatten(c), 'subnet', `ipConfigurations[${i}].subnet`);
        return ref ? [ref] : [];
      });
      const bastion: BastionHost = { ...base(flat, id, origin), kind, subnets };
      builder.bastionHosts.set(bastion.key, bastion);
      return;
    }
    case 'applicationSecurityGroup': {
      const asg: ApplicationSecurityGroup = { ...base(flat, id, origin), kind };
      builder.asgs.set(asg.key, asg);
      return;
    }
    case 'privateEndpoint': {
      const endpoint: PrivateEndpoint = {
        ...base(flat, id, origin),
        kind,
        subnet: reference(flat, 'subnet'),
        networkInterfaces: references(flat, 'networkInterfaces'),
      };
      builder.privateEndpoints.set(endpoint.key, endpoint);
      return;
    }
    case 'routeTable': {
      const routes = childArray(flat, 'routes');
      const children = routes?.map((r, i) => guardedChild(builder, r, id, 'routes', i, origin, routeChild)) ?? [];
      builder.routes.push(...children);
      const table: RouteTable = { ...base(flat, id, origin), kind, routes: [], subnets: references(flat, 'subnets') };
      builder.routeTables.set(table.key, { table, routes: snapshot(origin, routes && children) });
      return;
    }
    case 'route':
      builder.routes.push(routeChild(flat, parentOf(id), '', origin, id));
      return;
    case 'virtualNetworkGateway': {
      const configs = childArray(flat, 'ipConfigurations') ?? [];
      const subnets = configs.flatMap((c, i) => {
        const ref = reference(flatten(c), 'subnet', `ipConfigurations[${i}].subnet`);
        return ref ? [ref] : [];
      });
      const vnetId = subnets[0] ? parentId(subnets[0].id) : undefined;
      const gateway: VirtualNetworkGateway = {
        ...base(flat, id, origin),
        kind,
        virtualNetwork: vnetId ? ref(vnetId) : undefined,
        gatewayType: optionalString(flat, 'gatewayType'),
        enableBgp: flat['enableBgp'] === true,
      };
      builder.gateways.set(gateway.key, gateway);
      return;
    }
    case 'virtualNetworkGatewayConnection': {
      const connection: GatewayConnection = {
        ...base(flat, id, origin),
        kind,
        connectionType: optionalString(flat, 'connectionType'),
        virtualNetworkGateway1: reference(flat, 'virtualNetworkGateway1'),
        virtualNetworkGateway2: reference(flat, 'virtualNetworkGateway2'),
        localNetworkGateway2: reference(flat, 'localNetworkGateway2'),
        enableBgp: flat['enableBgp'] === true,
        connectionStatus: optionalString(flat, 'connectionStatus'),
      };
      builder.connections.set(connection.key, connection);
      return;
    }
    case 'localNetworkGateway': {
      const local: LocalNetworkGateway = {
        ...base(flat, id, origin),
        kind,
        addressPrefixes: optionalSpace(flat, 'localNetworkAddressSpace', (f) => f) ?? [],
        bgp: isObject(flat['bgpSettings']),
      };
      builder.localGateways.set(local.key, local);
      return;
    }
    case 'virtualMachineScaleSet': {
      const scaleSet = readScaleSet(flat, base(flat, id, origin), FIELDS);
      builder.scaleSets.set(scaleSet.key, scaleSet);
      return;
    }
    case 'publicIPAddress':
    case 'scaleSetPublicIPAddress': {
      const publicIp = readPublicIp(flat, base(flat, id, origin), FIELDS, checkedAddress);
      builder.publicIps.set(publicIp.key, publicIp);
      return;
    }
    case 'loadBalancer': {
      const loadBalancer = readLoadBalancer(flat, base(flat, id, origin), FIELDS);
      builder.loadBalancers.set(loadBalancer.key, loadBalancer);
      builder.loadBalancerInline.set(loadBalancer.key, new Set(LOAD_BALANCER_SEGMENTS.filter((segment) => Array.isArray(flat[segment]))));
      return;
    }
    case 'networkInterfaceEffectiveRouteTable':
      // Read by addRecord: it has no id of its own.
      return;
    case 'loadBalancerFrontendIpConfiguration':
    case 'loadBalancerBackendAddressPool':
    case 'loadBalancingRule':
    case 'inboundNatRule':
    case 'outboundRule': {
      // Read as the parent would hold it inline, so it is validated exactly the same way.
      const segment = LOAD_BALANCER_SEGMENT[kind];
      const parentIdText = parentOf(id);
      let parsed: LoadBalancer;
      try {
        parsed = readLoadBalancer({ [segment]: [{ ...flat, id }] }, base({}, parentIdText, origin), FIELDS);
      } catch (error) {
        // Named as the part's own field, not as the parent's list item it was read as.
        if (error instanceof InvalidField) throw new InvalidField(error.field.replace(/^\w+\[0\]\.?/, '') || 'properties', error.message.replace(/\w+\[0\]\./g, ''));
        throw error;
      }
      builder.loadBalancerParts.push({ parentId: parentIdText, parentKey: normalizeId(parentIdText), segment, parsed, sequence: origin.sequence });
      return;
    }
    case 'applicationGateway': {
      const gateway = readApplicationGateway(flat, base(flat, id, origin), FIELDS);
      builder.applicationGateways.set(gateway.key, gateway);
      return;
    }
    case 'apiManagementService': {
      const service = readApiManagementService(flat, base(flat, id, origin), FIELDS);
      builder.apiManagementServices.set(service.key, service);
      return;
    }
    case 'domainService': {
      const service = readDomainService(flat, base(flat, id, origin), FIELDS);
      builder.domainServices.set(service.key, service);
      return;
    }
    case 'managedCluster': {
      const cluster = readManagedCluster(flat, base(flat, id, origin), FIELDS);
      builder.managedClusters.set(cluster.key, cluster);
      return;
    }
    case 'subnetServiceAssociationLink':
    case 'subnetResourceNavigationLink': {
      const link = subnetLink(flat, kind === 'subnetServiceAssociationLink' ? 'serviceAssociationLink' : 'resourceNavigationLink', id);
      builder.subnetLinks.set(normalizeId(id), { subnetKey: normalizeId(parentOf(id)), link });
      return;
    }
    default:
      return assertNever(kind, 'resource kind');
  }
}

/** Reads one inline child; a failure is reported on the child and leaves a tombstone. */
function guardedChild<T>(
  builder: Builder,
  raw: JsonObject | undefined,
  parent: string,
  segment: string,
  index: number,
  origin: Origin,
  read: (raw: JsonObject, parent: string, field: string, origin: Origin, ownId: string) => Child<T>,
): Child<T> {
  const kind = KIND_OF_SEGMENT[segment] ?? 'subnet';
  if (raw === undefined) {
    // Not even an object: reported on the parent; what it named cannot be read.
    const key = `${normalizeId(parent)}/${segment.toLowerCase()}[${index}]`;
    report(builder, parent, `${segment}[${index}]`, `${segment}[${index}] is not an object (in ${origin.source})`);
    return tombstone(key, parent, origin, { key, kind, parentKey: normalizeId(parent), nsgReferences: ['*'], references: [] });
  }
  // Flattened once: the reader takes it as it takes a standalone child's record.
  const flat = flatten(raw);
  let id: string;
  try {
    id = inlineChildId(flat, parent, segment, `${segment}[${index}]`);
  } catch (error) {
    if (!(error instanceof InvalidField)) throw error;
    // No usable id: reported on the parent, which keeps its other children.
    report(builder, parent, error.field, `${error.message} (in ${origin.source})`);
    const key = `${normalizeId(parent)}/${segment.toLowerCase()}[${index}]`;
    const invalid = invalidResource(key, kind, parent, raw);
    // Nothing at all to read (no properties either): which NSG it had is unknown, not "none".
    if (raw['properties'] === undefined && flat['networkSecurityGroup'] === undefined && Object.keys(raw).length <= 1) invalid.nsgReferences.push('*');
    return tombstone(key, parent, origin, invalid);
  }
  try {
    return read(flat, parent, '', origin, id);
  } catch (error) {
    if (!(error instanceof InvalidField)) throw error;
    report(builder, id, error.field, `${error.message} (in ${origin.source})`);
    return tombstone(normalizeId(id), parent, origin, invalidResource(normalizeId(id), kind, parent, raw));
  }
}

function tombstone<T>(key: string, parent: string, origin: Origin, invalid: InvalidResource): Child<T> {
  return { key, parentKey: normalizeId(parent), parentId: parent, sequence: origin.sequence, source: origin.source, value: undefined, invalid };
}

function snapshot(origin: Origin, children: readonly { key: string }[] | undefined): ParentSnapshot {
  return {
    sequence: origin.sequence,
    inlineChildren: children ? new Set(children.map((c) => c.key)) : undefined,
  };
}

function base(flat: JsonObject, id: string, origin: Origin) {
  const parsed = parseResourceId(id);
  const name = typeof flat['name'] === 'string' && flat['name'] !== '' ? flat['name'] : (parsed?.name ?? id);
  return {
    id,
    key: normalizeId(id),
    name,
    subscriptionId: parsed?.subscriptionId ?? '',
    resourceGroup: parsed?.resourceGroup ?? '',
    tags: tags(flat['tags']),
    origin,
  };
}

function tags(value: unknown): Record<string, string> {
  if (!isObject(value)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** The scale set a scale-set instance's NIC lies under; undefined for a standalone NIC. */
function scaleSetOf(nicId: string): ArmReference | undefined {
  return kindOfId(nicId) === 'scaleSetNetworkInterface' ? ref(topLevelId(nicId)) : undefined;
}

function parentOf(id: string): string {
  const parent = parentId(id);
  if (parent === undefined) throw new InvalidField('id', `'${boundedText(id)}' has no parent resource`);
  return parent;
}

/** An inline child array; undefined when the field is absent (the snapshot says nothing). */
function childArray(flat: JsonObject, field: string): JsonObject[] | undefined {
  const value = flat[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new InvalidField(field, `${field} is not an array`);
  return value.map((item, i) => {
    if (!isObject(item)) throw new InvalidField(`${field}[${i}]`, `${field}[${i}] is not an object`);
    return item;
  });
}

/** Like childArray, but an item that is not an object is undefined (reported alone by guardedChild). */
function childItems(flat: JsonObject, field: string): (JsonObject | undefined)[] | undefined {
  const value = flat[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new InvalidField(field, `${field} is not an array`);
  return value.map((item) => (isObject(item) ? item : undefined));
}

/** The child's id: its own, or parent/segment/name for inline children that carry only a name. */
function inlineChildId(child: JsonObject, parent: string, segment: string, field: string): string {
  const id = child['id'];
  if (typeof id === 'string' && id.trim() !== '') {
    const own = id.trim();
    // A child id is its parent's id plus exactly `/segment/name`.
    const rest = own.slice(parent.length);
    if (own.slice(0, parent.length).toLowerCase() !== parent.toLowerCase() || rest.split('/').length !== 3 || !rest.startsWith('/')) {
      throw new InvalidField(`${field}.id`, `${field}.id '${boundedText(own)}' is not a child of '${boundedText(parent)}'`);
    }
    return own;
  }
  const name = child['name'];
  if (typeof name === 'string' && name !== '') return childId(parent, segment, name);
  throw new InvalidField(field, `${field} has neither an id nor a name`);
}

function subnetChild(raw: JsonObject, vnetId: string, field: string, origin: Origin, ownId?: string): Child<Subnet> {
  const flat = flatten(raw);
  const prefix = (f: string) => (field === '' ? f : `${field}.${f}`);
  const id = ownId ?? inlineChildId(flat, vnetId, 'subnets', field);
  const subnet: Subnet = {
    ...base(flat, id, origin),
    kind: 'subnet',
    virtualNetwork: ref(vnetId),
    addressPrefixes: subnetPrefixes(flat, prefix),
    networkSecurityGroup: reference(flat, 'networkSecurityGroup', prefix('networkSecurityGroup')),
    natGateway: reference(flat, 'natGateway', prefix('natGateway')),
    ipConfigurations: references(flat, 'ipConfigurations', prefix('ipConfigurations')),
  };
  const routeTable = reference(flat, 'routeTable', prefix('routeTable'));
  if (routeTable) subnet.routeTable = routeTable;
  const policies = privateEndpointPolicies(flat['privateEndpointNetworkPolicies'], prefix('privateEndpointNetworkPolicies'));
  if (policies) subnet.privateEndpointNetworkPolicies = policies;
  const delegations = readDelegations(flat, prefix, FIELDS);
  if (delegations) subnet.delegations = delegations;
  const links = readSubnetLinks(flat, prefix, FIELDS);
  if (links) subnet.links = links;
  return { key: subnet.key, parentKey: normalizeId(vnetId), parentId: vnetId, sequence: origin.sequence, source: origin.source, value: subnet };
}

function peeringChild(
  raw: JsonObject,
  vnetId: string,
  field: string,
  origin: Origin,
  ownId?: string,
): Child<VirtualNetworkPeering> {
  const flat = flatten(raw);
  const prefix = (f: string) => (field === '' ? f : `${field}.${f}`);
  const id = ownId ?? inlineChildId(flat, vnetId, 'virtualNetworkPeerings', field);
  const state = flat['peeringState'];
  const remote =
    optionalSpace(flat, 'remoteAddressSpace', prefix) ?? optionalSpace(flat, 'remoteVirtualNetworkAddressSpace', prefix);
  const peering: VirtualNetworkPeering = {
    ...base(flat, id, origin),
    kind: 'virtualNetworkPeering',
    virtualNetwork: ref(vnetId),
    peeringState: typeof state === 'string' ? state : undefined,
    remoteVirtualNetwork: reference(flat, 'remoteVirtualNetwork', prefix('remoteVirtualNetwork')),
    remoteAddressPrefixes: remote,
  };
  if (flat['useRemoteGateways'] === true) peering.useRemoteGateways = true;
  if (flat['allowGatewayTransit'] === true) peering.allowGatewayTransit = true;
  return { key: peering.key, parentKey: normalizeId(vnetId), parentId: vnetId, sequence: origin.sequence, source: origin.source, value: peering };
}

function ruleChild(raw: JsonObject, nsgId: string, segment: string, index: number, origin: Origin): Child<JsonObject> {
  const flat = flatten(raw);
  const field = index < 0 ? '' : `${segment}[${index}]`;
  const id = index < 0 ? String(flat['id']).trim() : inlineChildId(flat, nsgId, segment, field);
  const name = typeof flat['name'] === 'string' && flat['name'] !== '' ? flat['name'] : nameOfId(id);
  return {
    key: normalizeId(id),
    parentKey: normalizeId(nsgId),
    parentId: nsgId,
    sequence: origin.sequence,
    source: origin.source,
    value: { ...flat, id, name },
  };
}

function ipConfigurationChild(
  raw: JsonObject,
  nicId: string,
  field: string,
  origin: Origin,
  ownId?: string,
): Child<NicIpConfiguration> {
  const flat = flatten(raw);
  const prefix = (f: string) => (field === '' ? f : `${field}.${f}`);
  const id = ownId ?? inlineChildId(flat, nicId, 'ipConfigurations', field);
  const addresses: string[] = [];
  const single = flat['privateIPAddress'];
  if (single !== undefined && single !== null && single !== '') addresses.push(checkedAddress(single, prefix('privateIPAddress')));
  const many = flat['privateIPAddresses'];
  if (Array.isArray(many)) {
    many.forEach((a, i) => addresses.push(checkedAddress(a, `${prefix('privateIPAddresses')}[${i}]`)));
  }
  const config: NicIpConfiguration = {
    id,
    key: normalizeId(id),
    name: typeof flat['name'] === 'string' && flat['name'] !== '' ? flat['name'] : nameOfId(id),
    privateIpAddresses: [...new Set(addresses)],
    subnet: reference(flat, 'subnet', prefix('subnet')),
    applicationSecurityGroups: references(flat, 'applicationSecurityGroups', prefix('applicationSecurityGroups')),
    publicIpAddress: reference(flat, 'publicIPAddress', prefix('publicIPAddress')),
    loadBalancerBackendAddressPools: references(flat, 'loadBalancerBackendAddressPools', prefix('loadBalancerBackendAddressPools')),
    loadBalancerInboundNatRules: references(flat, 'loadBalancerInboundNatRules', prefix('loadBalancerInboundNatRules')),
  };
  return { key: config.key, parentKey: normalizeId(nicId), parentId: nicId, sequence: origin.sequence, source: origin.source, value: config };
}

function routeChild(raw: JsonObject, tableId: string, field: string, origin: Origin, ownId?: string): Child<Route> {
  const flat = flatten(raw);
  const prefix = (f: string) => (field === '' ? f : `${field}.${f}`);
  const id = ownId ?? inlineChildId(flat, tableId, 'routes', field);
  const addressPrefix = flat['addressPrefix'];
  if (typeof addressPrefix !== 'string' || addressPrefix.trim() === '') {
    throw new InvalidField(prefix('addressPrefix'), `${prefix('addressPrefix')} is missing`);
  }
  // A route's prefix is a CIDR or a service tag name (routes accept service tags).
  const text = addressPrefix.trim();
  if (/^[0-9]/.test(text) || text.includes(':') || text.includes('/')) checkedPrefix(text, prefix('addressPrefix'));
  const route: Route = {
    id,
    key: normalizeId(id),
    name: typeof flat['name'] === 'string' && flat['name'] !== '' ? flat['name'] : nameOfId(id),
    addressPrefix: text,
    nextHopType: optionalString(flat, 'nextHopType'),
  };
  return { key: route.key, parentKey: normalizeId(tableId), parentId: tableId, sequence: origin.sequence, source: origin.source, value: route };
}

function optionalString(flat: JsonObject, field: string): string | undefined {
  const value = flat[field];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

const PRIVATE_ENDPOINT_POLICIES: readonly PrivateEndpointNetworkPolicies[] = ['Enabled', 'Disabled', 'NetworkSecurityGroupEnabled', 'RouteTableEnabled'];

/** The subnet's private endpoint policy in Azure's spelling (values compare case-insensitively); absent → undefined. */
function privateEndpointPolicies(value: unknown, field: string): PrivateEndpointNetworkPolicies | undefined {
  if (value === undefined || value === null) return undefined;
  const known = typeof value === 'string' ? PRIVATE_ENDPOINT_POLICIES.find((p) => p.toLowerCase() === value.trim().toLowerCase()) : undefined;
  if (!known) throw new InvalidField(field, `${field} is ${JSON.stringify(value)}, not one of ${PRIVATE_ENDPOINT_POLICIES.join(', ')}`);
  return known;
}

function checkedAddress(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new InvalidField(field, `${field} is not a string`);
  const problem = addressProblem(value);
  if (problem) throw new InvalidField(field, `${field} ${problem}`);
  return value.trim();
}

function checkedPrefix(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new InvalidField(field, `${field} is not a string`);
  const problem = prefixProblem(value);
  if (problem) throw new InvalidField(field, `${field} ${problem}`);
  return value.trim();
}

function addressSpace(flat: JsonObject): string[] {
  const space = optionalSpace(flat, 'addressSpace', (f) => f);
  if (space === undefined) throw new InvalidField('addressSpace', 'addressSpace.addressPrefixes is missing');
  return space;
}

/** `{ addressPrefixes: [...] }` → prefixes; undefined when the field is absent. */
function optionalSpace(flat: JsonObject, field: string, prefix: (f: string) => string): string[] | undefined {
  const space = flat[field];
  if (space === undefined || space === null) return undefined;
  const path = `${prefix(field)}.addressPrefixes`;
  if (!isObject(space)) throw new InvalidField(prefix(field), `${prefix(field)} is not an object`);
  const prefixes = space['addressPrefixes'];
  if (prefixes === undefined || prefixes === null) return undefined;
  if (!Array.isArray(prefixes)) throw new InvalidField(path, `${path} is not an array`);
  return prefixes.map((p, i) => checkedPrefix(p, `${path}[${i}]`));
}

function subnetPrefixes(flat: JsonObject, prefix: (f: string) => string): string[] {
  const out: string[] = [];
  const single = flat['addressPrefix'];
  if (single !== undefined && single !== null) out.push(checkedPrefix(single, prefix('addressPrefix')));
  const many = flat['addressPrefixes'];
  if (many !== undefined && many !== null) {
    if (!Array.isArray(many)) throw new InvalidField(prefix('addressPrefixes'), `${prefix('addressPrefixes')} is not an array`);
    many.forEach((p, i) => out.push(checkedPrefix(p, `${prefix('addressPrefixes')}[${i}]`)));
  }
  if (out.length === 0) throw new InvalidField(prefix('addressPrefix'), 'has neither addressPrefix nor addressPrefixes');
  return [...new Set(out)];
}

function ref(id: string): ArmReference {
  return { id, key: normalizeId(id) };
}

/** `{ id }` (or a bare id string) → reference; absent/null → undefined; anything else is an error. */
function reference(flat: JsonObject, field: string, label: string = field): ArmReference | undefined {
  const value = flat[keyOf(flat, field)];
  if (value === undefined || value === null) return undefined;
  return toReference(value, label);
}

/** The key as the resource spells it: templates may write `publicIpAddress` for `publicIPAddress` (ARM ignores case). */
function keyOf(flat: JsonObject, field: string): string {
  if (field in flat) return field;
  const lower = field.toLowerCase();
  for (const k in flat) if (k.length === field.length && k.toLowerCase() === lower) return k;
  return field;
}

function toReference(value: unknown, label: string): ArmReference {
  const id = isObject(value) ? value['id'] : value;
  if (typeof id !== 'string' || id.trim() === '') throw new InvalidField(label, `${label} has no id`);
  if (!parseResourceId(id)) throw new InvalidField(label, `${label} '${boundedText(id)}' is not an ARM resource id`);
  return ref(id.trim());
}

function references(flat: JsonObject, field: string, label: string = field): ArmReference[] {
  const value = flat[keyOf(flat, field)];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new InvalidField(label, `${label} is not an array`);
  return value.map((item, i) => toReference(item, `${label}[${i}]`));
}

function report(builder: Builder, resourceId: string, field: string, message: string): void {
  builder.errors.push({ resourceId, field, message });
}

/**
 * Later children win; a child older than a parent snapshot that omits it was deleted since.
 * Returns the surviving children grouped by parent key, in order of first appearance.
 */
function mergeChildren<T>(
  children: readonly Child<T>[],
  parentSnapshot: (parentKey: string) => ParentSnapshot | undefined,
  invalid?: Map<string, InvalidResource>,
): Map<string, T[]> {
  const merged = new Map<string, Child<T>>();
  for (const child of [...children].sort((a, b) => a.sequence - b.sequence)) {
    const parent = parentSnapshot(child.parentKey);
    if (parent?.inlineChildren && child.sequence < parent.sequence && !parent.inlineChildren.has(child.key)) continue;
    merged.set(child.key, child);
  }
  const byParent = new Map<string, T[]>();
  for (const child of merged.values()) {
    if (child.value === undefined) {
      if (child.invalid && invalid) invalid.set(child.key, child.invalid);
      continue;
    }
    const list = byParent.get(child.parentKey);
    if (list) list.push(child.value);
    else byParent.set(child.parentKey, [child.value]);
  }
  return byParent;
}

/**
 * The estate the builder holds so far. The builder is left as it was, and so are the records it
 * holds: what is assembled here (an NSG with its rules, a NIC with its configurations, a load
 * balancer with its standalone parts) is a new record of this estate alone, unless `inPlace` (the
 * last estate) lets the builder's records be assembled themselves.
 */
function finish(builder: Builder, sources: readonly SourceSummary[], inPlace: boolean): Estate {
  // The last estate takes the builder's records themselves (nothing is added after it).
  const assembled = <T extends object>(record: T, parts: Partial<T>): T => (inPlace ? Object.assign(record, parts) : { ...record, ...parts });
  const invalid = new Map(builder.invalid);
  const subnets = new Map<string, Subnet>();
  for (const list of mergeChildren(builder.subnets, (k) => builder.vnets.get(k)?.subnets, invalid).values()) {
    for (const subnet of list) subnets.set(subnet.key, subnet);
  }
  const peerings = new Map<string, VirtualNetworkPeering>();
  for (const list of mergeChildren(builder.peerings, (k) => builder.vnets.get(k)?.peerings, invalid).values()) {
    for (const peering of list) peerings.set(peering.key, peering);
  }

  // Standalone rules whose NSG is not in the estate: the NSG is known by id, its other rules are not.
  const nsgs = new Map(builder.nsgs);
  for (const child of [...builder.rules, ...builder.defaultRules]) {
    if (nsgs.has(child.parentKey) || child.value === undefined) continue;
    const origin: Origin = { source: child.source, sequence: child.sequence };
    const nsg: NetworkSecurityGroup = {
      ...base({}, child.parentId, origin),
      kind: 'networkSecurityGroup',
      raw: {
        id: child.parentId,
        name: nameOfId(child.parentId),
        type: armTypeOf('networkSecurityGroup'),
      },
      subnets: [],
      networkInterfaces: [],
      partial: true,
    };
    nsgs.set(nsg.key, { nsg, rules: UNKNOWN_SNAPSHOT, defaultRules: UNKNOWN_SNAPSHOT });
  }
  const rules = mergeChildren(builder.rules, (k) => nsgs.get(k)?.rules);
  const defaultRules = mergeChildren(builder.defaultRules, (k) => nsgs.get(k)?.defaultRules);
  const networkSecurityGroups = new Map<string, NetworkSecurityGroup>();
  for (const [key, { nsg }] of nsgs) {
    const raw = { ...nsg.raw, securityRules: rules.get(key) ?? [], defaultSecurityRules: defaultRules.get(key) ?? [] };
    networkSecurityGroups.set(key, assembled(nsg, { raw }));
  }

  const nics = new Map(builder.nics);
  for (const child of builder.ipConfigurations) {
    if (nics.has(child.parentKey) || child.value === undefined) continue;
    const nic: NetworkInterface = {
      ...base({}, child.parentId, { source: child.source, sequence: child.sequence }),
      kind: 'networkInterface',
      networkSecurityGroup: undefined,
      ipConfigurations: [],
      partial: true,
      scaleSet: scaleSetOf(child.parentId),
    };
    nics.set(nic.key, { nic, ipConfigurations: UNKNOWN_SNAPSHOT });
  }
  const configs = mergeChildren(builder.ipConfigurations, (k) => nics.get(k)?.ipConfigurations, invalid);
  const networkInterfaces = new Map<string, NetworkInterface>();
  for (const [key, { nic }] of nics) networkInterfaces.set(key, assembled(nic, { ipConfigurations: configs.get(key) ?? [] }));

  const virtualNetworks = new Map<string, VirtualNetwork>();
  for (const [key, pending] of builder.vnets) virtualNetworks.set(key, pending.vnet);

  // A resource that failed in one input and was read valid from another is not invalid.
  const adminKeys = new Set(builder.securityAdmin.resources.map((r) => r.key));
  const valid = [adminKeys, virtualNetworks, subnets, peerings, networkSecurityGroups, networkInterfaces, builder.natGateways, builder.bastionHosts, builder.asgs, builder.privateEndpoints, builder.routeTables, builder.gateways, builder.connections, builder.localGateways];
  const validConfigs = new Set([...networkInterfaces.values()].flatMap((n) => n.ipConfigurations.map((c) => c.key)));
  for (const key of [...invalid.keys()]) {
    if (valid.some((map) => map.has(key)) || validConfigs.has(key)) invalid.delete(key);
  }
  // A subnet a NIC names that the estate lacks, in a network where a subnet failed validation,
  // may be that one: it counts as failed too, so the NIC's verdicts are held, not judged without it.
  const networksWithFailedSubnets = new Set([...invalid.values()].flatMap((bad) => (bad.kind === 'subnet' && bad.parentKey !== undefined ? [bad.parentKey] : [])));
  for (const nic of networkInterfaces.values()) {
    for (const config of nic.ipConfigurations) {
      const subnet = config.subnet;
      if (subnet === undefined || subnets.has(subnet.key) || invalid.has(subnet.key)) continue;
      const network = subnet.key.slice(0, Math.max(0, subnet.key.lastIndexOf('/subnets/')));
      if (networksWithFailedSubnets.has(network)) invalid.set(subnet.key, { key: subnet.key, kind: 'subnet', parentKey: network, nsgReferences: [], references: [] });
    }
  }

  // Standalone routes whose table is not in the estate: the table is known by id, its other routes are not.
  const tables = new Map(builder.routeTables);
  for (const child of builder.routes) {
    if (tables.has(child.parentKey) || child.value === undefined) continue;
    const table: RouteTable = { ...base({}, child.parentId, { source: child.source, sequence: child.sequence }), kind: 'routeTable', routes: [], subnets: [] };
    tables.set(table.key, { table, routes: UNKNOWN_SNAPSHOT });
  }
  const routes = mergeChildren(builder.routes, (k) => tables.get(k)?.routes);
  const routeTables = new Map<string, RouteTable>();
  for (const [key, { table }] of tables) routeTables.set(key, assembled(table, { routes: routes.get(key) ?? [] }));

  const securityAdmin = securityAdminEstate(builder.securityAdmin);
  // Ordered by id, not by input: the same resources give the same estate (and the same findings,
  // down to the order of the NICs a message names) however they were read.
  return {
    virtualNetworks: byKey(virtualNetworks),
    subnets: byKey(subnets),
    peerings: byKey(peerings),
    networkSecurityGroups: byKey(networkSecurityGroups),
    networkInterfaces: byKey(networkInterfaces),
    natGateways: byKey(builder.natGateways),
    bastionHosts: byKey(builder.bastionHosts),
    applicationSecurityGroups: byKey(builder.asgs),
    privateEndpoints: byKey(builder.privateEndpoints),
    routeTables: byKey(routeTables),
    virtualNetworkGateways: byKey(builder.gateways),
    gatewayConnections: byKey(builder.connections),
    localNetworkGateways: byKey(builder.localGateways),
    scaleSets: byKey(builder.scaleSets),
    publicIpAddresses: byKey(builder.publicIps),
    loadBalancers: byKey(withLoadBalancerParts(builder)),
    ...(builder.effectiveRoutes.size > 0 ? { effectiveRouteTables: byKey(builder.effectiveRoutes) } : {}),
    applicationGateways: byKey(builder.applicationGateways),
    apiManagementServices: byKey(builder.apiManagementServices),
    domainServices: byKey(builder.domainServices),
    managedClusters: byKey(builder.managedClusters),
    subnetLinks: linksBySubnet(builder.subnetLinks),
    ...(securityAdmin ? { securityAdmin } : {}),
    errors: [...builder.errors],
    invalid: byKey(invalid),
    // A summary is complete once its document is added: only the list grows.
    sources: [...sources],
  };
}

/** The parts of a load balancer that have child APIs of their own, by kind, as its properties name them. */
const LOAD_BALANCER_SEGMENT = {
  loadBalancerFrontendIpConfiguration: 'frontendIPConfigurations',
  loadBalancerBackendAddressPool: 'backendAddressPools',
  loadBalancingRule: 'loadBalancingRules',
  inboundNatRule: 'inboundNatRules',
  outboundRule: 'outboundRules',
} as const satisfies Partial<Record<EstateKind, string>>;

type LoadBalancerSegment = (typeof LOAD_BALANCER_SEGMENT)[keyof typeof LOAD_BALANCER_SEGMENT];
const LOAD_BALANCER_SEGMENTS: readonly LoadBalancerSegment[] = Object.values(LOAD_BALANCER_SEGMENT);

interface LoadBalancerPartRecord {
  parentId: string;
  parentKey: string;
  segment: LoadBalancerSegment;
  /** A load balancer holding just this part. */
  parsed: LoadBalancer;
  sequence: number;
}

/**
 * Standalone parts (`loadBalancers/inboundNatRules`, `.../backendAddressPools`, ...) join their
 * load balancer: a part replaces the one of the same id, or is added. A part older than a load
 * balancer record that lists that kind of part inline, and not it, was deleted since. A part
 * whose load balancer is not in the estate makes one known by id, holding what was read of it.
 * The load balancers parts join are new records; the builder's are left as read.
 */
function withLoadBalancerParts(builder: Builder): Map<string, LoadBalancer> {
  const loadBalancers = new Map(builder.loadBalancers);
  const copied = new Set<string>();
  for (const part of [...builder.loadBalancerParts].sort((a, b) => a.sequence - b.sequence)) {
    const read = loadBalancers.get(part.parentKey);
    if (read && read.origin.sequence > part.sequence && builder.loadBalancerInline.get(part.parentKey)?.has(part.segment)) continue;
    let lb: LoadBalancer;
    if (!read) lb = { ...part.parsed, frontends: [], backendPools: [], rules: [], inboundNatRules: [], inboundNatPools: [], outboundRules: [] };
    else if (copied.has(part.parentKey)) lb = read;
    else lb = { ...read, frontends: [...read.frontends], backendPools: [...read.backendPools], rules: [...read.rules], inboundNatRules: [...read.inboundNatRules], outboundRules: [...read.outboundRules] };
    loadBalancers.set(lb.key, lb);
    copied.add(lb.key);
    const into = <T extends { key: string }>(list: T[], items: readonly T[]): void => {
      for (const item of items) {
        const at = list.findIndex((existing) => existing.key === item.key);
        if (at >= 0) list[at] = item;
        else list.push(item);
      }
    };
    into(lb.frontends, part.parsed.frontends);
    into(lb.backendPools, part.parsed.backendPools);
    into(lb.rules, part.parsed.rules);
    into(lb.inboundNatRules, part.parsed.inboundNatRules);
    into(lb.outboundRules, part.parsed.outboundRules);
  }
  return loadBalancers;
}

function linksBySubnet(links: ReadonlyMap<string, { subnetKey: string; link: SubnetLink }>): Map<string, SubnetLink[]> {
  const bySubnet = new Map<string, SubnetLink[]>();
  for (const { subnetKey, link } of links.values()) {
    const list = bySubnet.get(subnetKey);
    if (list) list.push(link);
    else bySubnet.set(subnetKey, [link]);
  }
  return byKey(bySubnet);
}

function byKey<T>(map: ReadonlyMap<string, T>): Map<string, T> {
  return new Map([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A parent assembled from its children: nothing says which children it had. */
const UNKNOWN_SNAPSHOT: ParentSnapshot = { sequence: 0, inlineChildren: undefined };
