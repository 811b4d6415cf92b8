/**
 * A directory of exported JSON files (any shape `nsgwatch scan` accepts) as the live source: every
 * read re-reads the files, so editing one and sending an event shows the change. Local mode uses it
 * where Azure uses ARM.
 */
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readEstateDocuments, readJsonFile } from '../local/files.js';
import { loadEstate } from '../estate/load.js';
import type { EstateSource, InventoryRead } from './types.js';

export interface FileSourceOptions {
  /** The directory whose `*.json` files hold the estate. */
  directory: string;
  /** A ServiceTags_Public JSON file or Discovery API response, if any. */
  serviceTagsFile?: string;
}

export function fileSource(options: FileSourceOptions): EstateSource {
  const directory = resolve(options.directory);

  async function readAll(): Promise<InventoryRead> {
    let names: string[];
    try {
      names = (await readdir(directory)).filter((n) => n.toLowerCase().endsWith('.json')).sort();
    } catch (error) {
      return { documents: [], failures: [{ target: directory, reason: String(error) }], reads: 1 };
    }
    const { documents, problems } = await readEstateDocuments(names.map((n) => join(directory, n)));
    return {
      documents,
      failures: problems.map((p) => ({ target: p.file, reason: p.message })),
      reads: names.length,
    };
  }

  return {
    kind: 'files',
    async subscriptions() {
      const read = await readAll();
      const estate = loadEstate(read.documents);
      const ids = new Set<string>();
      for (const map of [estate.networkSecurityGroups, estate.virtualNetworks, estate.networkInterfaces]) {
        for (const resource of map.values()) if (resource.subscriptionId) ids.add(resource.subscriptionId.toLowerCase());
      }
      return [...ids].sort();
    },
    // Files may hold several subscriptions; the evaluation judges only the scope's own resources.
    readInventory: () => readAll(),
    async serviceTags() {
      if (!options.serviceTagsFile) return undefined;
      const read = await readJsonFile(options.serviceTagsFile);
      if (!read.ok) throw new Error(read.problem.message);
      return read.value;
    },
  };
}
