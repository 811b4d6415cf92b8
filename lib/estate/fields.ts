/**
 * Tolerant field access on ARM resources in either shape: the REST body (fields under
 * `properties`) and the SDK or az CLI model (fields flattened). Used where a few references are
 * needed from a resource without loading it into an estate. Pure.
 */

/** A field of a flattened model, else of its `properties`. */
export function field(value: unknown, key: string): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (key in record) return record[key];
  const properties = record['properties'];
  if (typeof properties === 'object' && properties !== null) return (properties as Record<string, unknown>)[key];
  return undefined;
}

export function arrayField(value: unknown, key: string): unknown[] {
  const found = field(value, key);
  return Array.isArray(found) ? found : [];
}

/** The id of a reference field (`{ id }`), if it has one. */
export function referenceId(value: unknown, key: string): string | undefined {
  const id = field(field(value, key), 'id');
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/** The ids of a list-of-references field (`[{ id }, ...]`). */
export function referenceIds(value: unknown, key: string): string[] {
  return arrayField(value, key).flatMap((item) => {
    const id = field(item, 'id');
    return typeof id === 'string' && id !== '' ? [id] : [];
  });
}

/** The ids of the ASGs an NSG's rules name, as sources or destinations (either shape). */
export function asgIdsNamedBy(nsg: unknown): string[] {
  return arrayField(nsg, 'securityRules').flatMap((rule) => [
    ...referenceIds(rule, 'sourceApplicationSecurityGroups'),
    ...referenceIds(rule, 'destinationApplicationSecurityGroups'),
  ]);
}
