import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import type { Connector, ConnectorContext, RawRecord } from '../sdk/contract.ts';
import { type BackstageConfig, backstageConfig } from './config.ts';
import { backstageFunctions } from './entity-ref.ts';

const run = promisify(execFile);
const skipDirs = new Set(['.git', 'node_modules', '.data']);

/** Where a descriptor file is: on disk, or at a URL (Location targets of type url). */
type Place = { kind: 'file'; path: string } | { kind: 'url'; url: string };

const placeKey = (p: Place) => (p.kind === 'file' ? `file:${p.path}` : `url:${p.url}`);

function wildcard(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^/]*')}$`,
  );
}

/** Files under `dir` whose names match `include`, in a stable order. */
async function walk(dir: string, include: RegExp[], signal: AbortSignal): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    signal.throwIfAborted();
    const full = join(dir, e.name);
    if (e.isDirectory()) {
      if (!skipDirs.has(e.name)) out.push(...(await walk(full, include, signal)));
    } else if (e.isFile() && include.some((r) => r.test(e.name))) out.push(full);
  }
  return out;
}

/** Expands a file target with `*` / `**` segments (Backstage allows globs in file locations). */
async function expandGlob(pattern: string): Promise<string[]> {
  if (!pattern.includes('*')) return [pattern];
  const parts = pattern.split(sep);
  const first = parts.findIndex((p) => p.includes('*'));
  const root = parts.slice(0, first).join(sep) || sep;
  const rest = parts.slice(first);
  const regex = new RegExp(
    `^${rest
      .map((p) =>
        p === '**'
          ? '(?:.*/)?'
          : `${p
              .split('*')
              .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
              .join('[^/]*')}/`,
      )
      .join('')
      .replace(/\/$/, '')}$`,
  );
  const out: string[] = [];
  const visit = async (dir: string) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const full = join(dir, e.name);
      if (e.isDirectory() && !skipDirs.has(e.name)) await visit(full);
      else if (e.isFile() && regex.test(relative(root, full).split(sep).join('/'))) out.push(full);
    }
  };
  await visit(root);
  return out;
}

/**
 * Replaces Backstage's `$text`, `$json` and `$yaml` placeholders (e.g. an API's
 * `definition: {$text: ./openapi.yaml}`) with the referenced file's content, relative to the
 * descriptor.
 */
async function resolvePlaceholders(
  value: unknown,
  read: (target: string) => Promise<string>,
): Promise<unknown> {
  if (Array.isArray(value)) return Promise.all(value.map((v) => resolvePlaceholders(v, read)));
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    const v = value as Record<string, unknown>;
    if (
      keys.length === 1 &&
      ['$text', '$json', '$yaml'].includes(keys[0]) &&
      typeof v[keys[0]] === 'string'
    ) {
      const text = await read(v[keys[0]] as string);
      if (keys[0] === '$text') return text;
      return keys[0] === '$json' ? JSON.parse(text) : parseYaml(text);
    }
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = await resolvePlaceholders(v[k], read);
    return out;
  }
  return value;
}

