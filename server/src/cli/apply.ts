/**
 * `plexus apply`: compares the resources in files with what the server holds, has the server check
 * every change with a dry run (`?dryRun=true`, the real write rolled back) and shows the plan with
 * the fields each change touches, then carries it out through the REST API, or nothing when any
 * check failed.
 *
 * Apply sets (README "GitOps with apply sets"): every write names the set (`--set`, else the
 * folder's name) in `x-plexus-apply-set`, and the server records it on what it saves, like
 * kubectl's ApplySet. `--prune` deletes only objects whose recorded set is this one and that the
 * files no longer hold: entities (only when nothing but `plexus apply` wrote them), blueprints,
 * scorecards, sources and actions. Another set's objects, a connector's, the UI's or the REST
 * API's are never pruned.
 */

import { statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { canonicalJson } from '@plexus/contract';
import { type ApiClient, CliError, exitCodes } from './client.ts';
import type { Resource, ResourceKind } from './files.ts';

/** A field a change touches, as the server's dry run answers it. */
export interface FieldChange {
  before: unknown;
  after: unknown;
  added?: string[];
  removed?: string[];
}

/** One line of the plan. */
export interface PlanItem {
  action: 'create' | 'update' | 'delete' | 'unchanged';
  kind: ResourceKind;
  /** `service`, `service/cart`, `github-main`. */
  name: string;
  body?: Record<string, unknown>;
  origin?: string;
  /** What the server's dry run says the change does to each field. */
  fields?: Record<string, FieldChange>;
  /** Checked only once the blueprint it needs exists (created by this same apply). */
  deferred?: boolean;
}

/** Something the server (or the plan) refused: where, which object, which field, why. */
export interface PlanProblem {
  origin?: string;
  kind: ResourceKind;
  name: string;
  path?: string;
  message: string;
}

/** Names of apply sets, as the server takes them. */
export const applySetPattern = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/**
 * The apply set of a run without `--set`: the name of the folder given with `-f` (for a file, the
 * folder it is in), lower-cased, other characters than letters, digits, `.`, `_` and `-` made `-`.
 * Every `-f` path must give the same name, else the set must be named.
 */
export function defaultApplySet(paths: string[]): string {
  const names = new Set(
    paths.map((p) => {
      const abs = resolve(p);
      let dir = abs;
      try {
        if (!statSync(abs).isDirectory()) dir = dirname(abs);
      } catch {
        dir = dirname(abs);
      }
      return basename(dir)
        .toLowerCase()
        .replace(/[^a-z0-9._-]+/g, '-')
        .replace(/^[^a-z0-9]+/, '')
        .slice(0, 63);
    }),
  );
  const [name] = names;
  if (names.size !== 1 || !name || !applySetPattern.test(name))
    throw new CliError(
      `cannot name the apply set from ${paths.join(', ')}${names.size > 1 ? ` (they give ${[...names].join(', ')})` : ''}: name it with --set <name>`,
      exitCodes.usage,
    );
  return name;
}

type Json = Record<string, any>;

const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);

/** True when every key the file sets has the value the server holds (server-side defaults are not drift). */
function covers(desired: unknown, current: unknown): boolean {
  if (desired && typeof desired === 'object' && !Array.isArray(desired)) {
    if (!current || typeof current !== 'object' || Array.isArray(current)) return false;
    return Object.entries(desired).every(([k, v]) => v === undefined || covers(v, (current as Json)[k]));
  }
  return same(desired, current);
}

function blueprintUnchanged(desired: Json, current: Json): boolean {
  // Same property and relation names (a removed one is a change), and every value the file sets.
  const names = (o: Json | undefined) =>
    Object.keys(o ?? {})
      .sort()
      .join(',');
  return (
    names(desired.schema?.properties) === names(current.schema?.properties) &&
    names(desired.relations) === names(current.relations) &&
    covers(desired, current)
  );
}

