import { readdirSync, readFileSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { isBackstageDescriptor, mapDescriptors, prepareDescriptor } from '../../../connectors/backstage/descriptors.ts';
import { CliError, exitCodes } from './client.ts';

/** What `plexus apply` manages. */
export type ResourceKind = 'blueprint' | 'entity' | 'source' | 'scorecard' | 'action';

/** One resource read from a file, with where it came from (for messages). */
export interface Resource {
  kind: ResourceKind;
  body: Record<string, unknown>;
  origin: string;
}

const kinds: Record<string, ResourceKind> = {
  blueprint: 'blueprint',
  entity: 'entity',
  source: 'source',
  scorecard: 'scorecard',
  action: 'action',
};
const lists: Record<string, ResourceKind> = {
  blueprints: 'blueprint',
  entities: 'entity',
  sources: 'source',
  scorecards: 'scorecard',
  actions: 'action',
};

/** YAML and JSON files named directly, and those inside folders (recursively, in name order). */
export function listFiles(paths: string[]): string[] {
  const out: string[] = [];
  const visit = (p: string, explicit: boolean) => {
    let info: ReturnType<typeof statSync>;
    try {
      info = statSync(p);
    } catch {
      throw new CliError(`${p} does not exist`, exitCodes.usage);
    }
    if (info.isDirectory()) {
      for (const f of readdirSync(p).sort()) if (!f.startsWith('.')) visit(join(p, f), false);
    } else if (explicit || ['.yaml', '.yml', '.json'].includes(extname(p))) out.push(p);
  };
  for (const p of paths) visit(p, true);
  return out;
}

/** Whether a file's text holds a Backstage descriptor (`apiVersion: backstage.io/...`), to read it with readResources. */
export function mentionsBackstage(text: string): boolean {
  return /^\s*apiVersion:\s*['"]?backstage\.io\//m.test(text);
}

/** Largest file a Backstage placeholder may read (the server's default PLEXUS_PLACEHOLDER_MAX_BYTES). */
const maxPlaceholderBytes = 1024 ** 2;

/**
 * Reads a placeholder's target for a descriptor of `file`: a local path relative to it. URLs are
 * not fetched by the CLI: the field keeps the URL and a warning says so.
 */
function placeholderReader(file: string): (target: string) => Promise<string> {
  return async (target) => {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) throw new Error('the CLI reads only local files');
    const path = resolve(dirname(file), target);
    const info = await stat(path).catch(() => null);
    if (!info?.isFile()) throw new Error(`${target} is not a file next to ${file}`);
    if (info.size > maxPlaceholderBytes) throw new Error(`${target} is ${info.size} bytes, more than the ${maxPlaceholderBytes} allowed`);
    return readFile(path, 'utf8');
  };
}

/**
 * Reads resources. A document is one resource with `kind: Blueprint | Entity | Source | Scorecard
 * | Action` (the other keys are the resource as the REST API takes it), or holds lists:
 * `blueprints:`, `entities:`, `sources:`, `scorecards:`, `actions:` (the shape of a pack, and of
 * `plexus export`). A Backstage descriptor (`apiVersion: backstage.io/...`, e.g. a
 * `catalog-info.yaml`, one or many documents) becomes entities of the backstage pack through the
 * Backstage connector's own checks and mapping (connectors/backstage/descriptors.ts); a
 * descriptor Backstage would refuse is an error, a placeholder not read a warning (`warn`).
 */
export async function readResources(paths: string[], options: { warn?: (message: string) => void } = {}): Promise<Resource[]> {
  const out: Resource[] = [];
  const problems: string[] = [];
  const backstage: { data: Record<string, any>; origin: string }[] = [];
  for (const file of listFiles(paths)) {
    const docs = parseAllDocuments(readFileSync(file, 'utf8'));
    for (const [i, doc] of (Array.isArray(docs) ? docs : [docs]).entries()) {
      const where = `${file}#${i + 1}`;
      if (doc.errors.length > 0) {
        problems.push(`${where}: invalid YAML: ${doc.errors[0].message}`);
        continue;
      }
      const data = doc.toJSON();
      if (data === null || data === undefined) continue;
      if (typeof data !== 'object' || Array.isArray(data)) {
        problems.push(`${where}: a document must be a mapping`);
        continue;
      }
      if (isBackstageDescriptor(data)) {
        const prepared = await prepareDescriptor(data, placeholderReader(file));
        for (const message of prepared.warnings) options.warn?.(`${where}: ${message}`);
        for (const message of prepared.problems) problems.push(`${where}: ${message}`);
        // Entities take the place of their descriptors once mapped, below.
        if (prepared.data) backstage.push({ data: prepared.data, origin: where });
        continue;
      }
      const { kind, ...rest } = data as Record<string, unknown>;
      if (typeof kind === 'string') {
        const k = kinds[kind.toLowerCase()];
        if (!k)
          problems.push(
            `${where}: kind must be Blueprint, Entity, Source, Scorecard or Action (or a Backstage descriptor with apiVersion backstage.io/v1alpha1); got "${kind}"`,
          );
        else out.push({ kind: k, body: rest, origin: where });
        continue;
      }
      let found = false;
      for (const [key, k] of Object.entries(lists)) {
        const list = (data as Record<string, unknown>)[key];
        if (list === undefined) continue;
        found = true;
        if (!Array.isArray(list)) problems.push(`${where}: ${key} must be a list`);
        else {
          for (const [j, body] of list.entries()) {
            out.push({ kind: k, body: body as Record<string, unknown>, origin: `${where} ${key}[${j}]` });
          }
        }
      }
      if (!found)
        problems.push(`${where}: no "kind" and no blueprints/entities/sources/scorecards/actions list`);
    }
  }
  if (backstage.length > 0) {
    const mapped = await mapDescriptors(backstage);
    for (const p of mapped.problems) problems.push(`${p.origin}: ${p.message}`);
    const origins = backstage.map((b) => b.origin);
    for (const e of mapped.entities)
      out.push({ kind: 'entity', body: { ...e }, origin: `${origins.length === 1 ? origins[0] : `${origins[0]} (Backstage, ${origins.length} descriptors)`}` });
  }
  if (problems.length > 0)
    throw new CliError(`cannot read the files:\n  ${problems.join('\n  ')}`, exitCodes.usage);
  return out;
}
