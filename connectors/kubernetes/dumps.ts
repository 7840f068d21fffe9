/**
 * Reading `kubectl get -o json` (or `-o yaml`) output: a `List` of objects, a typed list from the
 * API (`DeploymentList`, whose items lack `kind`), or one object; several YAML documents per file.
 */
import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { type ConnectorContext, parseErrorWithoutContent } from '@plexus/connector-sdk';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from './client.ts';

const dumpFile = /\.(json|ya?ml)$/i;

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(full)));
    else if (e.isFile() && dumpFile.test(e.name)) out.push(full);
  }
  return out;
}

/** The objects of one parsed document. */
function objectsOf(doc: unknown): KubeObject[] {
  if (!doc || typeof doc !== 'object') return [];
  const d = doc as KubeObject & { items?: unknown };
  if (Array.isArray(d.items) && (d.kind === 'List' || d.kind?.endsWith('List'))) {
    const kind = d.kind === 'List' ? undefined : d.kind.slice(0, -'List'.length);
    return (d.items as KubeObject[]).map((i) => ({ apiVersion: d.apiVersion, kind, ...i }));
  }
  return typeof d.kind === 'string' ? [d] : [];
}

/**
 * Every object in the dumps, with where it came from. A path that does not exist fails the read
 * (the source is misconfigured); a file that does not parse is reported and skipped.
 */
export async function* readDumps(
  paths: readonly string[],
  ctx: ConnectorContext,
): AsyncIterable<{ object: KubeObject; origin: string }> {
  // Dumps resolve, after realpath, inside the configured paths (symlinks out are refused).
  const files = ctx.files.scope(paths, { baseDir: ctx.baseDir });
  for (const p of paths) {
    const path = await files.resolve(isAbsolute(p) ? p : resolve(ctx.baseDir, p));
    const info = await stat(path);
    for (const file of info.isDirectory() ? await filesUnder(path) : [path]) {
      ctx.signal.throwIfAborted();
      const origin = relative(ctx.baseDir, file) || file;
      let docs: unknown[];
      try {
        const text = await files.readText(file);
        // Parser messages quote the text around the fault; the run keeps only where it was.
        if (/\.json$/i.test(file)) {
          try {
            docs = [JSON.parse(text)];
          } catch (err) {
            throw new Error(parseErrorWithoutContent(err, 'JSON'));
          }
        } else {
          const parsed = parseAllDocuments(text);
          const list = Array.isArray(parsed) ? parsed : [parsed];
          const bad = list.find((d) => d.errors.length > 0);
          if (bad) throw new Error(parseErrorWithoutContent(bad.errors[0], 'YAML'));
          docs = list.map((d) => d.toJSON());
        }
      } catch (err) {
        ctx.reportProblem({ origin, message: `could not read ${origin}: ${(err as Error).message}` });
        continue;
      }
      for (const doc of docs) for (const object of objectsOf(doc)) yield { object, origin };
    }
  }
}
