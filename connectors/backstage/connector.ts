import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import {
  type Connector,
  type ConnectorContext,
  type FileScope,
  parseErrorWithoutContent,
  type RawRecord,
} from '@plexus/connector-sdk';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { type BackstageConfig, backstageConfig } from './config.ts';
import { backstageMappingUrl, prepareDescriptor } from './descriptors.ts';
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
 * The files a Location's file target names, each checked by the scope: a plain target must
 * resolve inside the source's roots; a glob is expanded from its fixed prefix, which must too
 * (symlinks met while walking are not followed).
 */
async function expandTarget(files: FileScope, from: string, target: string): Promise<string[]> {
  const pattern = resolve(from, target);
  if (!pattern.includes('*')) return [await files.resolve(pattern)];
  const fixed = pattern.split(sep);
  const first = fixed.findIndex((p) => p.includes('*'));
  const root = await files.resolve(fixed.slice(0, first).join(sep) || sep);
  const out: string[] = [];
  for (const f of await expandGlob(join(root, ...fixed.slice(first)))) out.push(await files.resolve(f));
  return out;
}

async function* readDescriptors(
  config: BackstageConfig,
  ctx: ConnectorContext,
  roots: string[],
  clones: string[],
): AsyncIterable<RawRecord> {
  // Every file read below resolves, after realpath, inside the configured paths or the checkouts.
  const files: FileScope = ctx.files.scope(config.paths, { baseDir: ctx.baseDir, trusted: clones });
  const maxPlaceholder = ctx.files.settings.maxPlaceholderBytes;
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
    // A configured root that is gone or refused is the source failing, not one unreadable file.
    const path = await files.resolve(isAbsolute(root) ? root : resolve(ctx.baseDir, root));
    const info = await stat(path);
    if (info.isDirectory())
      for (const f of await walk(path, include, ctx.signal)) enqueue({ kind: 'file', path: f });
    else enqueue({ kind: 'file', path });
  }
  const http = ctx.http({ headers: config.headers, secretHeaders: Object.keys(config.headers ?? {}) });
  const display = (p: Place) => (p.kind === 'url' ? p.url : relative(ctx.baseDir, p.path) || p.path);

  while (queue.length > 0) {
    ctx.signal.throwIfAborted();
    const place = queue.shift()!;
    const origin = display(place);
    const readRelative = async (target: string): Promise<string> => {
      if (/^https?:\/\//.test(target) || place.kind === 'url') {
        if (!config.allowUrlTargets) throw new Error(`reading ${target} needs allowUrlTargets: true`);
        const url = place.kind === 'url' ? new URL(target, place.url).toString() : target;
        const body = await http.get<unknown>(url, { headers: { accept: '*/*' } });
        const text = typeof body === 'string' ? body : JSON.stringify(body);
        if (Buffer.byteLength(text) > maxPlaceholder)
          throw new Error(
            `${url} is more than the ${maxPlaceholder} bytes allowed (PLEXUS_PLACEHOLDER_MAX_BYTES)`,
          );
        return text;
      }
      return files.readText(target, { from: dirname(place.path), maxBytes: maxPlaceholder }).catch((err) => {
        throw new Error(
          /more than/.test((err as Error).message)
            ? `${(err as Error).message} (PLEXUS_PLACEHOLDER_MAX_BYTES)`
            : (err as Error).message,
        );
      });
    };
    let text: string;
    try {
      text =
        place.kind === 'file'
          ? await files.readText(place.path)
          : String(await http.get<string>(place.url, { headers: { accept: '*/*' } }));
    } catch (err) {
      ctx.reportProblem({ origin, message: `could not read ${origin}: ${(err as Error).message}` });
      continue;
    }
    const docs = parseAllDocuments(text);
    for (const [i, doc] of (Array.isArray(docs) ? docs : [docs]).entries()) {
      const where = `${origin}#${i + 1}`;
      if (doc.errors.length > 0) {
        // The parser's message quotes the offending lines; the run keeps only where it failed.
        ctx.reportProblem({
          origin: where,
          message: `invalid YAML: ${parseErrorWithoutContent(doc.errors[0], 'YAML')}`,
        });
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
      const prepared = await prepareDescriptor(data, readRelative);
      for (const message of prepared.warnings) ctx.reportProblem({ origin: where, kind: data.kind, message, warning: true });
      // Backstage's own rules, with its messages: what Backstage refuses is not imported.
      for (const message of prepared.problems) ctx.reportProblem({ origin: where, kind: data.kind, message });
      if (!prepared.data) continue;
      data = prepared.data;
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
            const optional = data.spec?.presence === 'optional';
            let found: string[];
            try {
              found = await expandTarget(files, dirname(place.path), target);
            } catch (err) {
              const missing = /does not exist$/.test((err as Error).message);
              if (!(missing && optional))
                ctx.reportProblem({ origin: where, message: `location target: ${(err as Error).message}` });
              continue;
            }
            if (found.length === 0 && !optional)
              ctx.reportProblem({ origin: where, message: `location target ${target} matches no file` });
            for (const f of found) enqueue({ kind: 'file', path: f });
          }
        }
      }
    }
  }
}