function normaliseRelations(relations: Json | undefined): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(relations ?? {})) {
    const list =
      v === null || v === undefined ? [] : Array.isArray(v) ? [...v].map(String).sort() : [String(v)];
    if (list.length > 0) out[k] = list;
  }
  return out;
}

function entityUnchanged(desired: Json, current: Json): boolean {
  return (
    (desired.title ?? null) === (current.title ?? null) &&
    same(desired.properties ?? {}, current.properties ?? {}) &&
    same(normaliseRelations(desired.relations), normaliseRelations(current.relations))
  );
}

/** Secret fields of an action's invoker: write-only, answered masked, so never compared. */
const invokerSecrets = ['secret', 'token'];

/** An action as the file sets it, less its invoker secrets (a changed secret alone is applied with --force). */
export function withoutInvokerSecrets(action: Json): Json {
  if (!action.invoker || typeof action.invoker !== 'object') return action;
  const invoker = { ...action.invoker };
  for (const k of invokerSecrets) delete invoker[k];
  return { ...action, invoker };
}

/** A secret the file leaves out (as `plexus export` writes it) is sent masked, which keeps the stored one. */
function keepStoredSecrets(desired: Json, current: Json): Json {
  if (
    !desired.invoker ||
    typeof desired.invoker !== 'object' ||
    desired.invoker.type !== current.invoker?.type
  )
    return desired;
  const invoker = { ...desired.invoker };
  for (const k of invokerSecrets)
    if (invoker[k] === undefined && current.invoker?.[k] === '********') invoker[k] = '********';
  return { ...desired, invoker };
}

function actionUnchanged(desired: Json, current: Json): boolean {
  // Server-kept fields (timestamps, authors) are not drift; everything the file sets must match,
  // and an invoker of another type, or with fewer settings, is a change.
  const d = withoutInvokerSecrets(desired);
  const c = withoutInvokerSecrets(current);
  const names = (o: Json | undefined) =>
    Object.keys(o ?? {})
      .sort()
      .join(',');
  return (
    names(d.invoker) === names(c.invoker) &&
    names(d.inputs?.properties) === names(c.inputs?.properties) &&
    covers(d, c)
  );
}

/** The list in a listing's body: `{"<key>": [...]}` or a bare array. */
function listOf(res: { body: unknown }, key: string): Json[] {
  const body = res.body as Json;
  return (Array.isArray(body) ? body : (body?.[key] ?? [])) as Json[];
}

