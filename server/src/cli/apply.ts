/**
 * `plexus apply`: compares the resources in files with what the server holds, shows the plan
 * (create / update / delete) and carries it out through the REST API. With `--prune`, entities
 * and sources that an earlier apply wrote (provenance `cli`) and the files no longer hold are
 * deleted; blueprints are never pruned (deleting one deletes data, so it stays a deliberate act),
 * nor are scorecards (their history would go with them), nor actions (their runs refer to them).
 */
import { type ApiClient, CliError, exitCodes } from './client.ts';
import type { Resource, ResourceKind } from './files.ts';

/** One line of the plan. */
export interface PlanItem {
  action: 'create' | 'update' | 'delete' | 'unchanged';
  kind: ResourceKind;
  /** `service`, `service/cart`, `github-main`. */
  name: string;
  body?: Record<string, unknown>;
  origin?: string;
}

type Json = Record<string, any>;

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((k) => (value as Json)[k] !== undefined)
        .map((k) => [k, canonical((value as Json)[k])]),
    );
  }
  return value;
}

const same = (a: unknown, b: unknown) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

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
  options: { prune?: boolean } = {},
): Promise<PlanItem[]> {
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
  for (const r of resources.filter((x) => x.kind === 'blueprint')) {
    const current = blueprints.get(r.body.identifier as string);
    plan.push({
      action: !current ? 'create' : blueprintUnchanged(r.body, current) ? 'unchanged' : 'update',
      kind: 'blueprint',
      name: r.body.identifier as string,
      body: r.body,
      origin: r.origin,
    });
  }

  const entities = resources.filter((x) => x.kind === 'entity');
  const involved = [...new Set(entities.map((e) => e.body.blueprint as string))];
  const existing = new Map<string, Json>();
  for (const bp of involved) {
    if (!blueprints.has(bp)) continue;
    for (const e of await listAll(api, bp)) existing.set(`${bp}/${e.identifier}`, e);
  }
  const wanted = new Set<string>();
  for (const r of entities) {
    const name = `${r.body.blueprint}/${r.body.identifier}`;
    wanted.add(name);
    const current = existing.get(name);
    plan.push({
      action: !current ? 'create' : entityUnchanged(r.body, current) ? 'unchanged' : 'update',
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
        (r.body.schedule ?? null) === (current.schedule ?? null);
      action = unchanged ? 'unchanged' : 'update';
    }
    plan.push({ action, kind: 'source', name: id, body: r.body, origin: r.origin });
  }

  const scorecards = new Map<string, Json>(
    ((await api.call('GET', '/api/v1/scorecards')).body.scorecards as Json[]).map((s) => [s.identifier, s]),
  );
  for (const r of resources.filter((x) => x.kind === 'scorecard')) {
    const id = r.body.identifier as string;
    const current = scorecards.get(id);
    // Server-kept fields (status, timestamps) are not drift; everything the file sets must match.
    const action: PlanItem['action'] = !current ? 'create' : covers(r.body, current) ? 'unchanged' : 'update';
    plan.push({ action, kind: 'scorecard', name: id, body: r.body, origin: r.origin });
  }

  const actionFiles = resources.filter((x) => x.kind === 'action');
  if (actionFiles.length > 0) {
    // Asked only when the files hold actions, so files without them apply to servers without actions.
    const actions = new Map<string, Json>(
      listOf(await api.call('GET', '/api/v1/actions'), 'actions').map((a) => [a.identifier, a]),
    );
    for (const r of actionFiles) {
      const id = r.body.identifier as string;
      const current = actions.get(id);
      const action: PlanItem['action'] = !current
        ? 'create'
        : actionUnchanged(r.body, current)
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
  }

  if (options.prune) {
    // Only what `plexus apply` wrote: entities whose only provenance is the CLI, sources it registered.
    for (const [name, e] of existing) {
      const sourcesOf = (e.meta?.sources ?? []) as string[];
      if (!wanted.has(name) && sourcesOf.length > 0 && sourcesOf.every((s) => s === 'cli'))
        plan.push({ action: 'delete', kind: 'entity', name });
    }
    for (const [id, s] of sources)
      if (!wantedSources.has(id) && s.origin === 'cli')
        plan.push({ action: 'delete', kind: 'source', name: id });
  }
  return plan;
}

/** The plan as text, Terraform-style: `+` create, `~` update, `-` delete, then a summary line. */
export function renderPlan(plan: PlanItem[]): string {
  const sign = { create: '+', update: '~', delete: '-', unchanged: '=' } as const;
  const lines = plan
    .filter((p) => p.action !== 'unchanged')
    .map((p) => `  ${sign[p.action]} ${p.action} ${p.kind} ${p.name}`);
  const count = (a: PlanItem['action']) => plan.filter((p) => p.action === a).length;
  lines.push(
    `Plan: ${count('create')} to create, ${count('update')} to update, ${count('delete')} to delete, ${count('unchanged')} unchanged.`,
  );
  return lines.join('\n');
}

/** Carries out a plan: blueprints, then entities (bulk), then sources, scorecards, actions, then deletions. */
export async function executePlan(
  api: ApiClient,
  plan: PlanItem[],
  options: { force?: boolean } = {},
): Promise<void> {
  const creates = plan.filter((p) => p.kind === 'blueprint' && p.action === 'create');
  const newIds = new Set(creates.map((p) => p.name));
  const targetsNew = (b: Json) =>
    Object.values((b.relations ?? {}) as Json).some((r: Json) =>
      (Array.isArray(r.target) ? r.target : [r.target]).some((t: string) => newIds.has(t)),
    );
  // New blueprints that point at each other are created bare first, then given their relations.
  const later: PlanItem[] = [];
  for (const p of creates) {
    if (targetsNew(p.body!)) {
      await api.call('POST', '/api/v1/blueprints', { ...p.body, relations: {} });
      later.push(p);
    } else await api.call('POST', '/api/v1/blueprints', p.body);
  }
  for (const p of [...later, ...plan.filter((x) => x.kind === 'blueprint' && x.action === 'update')]) {
    await api.call(
      'PUT',
      `/api/v1/blueprints/${encodeURIComponent(p.name)}${options.force ? '?force=true' : ''}`,
      p.body,
    );
  }
  const entities = plan
    .filter((p) => p.kind === 'entity' && (p.action === 'create' || p.action === 'update'))
    .map((p) => p.body!);
  for (let i = 0; i < entities.length; i += 1000) {
    try {
      await api.call('POST', '/api/v1/entities/bulk', { entities: entities.slice(i, i + 1000) });
    } catch (err) {
      if (err instanceof CliError && err.details.length > 0) {
        const lines = err.details.map(
          (d) =>
            `  entity ${d.index !== undefined ? `#${d.index + i} ` : ''}${d.identifier ?? ''}${d.path ? ` ${d.path}` : ''}: ${d.message}`,
        );
        throw new CliError(`${err.message}\n${lines.join('\n')}`, err.exitCode, err.details);
      }
      throw err;
    }
  }
  for (const p of plan.filter((x) => x.kind === 'source')) {
    if (p.action === 'create') await api.call('POST', '/api/v1/sources', p.body);
    else if (p.action === 'update' || (options.force && p.action === 'unchanged'))
      await api.call('PUT', `/api/v1/sources/${encodeURIComponent(p.name)}`, p.body);
  }
  for (const p of plan.filter((x) => x.kind === 'scorecard')) {
    if (p.action === 'create') await api.call('POST', '/api/v1/scorecards', p.body);
    else if (p.action === 'update')
      await api.call('PUT', `/api/v1/scorecards/${encodeURIComponent(p.name)}`, p.body);
  }
  for (const p of plan.filter((x) => x.kind === 'action')) {
    try {
      if (p.action === 'create') await api.call('POST', '/api/v1/actions', p.body);
      else if (p.action === 'update' || (options.force && p.action === 'unchanged'))
        await api.call('PUT', `/api/v1/actions/${encodeURIComponent(p.name)}`, p.body);
    } catch (err) {
      // A refused definition: say which file and which fields.
      if (err instanceof CliError && err.details.length > 0) {
        const lines = err.details.map((d) => `  action ${p.name}${d.path ? ` ${d.path}` : ''}: ${d.message}`);
        throw new CliError(`${err.message} (${p.origin})\n${lines.join('\n')}`, err.exitCode, err.details);
      }
      throw err;
    }
  }
  for (const p of plan.filter((x) => x.action === 'delete')) {
    if (p.kind === 'entity') {
      const slash = p.name.indexOf('/');
      await api.call(
        'DELETE',
        `/api/v1/blueprints/${encodeURIComponent(p.name.slice(0, slash))}/entities/${encodeURIComponent(p.name.slice(slash + 1))}`,
      );
    } else if (p.kind === 'source') await api.call('DELETE', `/api/v1/sources/${encodeURIComponent(p.name)}`);
  }
}
