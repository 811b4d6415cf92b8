/**
 * The flow check over the live estate: read the current inventory from the source (files locally,
 * ARM in Azure), then decide each flow with the engine exactly as `nsgwatch flow` does — one NSG
 * alone, or a NIC's subnet and NIC NSGs composed.
 */
import { loadEstate } from '../estate/load.js';
import type { Estate, NetworkSecurityGroup } from '../estate/model.js';
import {
  contextInputs,
  guardsOfNetworkInterface,
  nsgVirtualNetworkScope,
  relateEstate,
  type EstateRelations,
  type NsgSlot,
  type VirtualNetworkScope,
} from '../estate/relations.js';
import { createContext, evaluateComposed, evaluateFlow, parseFlow, parseNsg, parseServiceTags } from '../nsg/index.js';
import type { Layer, RuleRef, ServiceTagData } from '../nsg/index.js';
import { normalizeId } from '../rules/finding.js';
import type { EstateSource } from '../pipeline/types.js';
import type { FlowAnswer, FlowChecker, FlowQuery } from './types.js';

type Resolved<T> = { ok: true; value: T } | { ok: false; answer: FlowAnswer };

interface Snapshot {
  estate: Estate;
  relations: EstateRelations;
  serviceTags: ServiceTagData | undefined;
  notes: string[];
}

export function createEstateFlowChecker(source: EstateSource): FlowChecker {
  async function snapshot(): Promise<Resolved<Snapshot>> {
    const subscriptions = await source.subscriptions();
    // A files source reads the whole folder whatever the subscription; ARM reads each one.
    const targets = source.kind === 'files' ? subscriptions.slice(0, 1) : subscriptions;
    const documents = [];
    let serviceTagsRaw: unknown;
    for (const subscription of targets) {
      const inventory = await source.readInventory(subscription, { priority: 'event' });
      if (inventory.failures.length > 0) {
        const reasons = inventory.failures.map((f) => `${f.target}: ${f.reason}`).join('; ');
        return { ok: false, answer: { error: { code: 'unavailable', message: `could not read the current state (${reasons})` } } };
      }
      documents.push(...inventory.documents);
      serviceTagsRaw ??= await source.serviceTags(subscription);
    }
    const estate = loadEstate(documents);
    const notes: string[] = [];
    let serviceTags: ServiceTagData | undefined;
    if (serviceTagsRaw !== undefined) {
      const parsed = parseServiceTags(serviceTagsRaw);
      if (parsed.ok) serviceTags = parsed.data;
      else notes.push(`service tag data could not be read (${parsed.error}); tags are treated as unresolved`);
    }
    return { ok: true, value: { estate, relations: relateEstate(estate), serviceTags, notes } };
  }

  return {
    async check(queries: readonly FlowQuery[]): Promise<FlowAnswer[]> {
      const snap = await snapshot();
      if (!snap.ok) return queries.map(() => snap.answer);
      return queries.map((query) => answer(snap.value, query));
    },
  };
}

function answer(snap: Snapshot, query: FlowQuery): FlowAnswer {
  const flow = parseFlow({
    direction: query.direction,
    protocol: query.protocol,
    source: query.source,
    destination: query.destination,
    ...(query.sourcePort !== undefined ? { sourcePort: query.sourcePort } : {}),
    ...(query.destinationPort !== undefined ? { destinationPort: query.destinationPort } : {}),
  });
  if (!flow.ok) {
    const [first] = flow.errors;
    return { error: { code: 'invalidField', message: flow.errors.map((e) => e.message).join('; '), ...(first ? { field: fieldName(first.field) } : {}) } };
  }
  if (query.nsg !== undefined) {
    const nsg = findByNameOrId(snap.estate.networkSecurityGroups, query.nsg, 'nsg', 'NSG');
    if (!nsg.ok) return nsg.answer;
    const layer = layerOf(snap, nsg.value, nsgVirtualNetworkScope(snap.relations, nsg.value.id));
    if (!layer.ok) return layer.answer;
    const decision = evaluateFlow(layer.value.nsg, flow.flow, layer.value.ctx);
    return verdict(decision.access, [decision.rule], [...snap.notes, ...layer.value.ctx.assumptions]);
  }
  const nicName = query.nic ?? '';
  const nic = findByNameOrId(snap.estate.networkInterfaces, nicName, 'nic', 'NIC');
  if (!nic.ok) return nic.answer;
  const [point] = guardsOfNetworkInterface(snap.relations, nic.value.id);
  if (point === undefined) {
    return { error: { code: 'notFound', message: `NIC ${nic.value.name} sits in no subnet the estate knows`, field: 'nic' } };
  }
  const subnet = slotLayer(snap, point.subnetNsg, point.virtualNetwork, 'subnet');
  if (!subnet.ok) return subnet.answer;
  const own = slotLayer(snap, point.nicNsg, point.virtualNetwork, 'NIC');
  if (!own.ok) return own.answer;
  const decision = evaluateComposed({ ...(subnet.value ? { subnet: subnet.value } : {}), ...(own.value ? { nic: own.value } : {}) }, flow.flow);
  const notes = [...snap.notes, ...(subnet.value?.ctx.assumptions ?? []), ...(own.value?.ctx.assumptions ?? [])];
  if (decision.decidedBy.length === 0) notes.push(`no NSG guards ${nic.value.name}: every flow is allowed`);
  return verdict(decision.access, decision.decidedBy, notes);
}

