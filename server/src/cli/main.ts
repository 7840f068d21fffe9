/**
 * `plexus`: the command line for platform teams and CI jobs. It talks to a Plexus server over
 * the REST API only (`--url`/`PLEXUS_URL`, `--token`/`PLEXUS_TOKEN`), announces itself with
 * `x-plexus-origin: cli`, and ends with an exit code from `exitCodes`.
 *
 * @example
 * plexus apply -f catalog/ --prune          # GitOps: make the server match the folder
 * plexus push -f deployment.yaml            # CI: record what a pipeline produced
 * plexus sync github-main                   # run a source now, with a progress bar
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { parse as parseYaml, stringify } from 'yaml';
import {
  applySetPattern,
  checkPlan,
  defaultApplySet,
  executePlan,
  planApply,
  renderPlan,
  renderProblems,
  withoutInvokerSecrets,
} from './apply.ts';
import { type ApiClient, CliError, createApiClient, exitCodes } from './client.ts';
import { listFiles, mentionsBackstage, readResources } from './files.ts';
import { renderProgress } from './progress.ts';

/** Where the CLI writes, and what it reads from the environment: injectable for tests. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  /** Progress redraws in place on a terminal; elsewhere it prints a line now and then. */
  isTTY?: boolean;
  fetchImpl?: typeof fetch;
  /** How often `sync` polls the run (ms). Default 500. */
  pollMs?: number;
}

const processIo = (): CliIo => ({
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
  isTTY: process.stderr.isTTY === true,
});

type Json = Record<string, any>;

/** Reads entities from YAML/JSON/NDJSON files: single entities, lists, `entities:` lists or `kind: Entity` documents. */
async function readEntities(paths: string[], blueprint?: string, warn?: (message: string) => void): Promise<Json[]> {
  const out: Json[] = [];
  for (const file of listFiles(paths)) {
    const text = readFileSync(file, 'utf8');
    if (file.endsWith('.ndjson') || file.endsWith('.jsonl')) {
      text.split('\n').forEach((line, i) => {
        if (line.trim() === '') return;
        try {
          out.push(JSON.parse(line));
        } catch (err) {
          throw new CliError(`${file}:${i + 1}: invalid JSON: ${(err as Error).message}`, exitCodes.usage);
        }
      });
      continue;
    }
    // Backstage descriptors go through the connector's checks and mapping; their errors are the user's.
    const resources = mentionsBackstage(text) ? await readResources([file], { warn }) : await readResources([file]).catch(() => null);
    if (resources && resources.length > 0) {
      for (const r of resources) if (r.kind === 'entity') out.push(r.body);
      continue;
    }
    let data: unknown;
    try {
      data = file.endsWith('.json') ? JSON.parse(text) : (parseYaml(text) as unknown);
    } catch (err) {
      throw new CliError(`${file}: ${(err as Error).message}`, exitCodes.usage);
    }
    for (const e of Array.isArray(data) ? data : [data]) out.push(e as Json);
  }
  return out.map((e) =>
    blueprint && e && typeof e === 'object' && e.blueprint === undefined ? { ...e, blueprint } : e,
  );
}

async function waitForRun(
  api: ApiClient,
  io: CliIo,
  source: string,
  runId: string,
  options: { total: number | null; timeoutMs: number },
): Promise<Json> {
  const started = Date.now();
  let lastLine = 0;
  for (;;) {
    const { body: run } = await api.call(
      'GET',
      `/api/v1/sources/${encodeURIComponent(source)}/runs/${encodeURIComponent(runId)}`,
    );
    const done = run.status !== 'running';
    if (io.isTTY) io.stderr(`\r${renderProgress(run, options.total)}${done ? '\n' : ''}`);
    else if (done || Date.now() - lastLine >= 2000) {
      lastLine = Date.now();
      io.stderr(`${renderProgress(run, options.total)}\n`);
    }
    if (done) return run;
    if (Date.now() - started > options.timeoutMs)
      throw new CliError(
        `run ${runId} is still going after ${Math.round(options.timeoutMs / 1000)} s; follow it with GET /api/v1/sources/${source}/runs/${runId}`,
        exitCodes.failed,
      );
    await new Promise((ok) => setTimeout(ok, io.pollMs ?? 500));
  }
}

