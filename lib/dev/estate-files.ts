/**
 * Edits of a working estate folder (JSON files in any shape `scan` reads): find an ARM resource
 * by id in whatever file holds it, change it in place, write the file back. The demo's scripted
 * changes are made this way, the same way a person editing the files would.
 */
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isRecord } from '../nsg/index.js';

type Json = Record<string, unknown>;

const isObject: (value: unknown) => value is Json = isRecord;

/** Top-level resources of a document: `{ value: [...] }`, `{ data: [...] }`, a bare array or one resource. */
function resourcesOf(document: unknown): Json[] {
  if (Array.isArray(document)) return document.filter(isObject);
  if (isObject(document)) {
    for (const key of ['value', 'data']) {
      const list = document[key];
      if (Array.isArray(list)) return list.filter(isObject);
    }
    return [document];
  }
  return [];
}

function sameId(a: unknown, b: string): boolean {
  return typeof a === 'string' && a.replace(/\/+$/, '').toLowerCase() === b.replace(/\/+$/, '').toLowerCase();
}

/** Copy a shipped estate to a working folder (replacing what was there), so edits never touch the original. */
export async function copyEstate(from: string, to: string): Promise<void> {
  await rm(to, { recursive: true, force: true });
  await mkdir(to, { recursive: true });
  for (const name of await readdir(from)) {
    if (name.toLowerCase().endsWith('.json')) await cp(join(from, name), join(to, name));
  }
}

/**
 * Change the top-level resource with this id in the folder; `mutate` edits it in place. Throws
 * when no file holds it, naming the id, so a scripted step never silently does nothing.
 */
export async function editResource(dir: string, resourceId: string, mutate: (resource: Json) => void): Promise<string> {
  for (const name of (await readdir(dir)).filter((n) => n.toLowerCase().endsWith('.json')).sort()) {
    const file = join(dir, name);
    const document: unknown = JSON.parse(await readFile(file, 'utf8'));
    const resource = resourcesOf(document).find((r) => sameId(r['id'], resourceId));
    if (resource === undefined) continue;
    mutate(resource);
    await writeFile(file, `${JSON.stringify(document, null, 2)}\n`);
    return file;
  }
  throw new Error(`no file in ${dir} holds ${resourceId}`);
}

/** The `properties` object of a resource (created when absent). */
export function propertiesOf(resource: Json): Json {
  const properties = resource['properties'];
  if (isObject(properties)) return properties;
  const created: Json = {};
  resource['properties'] = created;
  return created;
}

/** The child list `properties[collection]` (securityRules, subnets, ...), created when absent. */
export function childrenOf(resource: Json, collection: string): Json[] {
  const properties = propertiesOf(resource);
  const list = properties[collection];
  if (Array.isArray(list)) return list as Json[];
  const created: Json[] = [];
  properties[collection] = created;
  return created;
}

/** The child with this name; throws naming the parent and the child when there is none. */
export function childNamed(resource: Json, collection: string, name: string): Json {
  const child = childrenOf(resource, collection).find((c) => typeof c['name'] === 'string' && c['name'].toLowerCase() === name.toLowerCase());
  if (child === undefined) throw new Error(`${String(resource['id'])} has no ${collection} entry named ${name}`);
  return child;
}

export function removeChild(resource: Json, collection: string, name: string): void {
  const list = childrenOf(resource, collection);
  const index = list.findIndex((c) => typeof c['name'] === 'string' && c['name'].toLowerCase() === name.toLowerCase());
  if (index < 0) throw new Error(`${String(resource['id'])} has no ${collection} entry named ${name}`);
  list.splice(index, 1);
}