/** Every entity of a blueprint the caller may read, a page of 1000 at a time. */
async function listAll(api: ApiClient, blueprint: string): Promise<Json[]> {
  const out: Json[] = [];
  let cursor: string | null = null;
  do {
    const q: string = `/api/v1/blueprints/${encodeURIComponent(blueprint)}/entities?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const { body } = await api.call('GET', q);
    out.push(...body.entities);
    cursor = body.next;
  } while (cursor);
  return out;
}

/** Compares the files' resources with the server and returns the plan, in the order it will run. */
export async function planApply(
  api: ApiClient,
  resources: Resource[],
  options: { prune?: boolean; set?: string } = {},
): Promise<PlanItem[]> {
  const set = options.set;
  // Another set's object is taken into this one (a change); one in no set joins only when it changes.
  const inSet = (current: Json | undefined) =>
    set === undefined || !current?.applySet || current.applySet === set;
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const r of resources) {
    const name = r.kind === 'entity' ? `${r.body.blueprint}/${r.body.identifier}` : String(r.body.identifier);
    if (
      typeof r.body.identifier !== 'string' ||
      (r.kind === 'entity' && typeof r.body.blueprint !== 'string')
    ) {
      problems.push(
        `${r.origin}: ${r.kind === 'entity' ? 'an entity needs blueprint and identifier' : `${r.kind === 'action' ? 'an' : 'a'} ${r.kind} needs an identifier`}`,
      );
      continue;
    }
    const key = `${r.kind}:${name}`;
    if (seen.has(key)) problems.push(`${r.origin}: ${r.kind} ${name} is also defined at ${seen.get(key)}`);
    seen.set(key, r.origin);
  }
  if (problems.length > 0)
    throw new CliError(`the files are not consistent:\n  ${problems.join('\n  ')}`, exitCodes.usage);

  const plan: PlanItem[] = [];
  const blueprints = new Map<string, Json>(
    ((await api.call('GET', '/api/v1/blueprints')).body.blueprints as Json[]).map((b) => [b.identifier, b]),
  );
  const wantedBlueprints = new Set<string>();
  for (const r of resources.filter((x) => x.kind === 'blueprint')) {
    const current = blueprints.get(r.body.identifier as string);
    wantedBlueprints.add(r.body.identifier as string);
    plan.push({
      action: !current
        ? 'create'
        : blueprintUnchanged(r.body, current) && inSet(current)
          ? 'unchanged'
          : 'update',
      kind: 'blueprint',
      name: r.body.identifier as string,
      body: r.body,
      origin: r.origin,
    });
  }

  const entities = resources.filter((x) => x.kind === 'entity');
  // With --prune every blueprint is read: this set's entities may be of any of them.
  const involved = options.prune
    ? [...blueprints.keys()]
    : [...new Set(entities.map((e) => e.body.blueprint as string))].filter((bp) => blueprints.has(bp));
  const existing = new Map<string, Json>();
  for (const bp of involved) for (const e of await listAll(api, bp)) existing.set(`${bp}/${e.identifier}`, e);
  const wanted = new Set<string>();
  for (const r of entities) {
    const name = `${r.body.blueprint}/${r.body.identifier}`;
    wanted.add(name);
    const current = existing.get(name);
    plan.push({
      action: !current
        ? 'create'
        : entityUnchanged(r.body, current) && inSet(current.meta)
          ? 'unchanged'
          : 'update',
      kind: 'entity',
      name,
      body: r.body,
      origin: r.origin,
    });
  }

  const sources = new Map<string, Json>(
    ((await api.call('GET', '/api/v1/sources')).body.sources as Json[]).map((s) => [s.identifier, s]),
  );
  const wantedSources = new Set<string>();
  for (const r of resources.filter((x) => x.kind === 'source')) {
    const id = r.body.identifier as string;
    wantedSources.add(id);
    const current = sources.get(id);
    let action: PlanItem['action'] = 'create';
    if (current) {
      // Secrets are write-only: the comparison leaves them out (a changed secret alone is applied with --force).
      const config = { ...(r.body.config as Json) };
      for (const p of current.secretsSet ?? []) if (!p.includes('/')) delete config[p];
      const unchanged =
        current.type === r.body.type &&
        same(config, current.config) &&
        same(r.body.mapping ?? null, current.mapping ?? null) &&
        (r.body.schedule ?? null) === (current.schedule ?? null) &&
        inSet(current);
      action = unchanged ? 'unchanged' : 'update';
    }
    plan.push({ action, kind: 'source', name: id, body: r.body, origin: r.origin });
  }

  const scorecards = new Map<string, Json>(
    ((await api.call('GET', '/api/v1/scorecards')).body.scorecards as Json[]).map((s) => [s.identifier, s]),
  );
  const wantedScorecards = new Set<string>();
  for (const r of resources.filter((x) => x.kind === 'scorecard')) {
    const id = r.body.identifier as string;
    wantedScorecards.add(id);
    const current = scorecards.get(id);
    // Server-kept fields (status, timestamps) are not drift; everything the file sets must match.
    const action: PlanItem['action'] = !current
      ? 'create'
      : covers(r.body, current) && inSet(current)
        ? 'unchanged'
        : 'update';
    plan.push({ action, kind: 'scorecard', name: id, body: r.body, origin: r.origin });
  }

  const actionFiles = resources.filter((x) => x.kind === 'action');
  const wantedActions = new Set<string>();
  // Asked only when needed, so files without actions apply to servers without actions.
  const actions =
    actionFiles.length > 0 || options.prune
      ? new Map<string, Json>(
          listOf(await api.call('GET', '/api/v1/actions', undefined, { allow: [404] }), 'actions').map(
            (a) => [a.identifier, a],
          ),
        )
      : new Map<string, Json>();
  for (const r of actionFiles) {
    const id = r.body.identifier as string;
    wantedActions.add(id);
    const current = actions.get(id);
    const action: PlanItem['action'] = !current
      ? 'create'
      : actionUnchanged(r.body, current) && inSet(current)
        ? 'unchanged'
        : 'update';
    plan.push({
      action,
      kind: 'action',
      name: id,
      body: current ? keepStoredSecrets(r.body, current) : r.body,
      origin: r.origin,
    });
  }

  if (options.prune) {
    if (!set) throw new CliError('--prune needs an apply set', exitCodes.usage);
    const mine = (o: Json | undefined) => o?.applySet === set;
    // Entities: recorded in this set, and written by nothing but `plexus apply`.
    const doomed = new Set<string>();
    for (const [name, e] of existing) {
      const sourcesOf = (e.meta?.sources ?? []) as string[];
      if (!wanted.has(name) && mine(e.meta) && sourcesOf.length > 0 && sourcesOf.every((s) => s === 'cli')) {
        plan.push({ action: 'delete', kind: 'entity', name });
        doomed.add(name);
      }
    }
    for (const [id, a] of actions)
      if (!wantedActions.has(id) && mine(a)) plan.push({ action: 'delete', kind: 'action', name: id });
    for (const [id, s] of scorecards)
      if (!wantedScorecards.has(id) && mine(s)) plan.push({ action: 'delete', kind: 'scorecard', name: id });
    for (const [id, s] of sources)
      if (!wantedSources.has(id) && s.origin === 'cli' && mine(s))
        plan.push({ action: 'delete', kind: 'source', name: id });
    const refused: string[] = [];
    for (const [id, b] of blueprints) {
      if (wantedBlueprints.has(id) || !mine(b)) continue;
      // A blueprint goes only with its last entity: others' entities are never deleted with it.
      const kept = [...existing.keys()].filter((n) => n.startsWith(`${id}/`) && !doomed.has(n));
      if (kept.length > 0)
        refused.push(
          `blueprint ${id} (apply set "${set}") still has ${kept.length} entit${kept.length === 1 ? 'y' : 'ies'} this apply set did not write (${kept
            .slice(0, 5)
            .map((n) => n.slice(id.length + 1))
            .join(', ')}${kept.length > 5 ? ', ...' : ''}): keep its file, or delete those entities first`,
        );
      else plan.push({ action: 'delete', kind: 'blueprint', name: id });
    }
    if (refused.length > 0)
      throw new CliError(
        `--prune refused; nothing was changed:\n  ${refused.join('\n  ')}`,
        exitCodes.rejected,
      );
  }
  return plan;
}

type ErrorBody = {
  error?: {
    message?: string;
    details?: { path?: string; index?: number; identifier?: string; message: string }[];
  };
};

/** Problems from a refused dry run: one per detail, or the message when there is none. */
function problemsOf(item: PlanItem, body: ErrorBody, status: number): PlanProblem[] {
  const err = body?.error;
  const base = { origin: item.origin, kind: item.kind, name: item.name };
  const hint =
    status === 409 && item.kind === 'blueprint' && item.action !== 'delete'
      ? ' (apply with --force to accept the data loss)'
      : '';
  if (!err?.details?.length) return [{ ...base, message: `${err?.message ?? `answered ${status}`}${hint}` }];
  return err.details.map((d) => ({ ...base, path: d.path, message: `${d.message}${hint}` }));
}

const pathOf = (item: PlanItem) => {
  const enc = encodeURIComponent;
  if (item.kind === 'entity') {
    const slash = item.name.indexOf('/');
    return `/api/v1/blueprints/${enc(item.name.slice(0, slash))}/entities/${enc(item.name.slice(slash + 1))}`;
  }
  return `/api/v1/${item.kind}s/${enc(item.name)}`;
};

/**
 * Has the server check every change of the plan with a dry run (the real write, rolled back) and
 * records the fields each change touches on the plan's items. Returns every problem found, in plan
 * order; nothing is written. Entities are checked in one request together with the blueprints
 * the plan saves (they may be new); scorecards and actions of a blueprint this plan creates are
 * checked once it exists (`deferred`, see executePlan).
 */
export async function checkPlan(
  api: ApiClient,
  plan: PlanItem[],
  options: { force?: boolean } = {},
): Promise<PlanProblem[]> {
  const problems: PlanProblem[] = [];
  const allow = [400, 403, 404, 409, 422];
  const changing = (p: PlanItem) => p.action === 'create' || p.action === 'update';
  const blueprintItems = plan.filter((p) => p.kind === 'blueprint' && changing(p));
  const newBlueprints = new Set(blueprintItems.filter((p) => p.action === 'create').map((p) => p.name));
  const targetsNew = (b: Json) =>
    Object.values((b.relations ?? {}) as Json).some((r: Json) =>
      (Array.isArray(r?.target) ? r.target : [r?.target]).some((t: string) => newBlueprints.has(t)),
    );

  // Blueprints one by one where the server can check them alone (their fields, data migrations).
  for (const p of blueprintItems) {
    if (targetsNew(p.body!)) continue;
    const res =
      p.action === 'create'
        ? await api.call('POST', '/api/v1/blueprints?dryRun=true', p.body, { allow })
        : await api.call('PUT', `${pathOf(p)}?dryRun=true${options.force ? '&force=true' : ''}`, p.body, {
            allow,
          });
    if (res.status >= 400) problems.push(...problemsOf(p, res.body, res.status));
    else p.fields = res.body.changes?.[0]?.fields;
  }

  // Blueprints together, and every entity against the model they make.
  const entityItems = plan.filter((p) => p.kind === 'entity' && changing(p));
  if (entityItems.length > 0 || blueprintItems.some((p) => targetsNew(p.body!))) {
    const res = await api.call(
      'POST',
      '/api/v1/entities/bulk?dryRun=true',
      {
        ...(blueprintItems.length > 0 ? { blueprints: blueprintItems.map((p) => p.body) } : {}),
        entities: entityItems.map((p) => p.body),
      },
      { allow },
    );
    if (res.status >= 400) {
      const body = res.body as ErrorBody;
      const details = body?.error?.details ?? [];
      if (details.length === 0)
        problems.push({
          kind: 'entity',
          name: '*',
          message: body?.error?.message ?? `answered ${res.status}`,
        });
      for (const d of details) {
        const m = /^\/blueprints\/(\d+)(.*)$/.exec(d.path ?? '');
        const item = m ? blueprintItems[Number(m[1])] : entityItems[d.index ?? -1];
        // Problems of a blueprint checked alone above are listed once.
        if (m && item && problems.some((x) => x.kind === 'blueprint' && x.name === item.name)) continue;
        problems.push({
          origin: item?.origin,
          kind: m ? 'blueprint' : 'entity',
          name: item?.name ?? d.identifier ?? '?',
          path: m ? m[2] || undefined : d.path,
          message: d.message,
        });
      }
    } else {
      (res.body.changes as { fields?: Record<string, FieldChange> }[]).forEach((c, i) => {
        if (entityItems[i]) entityItems[i].fields = c.fields;
      });
    }
  }

  for (const p of plan.filter((x) => x.kind === 'source' || x.kind === 'scorecard' || x.kind === 'action')) {
    if (!changing(p) && !(options.force && p.action === 'unchanged' && p.kind !== 'scorecard')) continue;
    if ((p.kind === 'scorecard' || p.kind === 'action') && newBlueprints.has(p.body?.blueprint as string)) {
      p.deferred = true;
      continue;
    }
    const res =
      p.action === 'create'
        ? await api.call('POST', `/api/v1/${p.kind}s?dryRun=true`, p.body, { allow })
        : await api.call('PUT', `${pathOf(p)}?dryRun=true`, p.body, { allow });
    if (res.status >= 400) problems.push(...problemsOf(p, res.body, res.status));
    else p.fields = res.body.changes?.[0]?.fields;
  }

  for (const p of plan.filter((x) => x.action === 'delete')) {
    const res = await api.call('DELETE', `${pathOf(p)}?dryRun=true`, undefined, { allow });
    if (res.status >= 400) problems.push(...problemsOf(p, res.body, res.status));
  }
  return problems;
}

/** A value in a plan line: short JSON. */
function show(v: unknown): string {
  const text = v === undefined ? 'null' : JSON.stringify(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * The plan as text, Terraform-style: `+` create, `~` update, `-` delete, each with the fields it
 * changes (`before -> after`; relations as `+added -removed` targets), then a summary line.
 */
export function renderPlan(plan: PlanItem[], options: { maxFields?: number } = {}): string {
  const max = options.maxFields ?? 20;
  const sign = { create: '+', update: '~', delete: '-', unchanged: '=' } as const;
  const lines: string[] = [];
  for (const p of plan.filter((x) => x.action !== 'unchanged')) {
    lines.push(
      `  ${sign[p.action]} ${p.action} ${p.kind} ${p.name}${p.deferred ? ' (checked once its blueprint exists)' : ''}`,
    );
    const fields = Object.entries(p.fields ?? {});
    for (const [path, f] of fields.slice(0, max)) {
      if (f.added || f.removed)
        lines.push(
          `      ${path}: ${[...(f.added ?? []).map((t) => `+${t}`), ...(f.removed ?? []).map((t) => `-${t}`)].join(' ')}`,
        );
      else if (p.action === 'create') lines.push(`      ${path}: ${show(f.after)}`);
      else lines.push(`      ${path}: ${show(f.before)} -> ${show(f.after)}`);
    }
    if (fields.length > max) lines.push(`      ... ${fields.length - max} more fields`);
  }
  const count = (a: PlanItem['action']) => plan.filter((p) => p.action === a).length;
  lines.push(
    `Plan: ${count('create')} to create, ${count('update')} to update, ${count('delete')} to delete, ${count('unchanged')} unchanged.`,
  );
  return lines.join('\n');
}

/** The problems as text: one line each, with file, object and field. */
export function renderProblems(problems: PlanProblem[]): string {
  return problems
    .map(
      (p) =>
        `  ${p.origin ? `${p.origin}: ` : ''}${p.kind} ${p.name}${p.path ? ` ${p.path}` : ''}: ${p.message}`,
    )
    .join('\n');
}

/** What a run applied before it stopped. */
function stopped(err: unknown, step: string, applied: string[], pending: string[]): CliError {
  const cause =
    err instanceof CliError ? err : new CliError((err as Error).message ?? String(err), exitCodes.failed);
  const details = cause.details.map(
    (d) =>
      `    ${d.index !== undefined ? `#${d.index} ` : ''}${d.identifier ?? ''}${d.path ? ` ${d.path}` : ''}: ${d.message}`,
  );
  const list = (items: string[]) =>
    items.length === 0 ? '    (none)' : items.map((i) => `    ${i}`).join('\n');
  return new CliError(
    `apply stopped at ${step}: ${cause.message}\n${details.join('\n')}${details.length ? '\n' : ''}  applied (${applied.length}):\n${list(applied)}\n  not applied (${pending.length}):\n${list(pending)}`,
    cause.exitCode,
    cause.details,
  );
}

/**
 * Carries out a checked plan: blueprints, then (once they exist) the deferred checks, entities
 * (bulk), sources, scorecards, actions, then deletions (entities, actions, scorecards, sources,
 * blueprints last). If a write fails, the error lists what was applied and what was not.
 */
export async function executePlan(
  api: ApiClient,
  plan: PlanItem[],
  options: { force?: boolean } = {},
): Promise<void> {
  const label = (p: PlanItem) => `${p.action} ${p.kind} ${p.name}`;
  const todo = plan.filter(
    (p) => p.action !== 'unchanged' || (options.force && (p.kind === 'source' || p.kind === 'action')),
  );
  const applied: string[] = [];
  const done = new Set<PlanItem>();
  const step = async (items: PlanItem[], name: string, work: () => Promise<unknown>) => {
    try {
      await work();
    } catch (err) {
      throw stopped(err, name, applied, todo.filter((p) => !done.has(p)).map(label));
    }
    for (const p of items) {
      done.add(p);
      applied.push(label(p));
    }
  };
  const force = options.force ? '?force=true' : '';

  const creates = todo.filter((p) => p.kind === 'blueprint' && p.action === 'create');
  const newIds = new Set(creates.map((p) => p.name));
  const targetsNew = (b: Json) =>
    Object.values((b.relations ?? {}) as Json).some((r: Json) =>
      (Array.isArray(r.target) ? r.target : [r.target]).some((t: string) => newIds.has(t)),
    );
  // New blueprints that point at each other are created bare first, then given their relations.
  const later: PlanItem[] = [];
  for (const p of creates) {
    if (targetsNew(p.body!)) {
      try {
        await api.call('POST', '/api/v1/blueprints', { ...p.body, relations: {} });
      } catch (err) {
        throw stopped(err, label(p), applied, todo.filter((x) => !done.has(x)).map(label));
      }
      later.push(p);
    } else await step([p], label(p), () => api.call('POST', '/api/v1/blueprints', p.body));
  }
  for (const p of [...later, ...todo.filter((x) => x.kind === 'blueprint' && x.action === 'update')])
    await step([p], label(p), () =>
      api.call('PUT', `/api/v1/blueprints/${encodeURIComponent(p.name)}${force}`, p.body),
    );

  // What could not be checked before its blueprint existed is checked now, before anything else is written.
  const deferred = todo.filter((p) => p.deferred);
  if (deferred.length > 0) {
    const problems = await checkPlan(
      api,
      deferred.map((p) => ({ ...p, deferred: false })),
      options,
    );
    if (problems.length > 0)
      throw stopped(
        new CliError(
          `the server refused ${problems.length} change${problems.length === 1 ? '' : 's'} checked once their blueprint existed:\n${renderProblems(problems)}`,
          exitCodes.rejected,
        ),
        'the checks of scorecards and actions of new blueprints',
        applied,
        todo.filter((x) => !done.has(x)).map(label),
      );
  }

  const entities = todo.filter((p) => p.kind === 'entity' && p.action !== 'delete');
  for (let i = 0; i < entities.length; i += 1000) {
    const slice = entities.slice(i, i + 1000);
    await step(slice, `entities ${i + 1}-${i + slice.length} of ${entities.length}`, () =>
      api.call('POST', '/api/v1/entities/bulk', { entities: slice.map((p) => p.body) }),
    );
  }
  for (const kind of ['source', 'scorecard', 'action'] as const) {
    for (const p of todo.filter((x) => x.kind === kind && x.action !== 'delete')) {
      await step([p], `${label(p)}${p.origin ? ` (${p.origin})` : ''}`, () =>
        p.action === 'create'
          ? api.call('POST', `/api/v1/${kind}s`, p.body)
          : api.call('PUT', `/api/v1/${kind}s/${encodeURIComponent(p.name)}`, p.body),
      );
    }
  }
  for (const kind of ['entity', 'action', 'scorecard', 'source', 'blueprint'] as const) {
    for (const p of todo.filter((x) => x.kind === kind && x.action === 'delete'))
      await step([p], label(p), () => api.call('DELETE', pathOf(p)));
  }
}