function verdict(access: 'Allow' | 'Deny', rules: readonly RuleRef[], notes: string[]): FlowAnswer {
  const unique = [...new Set(notes)];
  return {
    access,
    decidedBy: rules.map((r) => ({ nsg: r.nsgName, rule: r.rule, priority: r.priority })),
    ...(unique.length > 0 ? { notes: unique } : {}),
  };
}

function slotLayer(snap: Snapshot, slot: NsgSlot, scope: VirtualNetworkScope, side: string): Resolved<Layer | undefined> {
  switch (slot.state) {
    case 'none':
      return { ok: true, value: undefined };
    case 'present':
      return layerOf(snap, slot.nsg, scope);
    case 'missing':
      return { ok: false, answer: { error: { code: 'notFound', message: `the ${side} NSG ${slot.id} is referenced but not in the estate: its rules are unknown`, field: 'nic' } } };
    case 'unknown':
      return { ok: false, answer: { error: { code: 'notFound', message: `the estate cannot tell which NSG guards the ${side}`, field: 'nic' } } };
    default: {
      const unreachable: never = slot;
      return unreachable;
    }
  }
}

function layerOf(snap: Snapshot, resource: NetworkSecurityGroup, scope: VirtualNetworkScope): Resolved<Layer> {
  const parsed = parseNsg(resource.raw, { id: resource.id });
  if (!parsed.ok) {
    const reasons = parsed.errors.map((e) => `${e.rule ? `rule ${e.rule}` : resource.name}${e.field ? ` field ${e.field}` : ''}: ${e.message}`).join('; ');
    return { ok: false, answer: { error: { code: 'invalidResource', message: `NSG ${resource.name} cannot be evaluated: ${reasons}` } } };
  }
  const inputs = contextInputs(snap.relations, scope);
  const ctx = createContext({
    ...(inputs.virtualNetworkPrefixes ? { virtualNetworkPrefixes: inputs.virtualNetworkPrefixes } : {}),
    asgAddresses: inputs.asgAddresses,
    ...(snap.serviceTags ? { serviceTags: snap.serviceTags } : {}),
  });
  return { ok: true, value: { nsg: parsed.nsg, ctx } };
}

/** By ARM id (any casing), else by name when exactly one resource has it. */
function findByNameOrId<T extends { id: string; name: string }>(map: ReadonlyMap<string, T>, wanted: string, field: 'nsg' | 'nic', label: string): Resolved<T> {
  if (wanted.startsWith('/')) {
    const found = map.get(normalizeId(wanted));
    if (found) return { ok: true, value: found };
    return { ok: false, answer: { error: { code: 'notFound', message: `no ${label} with id ${wanted} in the estate`, field } } };
  }
  const matches = [...map.values()].filter((r) => r.name.toLowerCase() === wanted.toLowerCase());
  const [only] = matches;
  if (matches.length === 1 && only) return { ok: true, value: only };
  if (matches.length === 0) return { ok: false, answer: { error: { code: 'notFound', message: `no ${label} named ${wanted} in the estate`, field } } };
  return { ok: false, answer: { error: { code: 'ambiguous', message: `${matches.length} ${label}s are named ${wanted}; give the ARM id`, field } } };
}

/** The engine names fields sourceIp/destinationIp; the API's queries say source/destination. */
function fieldName(field: string): string {
  if (field === 'sourceIp') return 'source';
  if (field === 'destinationIp') return 'destination';
  return field;
}
