/**
 * Finding resources in parsed JSON of any shape DESIGN §5 accepts, and reading their fields
 * whether they sit under `properties` (ARM REST, Resource Graph) or at top level (az CLI, SDK).
 */
import { parseResourceId } from '../arm/index.js';
import { isRecord } from '../nsg/index.js';
import { estateKindOfId, estateKindOfType, type EstateKind } from './kinds.js';

export type JsonObject = Record<string, unknown>;

/** A JSON object of an export (not null, not an array). */
export const isObject: (value: unknown) => value is JsonObject = isRecord;

/** A resource found in a document, in document order. */
export interface FoundResource {
  raw: JsonObject;
  /** undefined for a type nsgwatch does not model. */
  kind: EstateKind | undefined;
  /** The ARM type as given (or derived from the id), for reports. */
  type: string;
}

export interface DocumentScan {
  resources: FoundResource[];
  /** List responses that carried a `nextLink`: the export holds only the first page(s). */
  nextLinks: number;
  /** Empty lists (`{ "value": [] }`, `[]`, `{ "data": [] }`): what a list of an empty resource group gives. */
  emptyLists: number;
}

/** Deep enough for recorded HTTP sessions (cassette → interactions → response → body → data → value). */
const MAX_CONTAINER_DEPTH = 12;

/**
 * Collects the type-bearing resources of one document: a resource, a bare array, a list response
 * `{ value: [...] }`, Resource Graph `{ data: [...] }` or `{ data: { columns, rows } }`, and query
 * outputs that group resources under other keys (`az network nsg show --query '{...}'`).
 */
export function scanDocument(json: unknown, skip?: ReadonlySet<object>): DocumentScan {
  const scan: DocumentScan = { resources: [], nextLinks: 0, emptyLists: 0 };
  visit(json, scan, 0, skip);
  return scan;
}

function visit(value: unknown, scan: DocumentScan, depth: number, skip: ReadonlySet<object> | undefined): void {
  if (depth > MAX_CONTAINER_DEPTH) return;
  // Lists read elsewhere (lib/estate/security-admin.ts) are not resources of their own here.
  if (skip !== undefined && typeof value === 'object' && value !== null && skip.has(value)) return;
  if (Array.isArray(value)) {
    if (value.length === 0 && depth <= 1) scan.emptyLists += 1;
    for (const item of value) visit(item, scan, depth + 1, skip);
    return;
  }
  if (!isObject(value)) return;
  const found = asResource(value);
  if (found) {
    scan.resources.push(found);
    return;
  }
  if (typeof value['nextLink'] === 'string' && value['nextLink'] !== '') scan.nextLinks += 1;
  const data = value['data'];
  if (isObject(data) && Array.isArray(data['columns']) && Array.isArray(data['rows'])) {
    visit(tableRows(data['columns'], data['rows']), scan, depth + 1, skip);
    return;
  }
  // A container, not a resource: look inside (list responses, Resource Graph, query outputs).
  for (const inner of Object.values(value)) {
    if (typeof inner === 'object' && inner !== null) visit(inner, scan, depth + 1, skip);
  }
}

/** Resource Graph's table format: `columns: [{ name }]`, `rows: [[...]]` → objects. */
function tableRows(columns: unknown[], rows: unknown[]): JsonObject[] {
  const names = columns.map((c) => (isObject(c) && typeof c['name'] === 'string' ? c['name'] : ''));
  return rows.filter(Array.isArray).map((row) => {
    const object: JsonObject = {};
    names.forEach((name, i) => {
      if (name !== '') object[name] = row[i];
    });
    return object;
  });
}

/** Keys a bare reference (`{ id }`) may carry; an object with only these is not a resource. */
const REFERENCE_KEYS = new Set(['id', 'resourcegroup', 'etag']);

function asResource(object: JsonObject): FoundResource | undefined {
  const effective = effectiveNsg(object);
  if (effective) return { raw: effective, kind: 'networkSecurityGroup', type: ARM_NSG_TYPE };
  const type = object['type'];
  if (typeof type === 'string' && type.includes('/')) return { raw: object, kind: estateKindOfType(type), type };
  const id = object['id'];
  if (typeof id !== 'string') return undefined;
  const parsed = parseResourceId(id);
  if (!parsed) return undefined;
  if (Object.keys(object).every((k) => REFERENCE_KEYS.has(k.toLowerCase()))) return undefined;
  return { raw: object, kind: estateKindOfId(id), type: parsed.resourceType };
}

const ARM_NSG_TYPE = 'Microsoft.Network/networkSecurityGroups';

/**
 * An entry of an effective NSG list (`listEffectiveNetworkSecurityGroups`, Network Watcher):
 * `{ networkSecurityGroup: { id }, association, effectiveSecurityRules }`. It stands for the NSG,
 * its rules as Azure expanded them (the engine reads that shape) and where it is applied.
 */
function effectiveNsg(object: JsonObject): JsonObject | undefined {
  const rules = object['effectiveSecurityRules'];
  const nsg = object['networkSecurityGroup'];
  if (!Array.isArray(rules) || !isObject(nsg) || typeof nsg['id'] !== 'string') return undefined;
  const id = nsg['id'];
  const parsed = parseResourceId(id);
  if (!parsed) return undefined;
  const association = isObject(object['association']) ? object['association'] : {};
  const at = (key: string) => {
    const ref = association[key];
    return isObject(ref) && typeof ref['id'] === 'string' ? [{ id: ref['id'] }] : [];
  };
  return {
    id,
    name: parsed.name,
    type: ARM_NSG_TYPE,
    effectiveSecurityRules: rules,
    subnets: at('subnet'),
    networkInterfaces: at('networkInterface'),
  };
}

/** The resource with its `properties` lifted to top level: one shape for REST, CLI and SDK input. */
export function flatten(object: JsonObject): JsonObject {
  const properties = object['properties'];
  if (!isObject(properties)) return object;
  const flat: JsonObject = {};
  for (const [k, v] of Object.entries(object)) if (k !== 'properties') flat[k] = v;
  for (const [k, v] of Object.entries(properties)) flat[k] = v;
  return flat;
}
