import { readdir, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import {
  type Connector,
  type ConnectorContext,
  parseErrorWithoutContent,
  type RawRecord,
} from '@plexus/connector-sdk';
import { type TerraformConfig, terraformConfig } from './config.ts';
import { terraformFunctions } from './mapping-functions.ts';
import { checkState, stateRecords, UnsupportedStateError } from './state.ts';

const stateFile = /\.tfstate$/;

async function stateFilesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const full = join(dir, e.name);
    // `.terraform/` holds provider plugins and the backend's own cache, never a state of record.
    if (e.isDirectory() && e.name !== '.terraform' && e.name !== '.git')
      out.push(...(await stateFilesUnder(full)));
    else if (e.isFile() && stateFile.test(e.name)) out.push(full);
  }
  return out;
}

/** The states of `paths`, each with the name its identifiers start with. */
async function* fromFiles(config: TerraformConfig, ctx: ConnectorContext): AsyncIterable<RawRecord> {
  // State files resolve, after realpath, inside the configured paths (symlinks out are refused).
  const scope = ctx.files.scope(config.paths, { baseDir: ctx.baseDir });
  for (const p of config.paths) {
    const path = await scope.resolve(isAbsolute(p) ? p : resolve(ctx.baseDir, p));
    const info = await stat(path);
    const files = info.isDirectory() ? await stateFilesUnder(path) : [path];
    for (const file of files) {
      // A file named on its own is the workspace; files under a folder keep their path in it.
      const own = info.isDirectory() ? relative(path, file).replace(stateFile, '') : undefined;
      const name = own
        ? [config.workspace, own].filter(Boolean).join('/')
        : (config.workspace ?? basename(file).replace(stateFile, ''));
      const origin = relative(ctx.baseDir, file) || file;
      let records: RawRecord[];
      try {
        const text = await scope.readText(file);
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch (err) {
          // JSON.parse quotes the text around the fault; the run keeps only where it was.
          throw new Error(parseErrorWithoutContent(err, 'JSON'));
        }
        records = stateRecords(checkState(json), {
          name,
          environment: config.environment,
          origin,
        });
      } catch (err) {
        ctx.reportProblem({ origin, message: `could not read ${origin}: ${(err as Error).message}` });
        continue;
      }
      yield* records;
    }
  }
}

/** The state an HTTP backend serves at `url`. */
async function* fromBackend(config: TerraformConfig, ctx: ConnectorContext): AsyncIterable<RawRecord> {
  const url = config.url!;
  const headers: Record<string, string> = { ...config.headers };
  if (config.username !== undefined)
    headers.authorization = `Basic ${Buffer.from(`${config.username}:${config.password ?? ''}`).toString('base64')}`;
  const http = ctx.http({ headers, secretHeaders: Object.keys(headers) });
  const body = await http.get<unknown>(url);
  // The backend answers an empty body while no state was ever written: that is a misconfigured
  // address far more often than an empty estate, so it fails rather than deleting everything.
  if (body === '' || body === null) throw new Error(`${url} holds no state`);
  const state = typeof body === 'string' ? JSON.parse(body) : body;
  const name = config.workspace ?? (new URL(url).pathname.split('/').filter(Boolean).pop() || 'default');
  yield* stateRecords(checkState(state), { name, environment: config.environment, origin: url });
}

/**
 * `terraform`: every managed resource instance of Terraform states (format version 4), from
 * files and folders or an HTTP backend, with its address, module, provider, type and selected
 * attributes; `dependencies` come along as the instances they stand for.
 */
export const terraformConnector: Connector<TerraformConfig> = {
  type: 'terraform',
  title: 'Terraform state',
  description:
    'Managed resource instances of Terraform state files (v4) or an HTTP backend, with their modules, providers, attributes and dependencies.',
  config: terraformConfig,
  defaultMapping: new URL('./mapping.yaml', import.meta.url),
  mappingFunctions: terraformFunctions,
  filePaths: (config) => config.paths.map((path, i) => ({ pointer: `/paths/${i}`, path })),
  async *fetch(config, ctx) {
    try {
      if (config.paths.length > 0) yield* fromFiles(config, ctx);
      if (config.url) yield* fromBackend(config, ctx);
    } catch (err) {
      if (err instanceof UnsupportedStateError) throw new Error(`${config.url ?? 'state'}: ${err.message}`);
      throw err;
    }
  },
};
