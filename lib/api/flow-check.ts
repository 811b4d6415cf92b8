/**
 * The flow check over the live estate: read the current inventory from the source (files locally,
 * ARM in Azure), then decide each flow with the engine exactly as `nsgwatch flow` does — one NSG
 * alone, or a NIC's subnet and NIC NSGs composed.
 */
import { loadEstate } from '../estate/load.js';
import type { Estate } from '../estate/model.js';
import { parseFlow, parseServiceTags, type ServiceTagData } from '../nsg/index.js';
import { createFlowVerifier, type FlowVerifier } from '../flow/verifier.js';
import { nameOfId, normalizeId } from '../arm/index.js';
import type { EstateSource } from '../pipeline/types.js';
import type { FlowAnswer, FlowChecker, FlowQuery } from './types.js';

type Resolved<T> = { ok: true; value: T } | { ok: false; answer: FlowAnswer };

interface Snapshot {
  estate: Estate;
  verifier: FlowVerifier;
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
    return { ok: true, value: { estate, verifier: createFlowVerifier(estate, serviceTags ? { serviceTags } : {}), notes } };
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
  // Field-level problems and unknown targets first, so the API can name the field and answer 404.
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
  const target = query.nsg !== undefined
    ? exists(snap.estate.networkSecurityGroups, query.nsg, 'nsg', 'NSG')
    : exists(snap.estate.networkInterfaces, query.nic ?? '', 'nic', 'NIC');
  if (target !== undefined) return target;
  // The decision itself is `nsgwatch flow`'s: the same verifier answers the CLI and the API.
  const verdict = snap.verifier.verify(query);
  if (!verdict.ok) return { error: { code: 'unanswerable', message: verdict.error } };
  const notes = [...new Set([...snap.notes, ...verdict.notes])];
  return {
    access: verdict.access,
    decidedBy: verdict.decidedBy.map((d) => ({
      nsg: d.nsgName,
      rule: d.rule,
      priority: d.priority,
      ...(d.admin ? { admin: { manager: nameOfId(d.admin.manager), configuration: nameOfId(d.admin.configuration), collection: nameOfId(d.admin.collection), action: d.admin.action } } : {}),
    })),
    ...(notes.length > 0 ? { notes } : {}),
  };
}

/** An error answer when no resource has this ARM id (any casing) or name; ambiguity is the verifier's to report. */
function exists<T extends { name: string }>(map: ReadonlyMap<string, T>, wanted: string, field: 'nsg' | 'nic', label: string): FlowAnswer | undefined {
  if (wanted.startsWith('/')) {
    if (map.has(normalizeId(wanted))) return undefined;
    return { error: { code: 'notFound', message: `no ${label} with id ${wanted} in the estate`, field } };
  }
  if ([...map.values()].some((r) => r.name.toLowerCase() === wanted.toLowerCase())) return undefined;
  return { error: { code: 'notFound', message: `no ${label} named ${wanted} in the estate`, field } };
}

/** The engine names fields sourceIp/destinationIp; the API's queries say source/destination. */
function fieldName(field: string): string {
  if (field === 'sourceIp') return 'source';
  if (field === 'destinationIp') return 'destination';
  return field;
}
