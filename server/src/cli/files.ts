import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
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

/**
 * Reads resources. A document is one resource with `kind: Blueprint | Entity | Source | Scorecard
 * | Action` (the other keys are the resource as the REST API takes it), or holds lists:
 * `blueprints:`, `entities:`, `sources:`, `scorecards:`, `actions:` (the shape of a pack, and of
 * `plexus export`).
 */
export function readResources(paths: string[]): Resource[] {
  const out: Resource[] = [];
  const problems: string[] = [];
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
      const { kind, ...rest } = data as Record<string, unknown>;
      if (typeof kind === 'string') {
        const k = kinds[kind.toLowerCase()];
        if (!k)
          problems.push(
            `${where}: kind must be Blueprint, Entity, Source, Scorecard or Action; got "${kind}"`,
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
  if (problems.length > 0)
    throw new CliError(`cannot read the files:\n  ${problems.join('\n  ')}`, exitCodes.usage);
  return out;
}
