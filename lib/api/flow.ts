/**
 * POST /api/flow: the flow check of DESIGN §5 over the live estate (offline IP flow verify).
 * The body is one query object, or `{ "queries": [...] }` for many; answers keep the order.
 */
import {
  errorResponse,
  invalid,
  jsonResponse,
  readJsonBody,
  type ApiRequest,
  type ApiResponse,
  type Checked,
} from './http.js';
import { LIMITS, checkFields, checkObject, checkParameters, quote } from './params.js';
import type { ApiDeps, FlowQuery } from './types.js';

const QUERY_FIELDS = ['nsg', 'nic', 'direction', 'protocol', 'source', 'sourcePort', 'destination', 'destinationPort'] as const;
const PROTOCOLS = ['Tcp', 'Udp', 'Icmp', 'Esp', 'Ah'] as const;
/** An IPv6 address with a zone is under 64 characters; a service tag name too. */
const MAX_ADDRESS_LENGTH = 64;

export async function checkFlows(deps: ApiDeps, request: ApiRequest): Promise<ApiResponse> {
  const unknown = checkParameters(request.query, []);
  if (unknown) return errorResponse(unknown);
  const body = readJsonBody(request);
  if (!body.ok) return errorResponse(body.error);
  const parsed = parseFlowBody(body.value);
  if (!parsed.ok) return errorResponse(parsed.error);
  const answers = await deps.flow.check(parsed.value.queries);
  if (parsed.value.many) return jsonResponse(200, { results: answers });
  const [answer] = answers;
  if (answer === undefined) return errorResponse({ status: 500, code: 'internal', message: 'the flow check gave no answer' });
  if ('error' in answer) {
    const status = answer.error.code === 'notFound' ? 404 : 400;
    const code = status === 404 ? 'notFound' : 'invalidField';
    return errorResponse({ status, code, message: answer.error.message, ...(answer.error.field !== undefined ? { field: answer.error.field } : {}) });
  }
  return jsonResponse(200, answer);
}

export function parseFlowBody(value: unknown): Checked<{ queries: FlowQuery[]; many: boolean }> {
  const object = checkObject(value, '');
  if (!object.ok) return object;
  if (!('queries' in object.value)) {
    const one = parseFlowQuery(object.value, '');
    return one.ok ? { ok: true, value: { queries: [one.value], many: false } } : one;
  }
  const extra = checkFields(object.value, ['queries'], '');
  if (extra) return { ok: false, error: extra };
  const list = object.value['queries'];
  if (!Array.isArray(list)) return { ok: false, error: invalid('queries must be an array of flow queries', 'queries') };
  if (list.length === 0) return { ok: false, error: invalid('queries is empty', 'queries') };
  if (list.length > LIMITS.maxFlowQueries) {
    return { ok: false, error: invalid(`queries holds ${list.length} items; the limit is ${LIMITS.maxFlowQueries}`, 'queries') };
  }
  const queries: FlowQuery[] = [];
  for (const [index, item] of list.entries()) {
    const one = parseFlowQuery(item, `queries[${index}]`);
    if (!one.ok) return one;
    queries.push(one.value);
  }
  return { ok: true, value: { queries, many: true } };
}

/** Check one query's types, vocabulary and sizes; the estate lookup happens in the checker. */
export function parseFlowQuery(value: unknown, path: string): Checked<FlowQuery> {
  const at = (field: string): string => (path === '' ? field : `${path}.${field}`);
  const object = checkObject(value, path);
  if (!object.ok) return object;
  const extra = checkFields(object.value, QUERY_FIELDS, path);
  if (extra) return { ok: false, error: extra };
  const q = object.value;
  const target = targetOf(q, at);
  if (!target.ok) return target;
  const direction = word(q['direction'], at('direction'), ['inbound', 'outbound'] as const);
  if (!direction.ok) return direction;
  const protocol = word(q['protocol'], at('protocol'), PROTOCOLS);
  if (!protocol.ok) return protocol;
  const source = address(q['source'], at('source'));
  if (!source.ok) return source;
  const destination = address(q['destination'], at('destination'));
  if (!destination.ok) return destination;
  const sourcePort = port(q['sourcePort'], at('sourcePort'));
  if (!sourcePort.ok) return sourcePort;
  const destinationPort = port(q['destinationPort'], at('destinationPort'));
  if (!destinationPort.ok) return destinationPort;
  const query: FlowQuery = { ...target.value, direction: direction.value, protocol: protocol.value, source: source.value, destination: destination.value };
  if (sourcePort.value !== undefined) query.sourcePort = sourcePort.value;
  if (destinationPort.value !== undefined) query.destinationPort = destinationPort.value;
  return { ok: true, value: query };
}

function targetOf(q: Record<string, unknown>, at: (f: string) => string): Checked<{ nsg: string } | { nic: string }> {
  const { nsg, nic } = q;
  if ((nsg === undefined) === (nic === undefined)) {
    return { ok: false, error: invalid('name exactly one of nsg or nic (a name or an ARM id)', at(nsg === undefined ? 'nsg' : 'nic')) };
  }
  const field = nsg !== undefined ? 'nsg' : 'nic';
  const raw = nsg ?? nic;
  if (typeof raw !== 'string' || raw.trim() === '') return { ok: false, error: invalid(`${field} must be a name or an ARM id`, at(field)) };
  if (raw.length > LIMITS.maxResourceIdLength || /[\u0000-\u001f\u007f]/.test(raw)) {
    return { ok: false, error: invalid(`${field} is not a name or an ARM id`, at(field)) };
  }
  return { ok: true, value: field === 'nsg' ? { nsg: raw.trim() } : { nic: raw.trim() } };
}

/** Case-insensitive match against a closed vocabulary, returned in its canonical spelling. */
function word<T extends string>(value: unknown, field: string, allowed: readonly T[]): Checked<T> {
  const found = typeof value === 'string' ? allowed.find((a) => a.toLowerCase() === value.trim().toLowerCase()) : undefined;
  if (found !== undefined) return { ok: true, value: found };
  const shown = typeof value === 'string' ? quote(value) : 'nothing';
  return { ok: false, error: invalid(`${field} must be one of ${allowed.join(', ')}; got ${shown}`, field) };
}

function address(value: unknown, field: string): Checked<string> {
  if (typeof value !== 'string' || value.trim() === '') return { ok: false, error: invalid(`${field} must be an IP address`, field) };
  const text = value.trim();
  if (text.length > MAX_ADDRESS_LENGTH || /[\s\u0000-\u001f]/.test(text)) {
    return { ok: false, error: invalid(`${field} ${quote(text)} is not an IP address`, field) };
  }
  return { ok: true, value: text };
}

function port(value: unknown, field: string): Checked<number | undefined> {
  if (value === undefined || value === null) return { ok: true, value: undefined };
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535) {
    return { ok: false, error: invalid(`${field} must be a whole number from 0 to 65535`, field) };
  }
  return { ok: true, value };
}
