/**
 * The one path policy for every file a connector reads (folders, descriptors, Location targets,
 * `$text`/`$json`/`$yaml` placeholders, git checkouts, state files, dumps, kubeconfigs).
 *
 * A path is readable only when, after `realpath` (so symlinks count):
 * - it lies inside one of the scope's roots (the source's own configured files and folders, or a
 *   checkout the connector made), and
 * - the scope's roots lie inside the server-wide allowed roots (`PLEXUS_FILE_ROOTS`; checkouts
 *   the connector made itself are exempt), and
 * - it is not under a denied root: the data directory, `/proc`, `/sys` and `/etc` are never
 *   readable, whatever the allowed roots say.
 *
 * Refusals are `FileRefusedError`s whose messages name the path and the rule, never the content.
 *
 * @example
 * const scope = ctx.files.scope(['./catalog']);
 * const text = await scope.readText('./api.yaml', { from: '/srv/catalog', maxBytes: ctx.files.settings.maxPlaceholderBytes });
 */
import { realpathSync, statSync } from 'node:fs';
import { type FileHandle, open, readdir, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, resolve, sep } from 'node:path';

/** A file read the policy refused: outside the roots, denied, too large or missing. */
export class FileRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FileRefusedError';
  }
}

/** Always denied, even when an allowed root contains them. */
export const alwaysDeniedRoots: readonly string[] = ['/proc', '/sys', '/etc'];

/** Options of `createFilePolicy`. */
export interface FilePolicyOptions {
  /** Server-wide roots every source's paths must lie in (`PLEXUS_FILE_ROOTS`), absolute. */
  allowedRoots: readonly string[];
  /** More roots that are never readable, e.g. the data directory. `/proc`, `/sys`, `/etc` are always added. */
  deniedRoots?: readonly string[];
  /** Largest file a placeholder (`$text`, `$json`, `$yaml`) may read. Default 1 MiB. */
  maxPlaceholderBytes?: number;
}

/** Read options. */
export interface ReadOptions {
  /** Directory a relative target is resolved against; default the scope's first root. */
  from?: string;
  /** Refuse files larger than this many bytes. */
  maxBytes?: number;
}

/** The files one source may read. */
export interface FileScope {
  /** The scope's roots after realpath. */
  readonly roots: readonly string[];
  /**
   * Resolves `target` (relative to `from`) to its real path and checks it; throws
   * `FileRefusedError` when it is outside the roots, denied, or does not exist.
   */
  resolve(target: string, from?: string): Promise<string>;
  /** Reads a checked file as UTF-8. */
  readText(target: string, options?: ReadOptions): Promise<string>;
  /** Lists a checked directory. */
  readdir(dir: string): Promise<import('node:fs').Dirent[]>;
}

/** The policy the server builds once from its config and hands every connector. */
export interface FilePolicy {
  readonly settings: Readonly<{ allowedRoots: string[]; deniedRoots: string[]; maxPlaceholderBytes: number }>;
  /**
   * Checks a path a source's config names, when the source is saved: null when it lies inside
   * the allowed roots and outside the denied ones, else the reason.
   */
  checkConfiguredPath(path: string, baseDir: string): string | null;
  /**
   * The scope of a source: its configured `roots` (a file root admits its folder, where its
   * Location targets and placeholders live), resolved against `baseDir`, each of which must itself
   * be allowed; `trusted` roots (checkouts the connector made) need not be inside the allowed
   * roots. Without roots the scope is the server-wide allowed roots.
   */
  scope(roots?: readonly string[], options?: { baseDir?: string; trusted?: readonly string[] }): FileScope;
}

function real(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    return resolve(path);
  }
}

const inside = (path: string, root: string) =>
  path === root || path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);

/**
 * Creates the policy.
 * @example createFilePolicy({ allowedRoots: [process.cwd()], deniedRoots: [config.dataDir] })
 */