/** Builds the program. Exported for tests and for `--help` docs. */
export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('plexus')
    .description('Plexus command line: apply catalog files, push entities, sync sources, export.')
    .addOption(
      new Option('--url <url>', 'Plexus server URL (env: PLEXUS_URL; default http://127.0.0.1:4000)'),
    )
    .addOption(new Option('--token <token>', 'API token (env: PLEXUS_TOKEN)'))
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  const api = (applySet?: string): ApiClient => {
    // The environment comes from `io` (not commander's .env()), so tests run with their own.
    const o = program.opts<{ url?: string; token?: string }>();
    return createApiClient({
      url: o.url ?? io.env.PLEXUS_URL ?? 'http://127.0.0.1:4000',
      token: o.token ?? io.env.PLEXUS_TOKEN,
      fetchImpl: io.fetchImpl,
      applySet,
    });
  };

  program
    .command('apply')
    .description(
      'Make the server match YAML files of blueprints, entities, sources, scorecards and actions. The server checks every change first (a dry run of the real write) and the plan shows the fields each one changes; when any check fails, every problem is listed and nothing is written. What an apply writes is recorded in its apply set (--set, default: the folder name), which --prune uses.',
    )
    .requiredOption('-f, --file <paths...>', 'files or folders (YAML/JSON)')
    .option(
      '--set <name>',
      'apply set recorded on everything this apply writes (default: the name of the -f folder, or of the folder of the -f file)',
    )
    .option(
      '--prune',
      "delete what this apply set wrote earlier and the files no longer hold (entities only when nothing else wrote them; blueprints, scorecards, sources, actions); never another set's, a connector's or the UI's",
    )
    .option('--dry-run', 'have the server check every change, show the plan and change nothing; exits 3 on any problem')
    .option('--detailed-exitcode', `with --dry-run: exit ${exitCodes.partial} when there are changes`)
    .option(
      '--force',
      'apply blueprint changes that drop data, and re-send sources and actions (e.g. a changed secret)',
    )
    .action(
      async (opts: {
        file: string[];
        set?: string;
        prune?: boolean;
        dryRun?: boolean;
        detailedExitcode?: boolean;
        force?: boolean;
      }) => {
        const set = opts.set ?? defaultApplySet(opts.file);
        if (!applySetPattern.test(set))
          throw new CliError(
            `--set "${set}" is not an apply set name: 1-63 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit`,
            exitCodes.usage,
          );
        const resources = await readResources(opts.file, { warn: (m) => io.stderr(`warning: ${m}\n`) });
        const client = api(set);
        const plan = await planApply(client, resources, { prune: opts.prune, set });
        const problems = await checkPlan(client, plan, { force: opts.force });
        io.stdout(`Apply set: ${set}\n${renderPlan(plan)}\n`);
        const changes = plan.filter((p) => p.action !== 'unchanged').length;
        if (problems.length > 0) {
          const refused = new Set(problems.map((p) => `${p.kind} ${p.name}`)).size;
          throw new CliError(
            `the server refused ${refused} change${refused === 1 ? '' : 's'}; nothing was changed:\n${renderProblems(problems)}`,
            exitCodes.rejected,
          );
        }
        if (opts.dryRun) {
          io.stdout('Dry run: nothing was changed.\n');
          if (opts.detailedExitcode && changes > 0) setExit(exitCodes.partial);
          return;
        }
        if (changes === 0 && !opts.force) {
          io.stdout('Nothing to do.\n');
          return;
        }
        await executePlan(client, plan, { force: opts.force });
        io.stdout(`Applied ${changes} change${changes === 1 ? '' : 's'} to ${client.url}.\n`);
      },
    );

  program
    .command('push')
    .description(
      'Upsert entities from files (YAML, JSON or NDJSON) in one request per 1000: for CI pipelines.',
    )
    .requiredOption('-f, --file <paths...>', 'files or folders')
    .option('-b, --blueprint <blueprint>', 'blueprint for entities that do not name one')
    .option('--merge', 'keep properties and relations the records do not mention')
    .action(async (opts: { file: string[]; blueprint?: string; merge?: boolean }) => {
      const entities = await readEntities(opts.file, opts.blueprint, (m) => io.stderr(`warning: ${m}\n`));
      if (entities.length === 0) throw new CliError('no entities found in the files', exitCodes.usage);
      const client = api();
      const totals = { upserted: 0, created: 0, updated: 0, unchanged: 0 };
      for (let i = 0; i < entities.length; i += 1000) {
        const { body } = await client.call(
          'POST',
          `/api/v1/entities/bulk${opts.merge ? '?merge=true' : ''}`,
          { entities: entities.slice(i, i + 1000) },
        );
        for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += body[k] ?? 0;
      }
      io.stdout(
        `Pushed ${totals.upserted} entities: ${totals.created} created, ${totals.updated} updated, ${totals.unchanged} unchanged.\n`,
      );
    });

  program
    .command('sync')
    .description('Run a full sync of a source now and follow it with a progress bar.')
    .argument('<source>', 'source identifier')
    .option('--allow-mass-deletion', 'confirm a sync that would delete more than the deletion threshold')
    .option('--no-wait', 'start the run and print its id without following it')
    .option('--timeout <seconds>', 'give up following after this long', '3600')
    .action(async (source: string, opts: { allowMassDeletion?: boolean; wait: boolean; timeout: string }) => {
      const client = api();
      const { body: before } = await client.call('GET', `/api/v1/sources/${encodeURIComponent(source)}`);
      const { body: started } = await client.call(
        'POST',
        `/api/v1/sources/${encodeURIComponent(source)}/sync${opts.allowMassDeletion ? '?allowMassDeletion=true' : ''}`,
      );
      if (!opts.wait) {
        io.stdout(`${started.run}\n`);
        return;
      }
      const run = await waitForRun(client, io, source, started.run, {
        total: before.lastRun?.records || null,
        timeoutMs: Number(opts.timeout) * 1000,
      });
      io.stdout(
        `Run ${run.id} ${run.status}: ${run.records} records, ${run.created} created, ${run.updated} updated, ${run.unchanged} unchanged, ${run.deleted} deleted, ${run.errors} errors.\n`,
      );
      if (run.message) io.stdout(`${run.message}\n`);
      for (const e of (run.errorDetails ?? []).slice(0, 20))
        io.stderr(
          `  ${e.stage}${e.origin ? ` ${e.origin}` : ''}${e.identifier ? ` ${e.identifier}` : ''}${e.field ? ` ${e.field}` : ''}: ${e.message}\n`,
        );
      if (run.status === 'failed' || run.status === 'aborted') setExit(exitCodes.failed);
      else if (run.status === 'blocked') setExit(exitCodes.rejected);
      else if (run.status === 'partial') setExit(exitCodes.partial);
    });

  program
    .command('export')
    .description(
      'Write blueprints, entities, sources and actions (without secrets) and scorecards as YAML that `plexus apply` reads back.',
    )
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .option('-b, --blueprint <blueprints...>', 'only these blueprints (and their entities)')
    .option('--no-entities', 'leave entities out')
    .option('--no-sources', 'leave sources out')
    .option('--no-scorecards', 'leave scorecards out')
    .option('--no-actions', 'leave actions out')
    .action(
      async (opts: {
        output?: string;
        blueprint?: string[];
        entities: boolean;
        sources: boolean;
        scorecards: boolean;
        actions: boolean;
      }) => {
        const client = api();
        const all = (await client.call('GET', '/api/v1/blueprints')).body.blueprints as Json[];
        const chosen = opts.blueprint ? all.filter((b) => opts.blueprint!.includes(b.identifier)) : all;
        // The apply set is the server's record of who wrote it, not part of the definition.
        const strip = ({ createdAt, updatedAt, createdBy, updatedBy, applySet, ...rest }: Json) => rest;
        const docs: Json[] = [{ blueprints: chosen.map(strip) }];
        if (opts.entities) {
          const entities: Json[] = [];
          for (const bp of chosen) {
            let cursor: string | null = null;
            do {
              const { body }: { body: Json } = await client.call(
                'GET',
                `/api/v1/blueprints/${encodeURIComponent(bp.identifier)}/entities?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
              );
              for (const e of body.entities) {
                const relations = Object.fromEntries(
                  Object.entries(e.relations ?? {}).filter(
                    ([, v]) => v !== null && !(Array.isArray(v) && v.length === 0),
                  ),
                );
                entities.push({
                  blueprint: e.blueprint,
                  identifier: e.identifier,
                  ...(e.title ? { title: e.title } : {}),
                  properties: e.properties,
                  relations,
                });
              }
              cursor = body.next;
            } while (cursor);
          }
          docs.push({ entities });
        }
        if (opts.sources) {
          const sources = ((await client.call('GET', '/api/v1/sources')).body.sources as Json[]).filter(
            (s) => s.origin !== 'config',
          );
          docs.push({
            sources: sources.map((s) => ({
              identifier: s.identifier,
              type: s.type,
              config: s.config,
              ...(s.mapping ? { mapping: s.mapping } : {}),
              ...(s.schedule ? { schedule: s.schedule } : {}),
            })),
          });
        }
        if (opts.scorecards) {
          const ids = new Set(chosen.map((b) => b.identifier));
          const scorecards = (
            (await client.call('GET', '/api/v1/scorecards')).body.scorecards as Json[]
          ).filter((s) => ids.has(s.blueprint));
          if (scorecards.length > 0) {
            docs.push({
              scorecards: scorecards.map(
                ({ createdAt, updatedAt, createdBy, updatedBy, status, applySet, ...rest }: Json) => rest,
              ),
            });
          }
        }
        if (opts.actions) {
          // A server without actions answers 404: there is nothing to export then.
          const res = await client.call('GET', '/api/v1/actions', undefined, { allow: [404] });
          const listed =
            res.status === 404
              ? []
              : ((Array.isArray(res.body) ? res.body : (res.body?.actions ?? [])) as Json[]);
          const ids = new Set(chosen.map((b) => b.identifier));
          const actions = listed.filter((a) => (a.blueprint ? ids.has(a.blueprint) : !opts.blueprint));
          if (actions.length > 0) {
            docs.push({
              actions: actions.map(({ createdAt, updatedAt, createdBy, updatedBy, applySet, ...rest }: Json) =>
                // Secrets are answered masked: left out, as for sources (apply keeps the stored ones).
                withoutInvokerSecrets(rest),
              ),
            });
          }
        }
        const text = docs.map((d) => stringify(d)).join('---\n');
        if (opts.output) {
          writeFileSync(opts.output, text);
          io.stderr(`Exported ${chosen.length} blueprints to ${opts.output}.\n`);
        } else io.stdout(text);
      },
    );

  const packs = program.command('packs').description('Ready-made blueprint sets (backstage, sdlc).');
  packs
    .command('list')
    .description('List the packs the server ships.')
    .action(async () => {
      const { body } = await api().call('GET', '/api/v1/packs');
      for (const p of body.packs) io.stdout(`${p.identifier}\t${p.title}\t${p.blueprints.join(', ')}\n`);
    });
  packs
    .command('load')
    .description('Create or update the blueprints of a pack (idempotent).')
    .argument('<name>', 'pack identifier')
    .action(async (name: string) => {
      const { body } = await api().call('POST', `/api/v1/packs/${encodeURIComponent(name)}`);
      io.stdout(
        `Pack ${body.pack}: ${body.created.length} blueprints created, ${body.updated.length} updated.\n`,
      );
    });

  program
    .command('sources')
    .description('List sources with their status and last run.')
    .action(async () => {
      const { body } = await api().call('GET', '/api/v1/sources');
      for (const s of body.sources) {
        const r = s.lastRun;
        io.stdout(
          `${s.identifier}\t${s.type}\t${s.status}\t${s.entityCount} entities\t${r ? `${r.status} ${r.finishedAt ?? r.startedAt}` : 'never run'}\n`,
        );
      }
    });
  return program;
}

/**
 * Runs the CLI with `argv` (without `node` and the script) and resolves to the exit code.
 * Never calls `process.exit`, so tests run it in-process.
 */
export async function runCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  let code: number = exitCodes.ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        err.code === 'commander.help'
      )
        return exitCodes.ok;
      return exitCodes.usage;
    }
    if (err instanceof CliError) {
      io.stderr(`plexus: ${err.message}\n`);
      if (err.details.length > 0 && !err.message.includes('\n'))
        for (const d of err.details.slice(0, 20)) io.stderr(`  ${d.path ?? ''} ${d.message}\n`);
      return err.exitCode;
    }
    io.stderr(`plexus: ${(err as Error).stack ?? String(err)}\n`);
    return exitCodes.failed;
  }
}