/** A repository URL git would read from the local disk: a path or `file://`. */
const localRepository = (url: string) =>
  /^file:/i.test(url) || url.startsWith('/') || url.startsWith('.') || !url.includes(':');

/**
 * Checks a repository before git clones it: a local path must be readable by the file policy;
 * a remote one must use http(s), ssh or git and its host must pass the egress policy (git opens
 * its own connections, so this is checked on the name as resolved now).
 */
async function checkRepository(url: string, ctx: ConnectorContext): Promise<void> {
  if (localRepository(url)) {
    const path = /^file:/i.test(url) ? new URL(url).pathname : url;
    const why = ctx.files.checkConfiguredPath(path, ctx.baseDir);
    if (why) throw new Error(why);
    return;
  }
  if (/^[a-z0-9+.-]+::/i.test(url))
    throw new Error('git remote helpers (transport::address) are not allowed');
  const scp = /^(?:[^@/]+@)?([^:/]+):(?!\/\/)/.exec(url);
  let host: string;
  let port: string;
  if (scp && !/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    host = scp[1];
    port = '22';
  } else {
    const u = new URL(url);
    const scheme = u.protocol.slice(0, -1).toLowerCase();
    if (!['http', 'https', 'ssh', 'git'].includes(scheme))
      throw new Error(`repository URL scheme ${scheme}: is not allowed; use https, ssh, git or a local path`);
    host = u.hostname;
    port = u.port || { http: '80', https: '443', ssh: '22', git: '9418' }[scheme]!;
  }
  await ctx.egress.check(
    `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}/`,
  );
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
  defaultMapping: backstageMappingUrl,
  mappingFunctions: backstageFunctions,
  filePaths: (config) => [
    ...config.paths.map((path, i) => ({ pointer: `/paths/${i}`, path })),
    ...config.repositories.flatMap((r, i) =>
      localRepository(r.url)
        ? [
            {
              pointer: `/repositories/${i}/url`,
              path: /^file:/i.test(r.url) ? new URL(r.url).pathname : r.url,
            },
          ]
        : [],
    ),
  ],
  async *fetch(config, ctx) {
    const clones: string[] = [];
    try {
      for (const repo of config.repositories) {
        const dir = await mkdtemp(join(tmpdir(), 'plexus-backstage-'));
        clones.push(dir);
        try {
          await checkRepository(repo.url, ctx);
        } catch (err) {
          ctx.reportProblem({ origin: repo.url, message: `not cloned: ${(err as Error).message}` });
          clones.pop();
          await rm(dir, { recursive: true, force: true });
          continue;
        }
        const args = [
          // Redirects would lead git past the host just checked; ext:: and fd:: run commands.
          '-c',
          'http.followRedirects=false',
          '-c',
          'protocol.ext.allow=never',
          '-c',
          'protocol.fd.allow=never',
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
      yield* readDescriptors(config, ctx, [...config.paths, ...clones], clones);
    } finally {
      for (const dir of clones) await rm(dir, { recursive: true, force: true });
    }
  },
};