export function createFilePolicy(options: FilePolicyOptions): FilePolicy {
  const allowedRoots = options.allowedRoots.map((r) => real(resolve(r)));
  const deniedRoots = [
    ...new Set(
      [...alwaysDeniedRoots, ...(options.deniedRoots ?? [])].flatMap((r) => [resolve(r), real(resolve(r))]),
    ),
  ];
  const maxPlaceholderBytes = options.maxPlaceholderBytes ?? 1024 ** 2;

  const denied = (p: string) => deniedRoots.find((d) => inside(p, d));
  const allowedByServer = (p: string) => allowedRoots.some((r) => inside(p, r));

  function checkConfiguredPath(path: string, baseDir: string): string | null {
    const abs = isAbsolute(path) ? resolve(path) : resolve(baseDir, path);
    for (const p of [abs, real(abs)]) {
      const d = denied(p);
      if (d) return `${path} is under ${d}, which is never readable`;
      if (!allowedByServer(p))
        return `${path}${p === path ? '' : ` (${p})`} is outside the allowed file roots (PLEXUS_FILE_ROOTS: ${allowedRoots.join(', ') || 'none'})`;
    }
    return null;
  }

  function scope(
    roots?: readonly string[],
    opts: { baseDir?: string; trusted?: readonly string[] } = {},
  ): FileScope {
    const baseDir = opts.baseDir ?? process.cwd();
    const own: string[] = [];
    const refusedRoots = new Map<string, string>();
    for (const r of roots ?? allowedRoots) {
      const abs = isAbsolute(r) ? resolve(r) : resolve(baseDir, r);
      const why = checkConfiguredPath(abs, baseDir);
      if (why) {
        refusedRoots.set(abs, why);
        continue;
      }
      own.push(abs, real(abs));
    }
    for (const t of opts.trusted ?? []) own.push(resolve(t), real(resolve(t)));
    // A file root admits the folder it is in: its Location targets and placeholders are siblings.
    const withDirs = own.flatMap((r) => {
      try {
        return statSync(r).isFile() ? [dirname(r)] : [r];
      } catch {
        return [r];
      }
    });
    const scopeRoots = [...new Set(withDirs)];
    const first = scopeRoots[0] ?? baseDir;

    async function check(target: string, from?: string): Promise<string> {
      if (target.includes('\0')) throw new FileRefusedError('refused a path with a NUL byte');
      const abs = isAbsolute(target) ? resolve(target) : resolve(from ?? first, target);
      const shown = target;
      const lexicalDenied = denied(abs);
      if (lexicalDenied) throw new FileRefusedError(`refused ${shown}: ${lexicalDenied} is never readable`);
      for (const [root, why] of refusedRoots)
        if (inside(abs, root)) throw new FileRefusedError(`refused ${shown}: ${why}`);
      let path: string;
      try {
        path = await realpath(abs);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new FileRefusedError(
          code === 'ENOENT' ? `${shown} does not exist` : `${shown} cannot be resolved (${code ?? 'error'})`,
        );
      }
      const d = denied(path);
      if (d) throw new FileRefusedError(`refused ${shown}: it resolves under ${d}, which is never readable`);
      if (!scopeRoots.some((r) => inside(path, r)))
        throw new FileRefusedError(
          `refused ${shown}: it resolves${path === abs ? '' : ' (through a symlink)'} outside the source's roots (${scopeRoots.join(', ') || 'none'})`,
        );
      return path;
    }

    return {
      roots: scopeRoots,
      resolve: check,
      async readText(target, o = {}) {
        const path = await check(target, o.from);
        let fh: FileHandle;
        try {
          fh = await open(path, 'r');
        } catch (err) {
          throw new FileRefusedError(
            `${target} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
          );
        }
        try {
          const info = await fh.stat();
          if (info.isDirectory()) throw new FileRefusedError(`${target} is a folder, not a file`);
          const max = o.maxBytes ?? Number.POSITIVE_INFINITY;
          if (info.size > max)
            throw new FileRefusedError(`${target} is ${info.size} bytes, more than the ${max} allowed`);
          if (max === Number.POSITIVE_INFINITY) return await fh.readFile('utf8');
          // Read at most max + 1 bytes: a file whose size stat does not tell still cannot exceed it.
          const buf = Buffer.alloc(max + 1);
          let n = 0;
          while (n < buf.length) {
            const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
            if (bytesRead === 0) break;
            n += bytesRead;
          }
          if (n > max) throw new FileRefusedError(`${target} is more than the ${max} bytes allowed`);
          return buf.subarray(0, n).toString('utf8');
        } finally {
          await fh.close();
        }
      },
      async readdir(dir) {
        return readdir(await check(dir), { withFileTypes: true });
      },
    };
  }

  return {
    settings: { allowedRoots, deniedRoots, maxPlaceholderBytes },
    checkConfiguredPath,
    scope,
  };
}

/**
 * A parse error's message without the content it quotes (JSON.parse and YAML errors show the
 * text around the fault): what failed and where only.
 */
export function parseErrorWithoutContent(err: unknown, format: 'JSON' | 'YAML'): string {
  const message = String((err as Error)?.message ?? err);
  if (format === 'JSON') {
    const at = /position (\d+)/.exec(message);
    return `not valid JSON${at ? ` (at position ${at[1]})` : ''}`;
  }
  const at = /at line (\d+), column (\d+)/.exec(message);
  const code = (err as { code?: string })?.code;
  return `not valid YAML${code ? ` (${code})` : ''}${at ? ` at line ${at[1]}, column ${at[2]}` : ''}`;
}
