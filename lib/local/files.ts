/**
 * Reading estate inputs from disk, for the CLI and the local file source. Everything it reads goes
 * through the estate's pure loaders (lib/estate/load.ts, template.ts).
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { parseJsonc } from '../estate/jsonc.js';
import { loadEstate, type EstateDocument } from '../estate/load.js';
import type { Estate } from '../estate/model.js';
import { resourcesFromTemplate, type TemplateResult } from '../estate/template.js';

/** A file that stops a run: unreadable, not JSON, or holding no type-bearing resource. */
export interface FileProblem {
  file: string;
  message: string;
}

export type ReadResult<T> = { ok: true; value: T } | { ok: false; problem: FileProblem };

export type EstateFilesResult = { ok: true; estate: Estate } | { ok: false; problems: FileProblem[] };

/** Reads and parses one JSON (or JSONC) file; `source` is the path as the user gave it. */
export async function readJsonFile(path: string, cwd: string = process.cwd()): Promise<ReadResult<unknown>> {
  let text: string;
  try {
    text = await readFile(resolve(cwd, path), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(error);
    return { ok: false, problem: { file: path, message: `cannot read ${path}: ${reason}` } };
  }
  const parsed = parseJsonc(text);
  if (!parsed.ok) return { ok: false, problem: { file: path, message: `${path} is not valid JSON: ${parsed.error}` } };
  return { ok: true, value: parsed.value };
}

/** Reads estate documents; every unreadable file is reported, none stops the others being read. */
export async function readEstateDocuments(
  paths: readonly string[],
  cwd: string = process.cwd(),
): Promise<{ documents: EstateDocument[]; problems: FileProblem[] }> {
  const reads = await Promise.all(paths.map((p) => readJsonFile(p, cwd)));
  const documents: EstateDocument[] = [];
  const problems: FileProblem[] = [];
  reads.forEach((read, i) => {
    if (read.ok) documents.push({ source: paths[i] ?? '', json: read.value });
    else problems.push(read.problem);
  });
  return { documents, problems };
}

/**
 * Loads an estate from files (DESIGN §5: any shape, mixed freely). A file that cannot be read,
 * is not JSON, or holds no type-bearing resource is a problem that stops the run, named by file.
 */
export async function loadEstateFiles(paths: readonly string[], cwd: string = process.cwd()): Promise<EstateFilesResult> {
  const { documents, problems } = await readEstateDocuments(paths, cwd);
  const estate = loadEstate(documents);
  for (const summary of estate.sources) {
    if (summary.resources === 0 && summary.emptyLists === 0) {
      problems.push({
        file: summary.source,
        message: `${summary.source} holds no Azure resources (no object with an ARM 'type' or resource 'id')`,
      });
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, estate };
}

/**
 * Reads an ARM template (a file, or a quickstart folder holding azuredeploy.json) with its
 * parameters file when there is one (`azuredeploy.parameters.json` beside it).
 */
export async function loadTemplateFile(
  path: string,
  cwd: string = process.cwd(),
): Promise<ReadResult<TemplateResult>> {
  const target = resolve(cwd, path);
  const file = target.endsWith('.json') ? target : join(target, 'azuredeploy.json');
  const template = await readJsonFile(file, cwd);
  if (!template.ok) return template;
  const parametersFile = join(dirname(file), basename(file).replace(/\.json$/, '.parameters.json'));
  const parameters = await readJsonFile(parametersFile, cwd);
  const label = basename(file) === 'azuredeploy.json' ? basename(dirname(file)) : basename(file, '.json');
  return {
    ok: true,
    value: resourcesFromTemplate(template.value, {
      label,
      ...(parameters.ok ? { parameters: parameters.value } : {}),
    }),
  };
}
