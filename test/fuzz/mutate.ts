/**
 * Arbitraries that mutate real shapes (issue 16): one value somewhere in a real document replaced by
 * a hostile one, removed, or duplicated. The documents are read in place: the sample estate, the
 * shared corpus's REST examples and Event Grid samples, and API bodies.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Path = (string | number)[];

export const SAMPLES = resolve(process.cwd(), 'samples/estate');
export const CORPUS = resolve(process.cwd(), '../shared/corpus');

export function readJson(path: string): Json {
  return JSON.parse(readFileSync(path, 'utf8')) as Json;
}

export function jsonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return jsonFiles(path);
    return name.endsWith('.json') ? [path] : [];
  }).sort();
}

/** Every path to a value in the document (the root excluded), depth-first. */
export function pathsOf(value: Json, prefix: Path = []): Path[] {
  const out: Path[] = [];
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      out.push([...prefix, i], ...pathsOf(item, [...prefix, i]));
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) out.push([...prefix, key], ...pathsOf(item, [...prefix, key]));
  }
  return out;
}

function nested(depth: number): Json {
  let value: Json = 'Tcp';
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** Values that must be refused or survived: bad priorities, ports, prefixes, tags, deep and huge values. */
export const hostileValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(
    null, true, false, 0, -1, 50, 99, 4097, 65536, 70000, 1e308, -0.5, 3.5,
    '', ' ', '*', 'Any', 'Internet', 'internet', 'VirtualNetwork', 'AzureLoadBalancer', 'Storage.WestEurope', 'NoSuchTag',
    '0.0.0.0/0', '0.0.0.0/00', '10.0.0.0/33', '10.0.0.0/024', '::/0', '::/129', '1.2.3.4/-1', '10.0.0.256', '010.0.0.1', 'fe80::1%eth0',
    '0.0.0.0/1', '128.0.0.0/1', '22', '0-65535', '65535-0', '22-', '1-2-3', '80,443',
    'Tcp', 'Udp', 'Icmp', 'Esp', 'Ah', 'Gre', 'Allow', 'Deny', 'Inbound', 'Outbound', 'Sideways', 'Connected', 'Disconnected',
    '/subscriptions/x', '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/elsewhere',
    '../..', '\u0000', '\u202e', 'a'.repeat(5000), [], {}, [null], ['*'], { id: 42 }, { id: '' },
  ),
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: 1, max: 3000 }).map(nested),
  fc.array(fc.constantFrom<Json>('10.0.0.0/8', '*', 'Internet', 5, null, ''), { maxLength: 4 }),
);

export type Mutation =
  | { kind: 'replace'; path: Path; value: Json }
  | { kind: 'remove'; path: Path }
  | { kind: 'duplicate'; path: Path };

export function mutationOf(paths: readonly Path[]): fc.Arbitrary<Mutation> {
  const path = fc.constantFrom(...paths);
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('replace' as const), path, value: hostileValue }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), path }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), path }) },
  );
}

/** A copy of `doc` with the mutation applied. */
export function applyMutation(doc: Json, mutation: Mutation): Json {
  const copy = structuredClone(doc);
  const parentPath = mutation.path.slice(0, -1);
  const key = mutation.path[mutation.path.length - 1];
  let parent: Json = copy;
  for (const step of parentPath) {
    if (parent === null || typeof parent !== 'object') return copy;
    parent = (Array.isArray(parent) ? parent[step as number] : parent[step as string]) ?? null;
  }
  if (parent === null || typeof parent !== 'object' || key === undefined) return copy;
  if (Array.isArray(parent)) {
    const i = key as number;
    if (mutation.kind === 'replace') parent[i] = mutation.value;
    else if (mutation.kind === 'remove') parent.splice(i, 1);
    else parent.splice(i, 0, structuredClone(parent[i] ?? null));
  } else {
    const k = key as string;
    if (mutation.kind === 'replace') parent[k] = mutation.value;
    else if (mutation.kind === 'remove') Reflect.deleteProperty(parent, k);
    else parent[`${k}`] = structuredClone(parent[k] ?? null);
  }
  return copy;
}

export function describeMutation(mutation: Mutation): string {
  const where = mutation.path.join('.');
  return mutation.kind === 'replace' ? `${where} := ${JSON.stringify(mutation.value)?.slice(0, 80)}` : `${mutation.kind} ${where}`;
}