async function* readDescriptors(
  config: BackstageConfig,
  ctx: ConnectorContext,
  roots: string[],
): AsyncIterable<RawRecord> {
  const include = config.include.map(wildcard);
  const queue: Place[] = [];
  const seen = new Set<string>();
  const enqueue = (p: Place) => {
    const key = placeKey(p);
    if (!seen.has(key)) {
      seen.add(key);
      queue.push(p);
    }
  };
  for (const root of roots) {
    const path = isAbsolute(root) ? root : resolve(ctx.baseDir, root);
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch {
      // A configured root that is gone is the source failing, not one unreadable file.
      throw new Error(`${path} does not exist`);
    }
    if (info.isDirectory())
      for (const f of await walk(path, include, ctx.signal)) enqueue({ kind: 'file', path: f });
    else enqueue({ kind: 'file', path });
  }
  const http = ctx.http({ headers: config.headers });
  const display = (p: Place) => (p.kind === 'url' ? p.url : relative(ctx.baseDir, p.path) || p.path);

  while (queue.length > 0) {
    ctx.signal.throwIfAborted();
    const place = queue.shift()!;
    const origin = display(place);
    const readRelative = async (target: string): Promise<string> => {
      if (/^https?:\/\//.test(target) || place.kind === 'url') {
        if (!config.allowUrlTargets) throw new Error(`reading ${target} needs allowUrlTargets: true`);
        const url = place.kind === 'url' ? new URL(target, place.url).toString() : target;
        return String(await http.get<string>(url, { headers: { accept: '*/*' } }));
      }
      return readFile(resolve(dirname(place.path), target), 'utf8');
    };
    let text: string;
    try {
      text =
        place.kind === 'file'
          ? await readFile(place.path, 'utf8')
          : String(await http.get<string>(place.url, { headers: { accept: '*/*' } }));
    } catch (err) {
      ctx.reportProblem({ origin, message: `could not read ${origin}: ${(err as Error).message}` });
      continue;
    }
    const docs = parseAllDocuments(text);
    for (const [i, doc] of (Array.isArray(docs) ? docs : [docs]).entries()) {
      const where = `${origin}#${i + 1}`;
      if (doc.errors.length > 0) {
        ctx.reportProblem({ origin: where, message: `invalid YAML: ${doc.errors[0].message}` });
        continue;
      }
      let data = doc.toJSON() as Record<string, any> | null;
      if (data === null || data === undefined) continue;
      if (typeof data !== 'object' || typeof data.kind !== 'string' || typeof data.apiVersion !== 'string') {
        ctx.reportProblem({
          origin: where,
          message: 'not a Backstage descriptor: apiVersion and kind are required',
        });
        continue;
      }
      data.metadata ??= {};
      if (data.kind === 'Location' && !data.metadata.name) {
        // Backstage names unnamed locations after their targets; the same here, so re-reads match.
        const targets = [data.spec?.target, ...(data.spec?.targets ?? [])].filter(Boolean).join('\n');
        data.metadata.name = `generated-${createHash('sha1').update(targets).digest('hex').slice(0, 12)}`;
      }
      if (typeof data.metadata.name !== 'string' || data.metadata.name === '') {
        ctx.reportProblem({ origin: where, kind: data.kind, message: 'metadata.name is required' });
        continue;
      }
      try {
        data = (await resolvePlaceholders(data, readRelative)) as Record<string, any>;
      } catch (err) {
        ctx.reportProblem({
          origin: where,
          kind: data.kind,
          message: `placeholder: ${(err as Error).message}`,
        });
        continue;
      }
      yield { kind: data.kind, data, origin: where };
      if (data.kind === 'Location' && config.followLocations) {
        const type = data.spec?.type ?? place.kind;
        const targets: string[] = [data.spec?.target, ...(data.spec?.targets ?? [])].filter(
          (t): t is string => typeof t === 'string',
        );
        for (const target of targets) {
          if (type === 'url' || /^https?:\/\//.test(target)) {
            if (!config.allowUrlTargets) {
              ctx.reportProblem({
                origin: where,
                message: `location target ${target} is a URL; set allowUrlTargets: true to read it`,
              });
              continue;
            }
            enqueue({
              kind: 'url',
              url: place.kind === 'url' ? new URL(target, place.url).toString() : target,
            });
          } else if (place.kind === 'file') {
            const files = await expandGlob(resolve(dirname(place.path), target));
            if (files.length === 0 && data.spec?.presence !== 'optional')
              ctx.reportProblem({ origin: where, message: `location target ${target} matches no file` });
            for (const f of files) enqueue({ kind: 'file', path: f });
          }
        }
      }
    }
  }
}

/**
 * `backstage`: reads `catalog-info.yaml` descriptors from files, folders and git checkouts (and
 * the files their Location entities point at) and yields one record per YAML document, of the
 * document's `kind`. The mapping loads them into the backstage pack.
 */
export const backstageConnector: Connector<BackstageConfig> = {
  type: 'backstage',
  title: 'Backstage descriptors',
  description:
    'catalog-info.yaml files from folders and git checkouts, with Location entities followed; loads into the backstage pack.',
  config: backstageConfig,
  defaultMapping: new URL('./mapping.yaml', import.meta.url),
  mappingFunctions: backstageFunctions,
  async *fetch(config, ctx) {
    const clones: string[] = [];
    try {
      for (const repo of config.repositories) {
        const dir = await mkdtemp(join(tmpdir(), 'plexus-backstage-'));
        clones.push(dir);
        const args = [
          'clone',
          '--quiet',
          '--depth',
          '1',
          ...(repo.ref ? ['--branch', repo.ref] : []),
          '--',
          repo.url,
          dir,
        ];
        try {
          await run('git', args, { signal: ctx.signal, timeout: 300_000 });
        } catch (err) {
          // A repository that cannot be cloned is a part of the source not read: no deletions this run.
          ctx.reportProblem({
            origin: repo.url,
            message: `git clone failed: ${(err as Error).message.split('\n')[0]}`,
          });
          clones.pop();
          await rm(dir, { recursive: true, force: true });
        }
      }
      yield* readDescriptors(config, ctx, [...config.paths, ...clones]);
    } finally {
      for (const dir of clones) await rm(dir, { recursive: true, force: true });
    }
  },
};
