/** Reading the shared corpus in place, for the estate tests. */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { EstateDocument } from '../../lib/estate/load.js';

export const CORPUS = resolve(process.cwd(), '../shared/corpus');
export const SEEDS = resolve(process.cwd(), '../shared/seeds');
export const REST_EXAMPLES = resolve(CORPUS, 'rest-api-examples/2021-02-01');
export const CASSETTES = resolve(CORPUS, 'peers/cloud-custodian-cassettes');
export const QUICKSTARTS = resolve(CORPUS, 'templates/arm-quickstarts');

export function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8')) as unknown;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/**
 * The response bodies of one REST API example, one document per status code that has a body
 * (`dir`: the examples of another API version, `rest-api-examples/<version>`).
 */
export function restExampleDocuments(file: string, dir: string = REST_EXAMPLES): EstateDocument[] {
  const example = record(readJson(resolve(dir, file)));
  return Object.entries(record(example['responses'])).flatMap(([status, response]) => {
    const body = record(response)['body'];
    return body === undefined ? [] : [{ source: `${file}#${status}`, json: body }];
  });
}

export function restExampleFiles(dir: string = REST_EXAMPLES): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
}

/**
 * The ARM list responses a Cloud Custodian cassette recorded: the `data` of every successful GET
 * response body (the cassette format wraps the JSON body as `{ data: ... }`).
 */
export function cassetteDocuments(file: string): EstateDocument[] {
  const cassette = record(readJson(resolve(CASSETTES, file)));
  const interactions = Array.isArray(cassette['interactions']) ? cassette['interactions'] : [];
  return interactions.flatMap((interaction, i) => {
    const request = record(record(interaction)['request']);
    const response = record(record(interaction)['response']);
    const status = record(response['status'])['code'];
    const data = record(response['body'])['data'];
    if (request['method'] !== 'GET' || status !== 200 || data === undefined) return [];
    return [{ source: `${file}#${i}`, json: data }];
  });
}

export function cassetteFiles(): string[] {
  return readdirSync(CASSETTES).filter((f) => f.endsWith('.json')).sort();
}

/**
 * The JSON outputs quoted in the NAT-gateway seed (`az network nsg show`, `az network nsg rule
 * create`, `az network vnet subnet update`, ...): every line that parses as a JSON object.
 */
export function seedJsonOutputs(): { line: number; json: unknown }[] {
  const text = readFileSync(resolve(SEEDS, '003_7f837e99410b78e2.txt'), 'utf8');
  return text.split('\n').flatMap((line, i) => {
    const trimmed = line.trim();
    if (!trimmed.startsWith('{')) return [];
    try {
      return [{ line: i + 1, json: JSON.parse(trimmed) as unknown }];
    } catch {
      return [];
    }
  });
}
