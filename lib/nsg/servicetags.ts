/**
 * Service tag data: the weekly ServiceTags_Public JSON file (`{ changeNumber, cloud, values }`)
 * and the Discovery / Service Tag Information API shapes (`{ values }` or `{ value }`). Prefix
 * lists are kept raw and turned into address sets lazily, per tag, on first use.
 */
import type { AddressSet, ServiceTagData, ServiceTagParseResult } from './types.js';
import { addressesFromPrefixes } from './addresses.js';
import { isRecord } from './values.js';


/** Parses service tag JSON (text or an already parsed value); unknown shapes are an error. */
export function parseServiceTags(json: unknown): ServiceTagParseResult {
  let doc: unknown = json;
  if (typeof json === 'string') {
    try {
      doc = JSON.parse(json);
    } catch (error) {
      return { ok: false, error: `service tag data is not JSON: ${(error as Error).message}` };
    }
  }
  const entries = Array.isArray(doc) ? doc : isRecord(doc) ? (doc['values'] ?? doc['value']) : undefined;
  if (!Array.isArray(entries)) {
    return { ok: false, error: 'service tag data has no "values" (or "value") list of tags' };
  }
  const raw = new Map<string, { name: string; prefixes: readonly unknown[] }>();
  const names: string[] = [];
  for (const [index, entry] of entries.entries()) {
    if (!isRecord(entry)) return { ok: false, error: `service tag entry ${index} is not an object` };
    const name = entry['name'] ?? entry['id'];
    const properties = entry['properties'];
    const prefixes = isRecord(properties) ? properties['addressPrefixes'] : entry['addressPrefixes'];
    if (typeof name !== 'string' || name === '') return { ok: false, error: `service tag entry ${index} has no name` };
    if (!Array.isArray(prefixes)) return { ok: false, error: `service tag ${name} has no addressPrefixes list` };
    const key = name.toLowerCase();
    if (!raw.has(key)) names.push(name);
    raw.set(key, { name, prefixes });
  }
  const docRecord = isRecord(doc) ? doc : {};
  const changeNumber = docRecord['changeNumber'];
  const cloud = docRecord['cloud'];
  const built = new Map<string, AddressSet>();
  const problems: string[] = [];
  const data: ServiceTagData = {
    changeNumber: typeof changeNumber === 'string' || typeof changeNumber === 'number' ? String(changeNumber) : '',
    cloud: typeof cloud === 'string' ? cloud : '',
    names,
    problems,
    has: (name) => raw.has(name.trim().toLowerCase()),
    addressSet: (name) => {
      const key = name.trim().toLowerCase();
      const cached = built.get(key);
      if (cached) return cached;
      const entry = raw.get(key);
      if (!entry) return undefined;
      const texts = entry.prefixes.filter((p): p is string => typeof p === 'string');
      const { set, invalid } = addressesFromPrefixes(texts);
      const nonStrings = entry.prefixes.length - texts.length;
      for (const bad of invalid) problems.push(`service tag ${entry.name}: '${bad}' is not a CIDR prefix`);
      if (nonStrings > 0) problems.push(`service tag ${entry.name}: ${nonStrings} prefixes are not strings`);
      built.set(key, set);
      return set;
    },
  };
  return { ok: true, data };
}
