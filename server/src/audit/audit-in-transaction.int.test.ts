import { createHash } from 'node:crypto';
import type { AuditEvent, WriteContext } from '@plexus/contract';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { builtInConnectors } from '../../../connectors/registry.ts';
import type { Principal } from '../auth/principal.ts';
import { openSession, readRows, writeRows } from '../db/driver.ts';
import { silentLogger } from '../log.ts';
import { createSourcesService } from '../sources/sources-service.ts';
import { startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';
import { createViewStore } from '../views/views.ts';

// The stores and services of tokens, users, teams, sources, views, saved queries, blueprints, scorecards and actions
// write the audit record of a change in the change's own transaction: called directly (no REST
// route around them), a change is on record; a change whose transaction fails leaves neither.

let px: TestPlexus;
let bp: string;
const ctx: WriteContext = { actor: 'direct-caller', source: 'cli' };

beforeAll(async () => {
  px = await startTestPlexus();
  bp = uniqueId('tx');
  const res = await px.call('POST', '/api/v1/blueprints', { identifier: bp, title: 'In transaction', schema: { properties: {} } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
});

const configured: string[] = [];
afterAll(async () => {
  // plexus.yaml sources cannot be deleted through the API.
  for (const id of configured) await writeRows(px.services.db, 'MATCH (s:_Source {identifier: $id}) DETACH DELETE s', { id });
  await px?.close();
});

/** One subject's audit events, newest first (by audit sequence, never tied), from the audit log. */
async function trail(kind: string, subject: string): Promise<AuditEvent[]> {
  return (await px.services.audit.list({ kind, subject })).events.sort((a, b) => (b.seq ?? 0) - (a.seq ?? 0));
}

const director: Principal = { id: 'direct-caller', name: 'direct-caller', kind: 'token', role: 'admin', teams: [], moderates: [] };
const actionDef = (identifier: string, secret: string, title = 'Restart') => ({
  identifier,
  title,
  blueprint: bp,
  operation: 'DAY-2',
  invoker: { type: 'webhook', url: 'https://deployer.example.com/hooks/plexus', secret },
});

const views = () => createViewStore({ db: px.services.db, models: px.services.models });
const noGraphqlProblems = async () => [];
const httpSource = (identifier: string, secret: string, extra: Record<string, unknown> = {}) => ({
  identifier,
  type: 'http-json',
  config: { url: 'http://127.0.0.1:9/items', headers: { authorization: secret } },
  mapping: { mappings: [{ kind: 'item', blueprint: bp, identifier: 'id' }] },
  ...extra,
});

describe('a change made by calling the service directly', () => {
  it('records a token creation and revocation once each, without the secret or its hash', async () => {
    const created = await px.services.tokens.create({ name: uniqueId('direct-'), role: 'viewer' }, ctx);
    const made = await trail('token', created.id);
    expect(made).toHaveLength(1);
    expect(made[0]).toMatchObject({ type: 'token.created', actor: 'direct-caller', origin: 'cli', before: null, after: { id: created.id, role: 'viewer' } });
    await px.services.tokens.delete(created.id, ctx);
    const events = await trail('token', created.id);
    expect(events.map((e) => [e.type, e.before === null, e.after === null])).toEqual([
      ['token.deleted', false, true],
      ['token.created', true, false],
    ]);
    const text = JSON.stringify(events);
    expect(text).not.toContain(created.token);
    expect(text).not.toContain(createHash('sha256').update(created.token).digest('hex'));
  });

  it('records a user change once, with the role before and after', async () => {
    const id = uniqueId('direct-user-');
    await px.services.identities.createUser({ id, role: 'viewer' }, ctx);
    expect((await trail('user', id)).map((e) => [e.type, e.before, (e.after as { role: string }).role])).toEqual([['user.created', null, 'viewer']]);
    await px.services.identities.updateUser(id, { role: 'member' }, ctx);
    const events = await trail('user', id);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ type: 'user.updated', actor: 'direct-caller', origin: 'cli', before: { role: 'viewer' }, after: { role: 'member' } });
  });

  it("records a user's removal with the revocation of each of their tokens", async () => {
    const id = uniqueId('direct-leaver-');
    await px.services.identities.createUser({ id, role: 'member' }, ctx);
    const token = await px.services.tokens.create({ name: 'laptop', role: 'member', userId: id }, ctx);
    await px.services.identities.deleteUser(id, ctx);
    expect((await trail('user', id)).map((e) => [e.type, (e.before as { id?: string } | null)?.id ?? null, e.after])).toEqual([
      ['user.deleted', id, null],
      ['user.created', null, expect.objectContaining({ id })],
    ]);
    expect((await trail('token', token.id)).map((e) => [e.type, (e.before as { userId?: string } | null)?.userId ?? null])).toEqual([
      ['token.deleted', id],
      ['token.created', null],
    ]);
  });

  it('records a team change once, with the members before and after', async () => {
    const user = uniqueId('direct-member-');
    const team = uniqueId('direct-team-');
    await px.services.identities.createUser({ id: user, role: 'member' }, ctx);
    await px.services.identities.saveTeam({ identifier: team, title: 'Direct' }, ctx, 'create');
    await px.services.identities.saveTeam({ identifier: team, members: [user] }, ctx, 'replace');
    const events = await trail('team', team);
    expect(events.map((e) => [e.type, e.actor, (e.before as { members?: string[] } | null)?.members ?? null, (e.after as { members: string[] }).members])).toEqual([
      ['team.updated', 'direct-caller', [], [user]],
      ['team.created', 'direct-caller', null, []],
    ]);
    await px.services.identities.deleteTeam(team, ctx);
    expect((await trail('team', team))[0]).toMatchObject({ type: 'team.deleted', before: { members: [user] }, after: null });
  });

  it('records a saved view change once, under its blueprint', async () => {
    const store = views();
    const view = await store.create({ blueprint: bp, name: uniqueId('Direct view '), definition: { columns: ['title'] } }, ctx);
    await store.update(view.id, { definition: { columns: ['title', 'identifier'] } }, ctx);
    const events = await trail('view', view.id);
    expect(events.map((e) => [e.type, e.blueprint, e.actor, (e.before as { definition?: unknown } | null)?.definition ?? null, (e.after as { definition: unknown }).definition])).toEqual([
      ['view.updated', bp, 'direct-caller', { columns: ['title'] }, { columns: ['title', 'identifier'] }],
      ['view.created', bp, 'direct-caller', null, { columns: ['title'] }],
    ]);
    await store.delete(view.id, ctx);
    expect((await trail('view', view.id))[0]).toMatchObject({ type: 'view.deleted', before: { id: view.id }, after: null });
  });

  it('records a saved query change once, and nothing for a save that changes nothing', async () => {
    const id = uniqueId('direct-query-');
    const body = { identifier: id, title: 'All', language: 'cypher', query: 'MATCH (n) RETURN count(n) AS n', allowUnknown: true };
    await px.services.queries.save(body, { ctx, mode: 'create', checkGraphql: noGraphqlProblems });
    await px.services.queries.save({ ...body, title: 'Everything' }, { ctx, mode: 'replace', identifier: id, checkGraphql: noGraphqlProblems });
    await px.services.queries.save({ ...body, title: 'Everything' }, { ctx, mode: 'replace', identifier: id, checkGraphql: noGraphqlProblems });
    const events = await trail('query', id);
    expect(events.map((e) => [e.type, (e.before as { title?: string } | null)?.title ?? null, (e.after as { title: string }).title])).toEqual([
      ['query.updated', 'All', 'Everything'],
      ['query.created', null, 'All'],
    ]);
    await px.services.queries.delete(id, ctx);
    expect((await trail('query', id))[0]).toMatchObject({ type: 'query.deleted', before: { title: 'Everything' }, after: null });
  });

  it('records a source change once, naming the secrets written but never their values', async () => {
    const id = uniqueId('direct-src-');
    const first = uniqueId('Bearer direct-first-');
    const second = uniqueId('Bearer direct-second-');
    await px.services.sources.create(httpSource(id, first), ctx);
    expect((await trail('source', id)).map((e) => [e.type, e.before, (e.after as { secretsWritten?: string[] }).secretsWritten])).toEqual([
      ['source.created', null, ['headers']],
    ]);
    // The same secret again, with a schedule: a change of schedule only.
    await px.services.sources.replace(id, httpSource(id, first, { schedule: '1h' }), ctx);
    // A new secret: a change the values cannot show.
    await px.services.sources.replace(id, httpSource(id, second, { schedule: '1h' }), ctx);
    const events = await trail('source', id);
    expect(events.map((e) => [e.type, e.origin, (e.after as { schedule: string | null }).schedule, (e.after as { secretsWritten?: string[] }).secretsWritten ?? null])).toEqual([
      ['source.updated', 'cli', '1h', ['headers']],
      ['source.updated', 'cli', '1h', null],
      ['source.created', 'cli', null, ['headers']],
    ]);
    await px.services.sources.remove(id, ctx);
    const all = await trail('source', id);
    expect(all[0]).toMatchObject({ type: 'source.deleted', before: { identifier: id, schedule: '1h' }, after: null });
    expect(JSON.stringify(all)).not.toMatch(/direct-first|direct-second/);
  });

  it('records an action change once each, with its secret masked', async () => {
    const id = uniqueId('direct-action-');
    const secret = uniqueId('direct-signing-secret-');
    await px.services.actions.create(director, async () => actionDef(id, secret), 'cli');
    await px.services.actions.replace(director, id, async () => actionDef(id, secret, 'Restart now'), 'cli');
    await px.services.actions.delete(director, id, 'cli');
    const events = await trail('action', id);
    expect(events.map((e) => [e.type, e.actor, e.origin, e.blueprint])).toEqual([
      ['action.deleted', 'direct-caller', 'cli', bp],
      ['action.updated', 'direct-caller', 'cli', bp],
      ['action.created', 'direct-caller', 'cli', bp],
    ]);
    expect(events[1]).toMatchObject({ before: { title: 'Restart' }, after: { title: 'Restart now' } });
    expect(JSON.stringify(events)).not.toContain(secret);
  });

  it('records a blueprint change once, and nothing for a save that changes nothing', async () => {
    const id = uniqueId('txbp');
    const definition = { identifier: id, title: 'One', schema: { properties: {} } };
    const created = await px.services.models.save([definition], { ctx, mode: 'create' });
    expect(created.events.map((e) => e.type)).toEqual(['blueprint.created']);
    await px.services.models.save([{ ...definition, title: 'Two' }], { ctx, mode: 'replace' });
    const unchanged = await px.services.models.save([{ ...definition, title: 'Two' }], { ctx, mode: 'replace' });
    expect(unchanged.events).toEqual([]);
    const events = await trail('blueprint', id);
    expect(events.map((e) => [e.type, e.actor, e.origin, (e.before as { title?: string } | null)?.title ?? null, (e.after as { title: string }).title])).toEqual([
      ['blueprint.updated', 'direct-caller', 'cli', 'One', 'Two'],
      ['blueprint.created', 'direct-caller', 'cli', null, 'One'],
    ]);
    await px.services.models.delete(id, { ctx });
    expect((await trail('blueprint', id))[0]).toMatchObject({ type: 'blueprint.deleted', before: { title: 'Two' }, after: null });
  });

  it('records a scorecard change once, under its blueprint, and nothing for a save that changes nothing', async () => {
    const id = uniqueId('txsc-');
    const card = (title: string) => ({
      identifier: id,
      title,
      blueprint: bp,
      levels: ['Basic', 'Gold'],
      rules: [{ identifier: 'has-title', title: 'Has a title', level: 'Gold', property: 'title', operator: 'isNotEmpty' }],
    });
    await px.services.scorecards.save(card('One'), { actor: 'direct-caller', mode: 'create', ctx });
    await px.services.scorecards.save(card('Two'), { actor: 'direct-caller', mode: 'replace', identifier: id, ctx });
    await px.services.scorecards.save(card('Two'), { actor: 'direct-caller', mode: 'replace', identifier: id, ctx });
    await px.services.scorecards.delete(id, ctx);
    const events = await trail('scorecard', id);
    expect(events.map((e) => [e.type, e.actor, e.origin, e.blueprint])).toEqual([
      ['scorecard.deleted', 'direct-caller', 'cli', bp],
      ['scorecard.updated', 'direct-caller', 'cli', bp],
      ['scorecard.created', 'direct-caller', 'cli', bp],
    ]);
    expect(events[1]).toMatchObject({ before: { title: 'One' }, after: { title: 'Two' } });
    expect(events[1].after).not.toHaveProperty('status');
  });
});

/** An audit row as the audit write of a change sends it (`auditRows`). */
type PendingRow = { kind?: string; subject?: string; after?: string | null };

/** Runs `query` in an auto-commit transaction (administration commands). */
async function autoCommit<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const session = openSession(px.services.db, 'WRITE');
  try {
    return (await session.run(query, params)).records.map((r) => r.toObject() as T);
  } finally {
    await session.close();
  }
}

/**
 * Runs `change` while another transaction holds the audit sequence's lock, and terminates the
 * change's transaction while it waits for that lock: by then it has written the change and is
 * writing its audit record (cypher/audit/record-events.cypher), found by `mine`. Returns what
 * `change` threw (null if it did not).
 */
async function failWhileAuditing(mine: (row: PendingRow) => boolean, change: () => Promise<unknown>): Promise<unknown> {
  await writeRows(px.services.db, "MERGE (s:_Sequence {name: 'audit'}) ON CREATE SET s.value = 0");
  const session = openSession(px.services.db, 'WRITE');
  const holder = await session.beginTransaction();
  try {
    // A real write takes the node's lock (rolled back at the end).
    await holder.run("MATCH (s:_Sequence {name: 'audit'}) SET s.heldByTest = true");
    let settled = false;
    let failure: unknown = null;
    const outcome = change().then(
      () => {
        settled = true;
      },
      (err: unknown) => {
        settled = true;
        failure = err;
      },
    );
    // Terminates the change's transaction once it waits (again, if the driver retried it).
    await vi.waitFor(
      async () => {
        if (settled) return;
        const waiting = await autoCommit<{ id: string; parameters: { events?: PendingRow[] } }>(
          'SHOW TRANSACTIONS YIELD transactionId AS id, currentQuery, parameters, status ' +
            "WHERE currentQuery CONTAINS '_Sequence' AND status STARTS WITH 'Blocked' RETURN id, parameters",
        );
        const ids = waiting.filter((t) => (t.parameters?.events ?? []).some(mine)).map((t) => t.id);
        if (ids.length > 0) await autoCommit('TERMINATE TRANSACTIONS $ids', { ids });
        throw new Error('the change has not failed yet');
      },
      { timeout: 30_000, interval: 50 },
    );
    await outcome;
    return failure;
  } finally {
    await holder.rollback();
    await session.close();
  }
}

const about = (subject: string) => (row: PendingRow) => row.subject === subject;

describe('a change whose transaction fails while its audit record is written', () => {
  it('leaves no token and no record of it', async () => {
    const name = uniqueId('doomed-token-');
    // The token's id is made inside the store: its record is known by the token's name.
    const failure = await failWhileAuditing(
      (row) => row.kind === 'token' && (row.after ?? '').includes(name),
      () => px.services.tokens.create({ name, role: 'viewer' }, ctx),
    );
    expect(failure).toBeInstanceOf(Error);
    expect((await px.services.tokens.list()).filter((t) => t.name === name)).toEqual([]);
    const [row] = await readRows<{ n: number }>(px.services.db, "MATCH (a:_AuditEvent {kind: 'token'}) WHERE a.after CONTAINS $name RETURN count(a) AS n", { name });
    expect(row.n).toBe(0);
  });

  it('leaves a user unchanged, and no record of the change', async () => {
    const id = uniqueId('doomed-user-');
    await px.services.identities.createUser({ id, role: 'viewer' }, ctx);
    const failure = await failWhileAuditing(about(id), () => px.services.identities.updateUser(id, { role: 'admin' }, ctx));
    expect(failure).toBeInstanceOf(Error);
    expect((await px.services.identities.getUser(id))?.role).toBe('viewer');
    expect((await trail('user', id)).map((e) => e.type)).toEqual(['user.created']);
  });

  it('leaves no team, and no record of it', async () => {
    const team = uniqueId('doomed-team-');
    const failure = await failWhileAuditing(about(team), () => px.services.identities.saveTeam({ identifier: team }, ctx, 'create'));
    expect(failure).toBeInstanceOf(Error);
    expect((await px.services.identities.listTeams()).some((t) => t.identifier === team)).toBe(false);
    expect(await trail('team', team)).toEqual([]);
  });

  it('leaves a saved view in place, and no record of its deletion', async () => {
    const store = views();
    const view = await store.create({ blueprint: bp, name: uniqueId('Doomed view '), definition: {} }, ctx);
    const failure = await failWhileAuditing(about(view.id), () => store.delete(view.id, ctx));
    expect(failure).toBeInstanceOf(Error);
    expect((await store.get(view.id)).id).toBe(view.id);
    expect((await trail('view', view.id)).map((e) => e.type)).toEqual(['view.created']);
  });

  it('leaves no action, and no record of it', async () => {
    const id = uniqueId('doomed-action-');
    const failure = await failWhileAuditing(about(id), () =>
      px.services.actions.create(director, async () => actionDef(id, 'a-long-enough-signing-secret'), 'cli'),
    );
    expect(failure).toBeInstanceOf(Error);
    await expect(px.services.actions.get(director, id)).rejects.toThrow(/does not exist|not found/i);
    expect(await trail('action', id)).toEqual([]);
  });

  it('leaves no saved query, and no record of it', async () => {
    const id = uniqueId('doomed-query-');
    const failure = await failWhileAuditing(about(id), () =>
      px.services.queries.save({ identifier: id, language: 'cypher', query: 'RETURN 1 AS one' }, { ctx, mode: 'create', checkGraphql: noGraphqlProblems }),
    );
    expect(failure).toBeInstanceOf(Error);
    await expect(px.services.queries.get(id)).rejects.toThrow(/does not exist/);
    expect(await trail('query', id)).toEqual([]);
  });

  it('leaves no source, and no record of it', async () => {
    const id = uniqueId('doomed-src-');
    const failure = await failWhileAuditing(about(id), () => px.services.sources.create(httpSource(id, 'Bearer doomed'), ctx));
    expect(failure).toBeInstanceOf(Error);
    await expect(px.services.sources.get(id)).rejects.toThrow(/does not exist/);
    expect(await trail('source', id)).toEqual([]);
  });

  it('leaves no scorecard, and no record of it', async () => {
    const id = uniqueId('doomed-sc-');
    const failure = await failWhileAuditing(about(id), () =>
      px.services.scorecards.save(
        { identifier: id, title: 'Doomed', blueprint: bp, levels: ['Gold'], rules: [{ identifier: 'r', title: 'R', level: 'Gold', property: 'title', operator: 'isNotEmpty' }] },
        { actor: 'direct-caller', mode: 'create', ctx },
      ),
    );
    expect(failure).toBeInstanceOf(Error);
    await expect(px.services.scorecards.get(id)).rejects.toThrow(/does not exist/);
    expect(await trail('scorecard', id)).toEqual([]);
  });

  it('leaves no blueprint, and no record of it', async () => {
    const id = uniqueId('doomedbp');
    const failure = await failWhileAuditing(about(id), () => px.services.models.save([{ identifier: id, title: 'Doomed', schema: { properties: {} } }], { ctx, mode: 'create' }));
    expect(failure).toBeInstanceOf(Error);
    await px.services.models.refresh();
    expect(px.services.models.get(id)).toBeUndefined();
    const [row] = await readRows<{ n: number }>(px.services.db, 'MATCH (b:_Blueprint {identifier: $id}) RETURN count(b) AS n', { id });
    expect(row.n).toBe(0);
    expect(await trail('blueprint', id)).toEqual([]);
  });
});

describe('a source defined in plexus.yaml', () => {
  const start = async (configured: unknown[], env: Record<string, string>) => {
    const sources = createSourcesService({ ...px.services, logger: silentLogger, connectors: builtInConnectors(), configured, env, tickMs: 0 });
    await sources.start();
    sources.stop();
  };

  it('is audited as coming from the configuration when registered or changed, and not again on a restart with the same definition', async () => {
    const id = uniqueId('yaml-audited-');
    configured.push(id);
    const definition = (schedule: string | null) => ({
      identifier: id,
      type: 'http-json',
      schedule,
      config: { url: 'http://127.0.0.1:9/items', headers: { authorization: 'Bearer ${AUDITED_TOKEN}' } },
      mapping: { mappings: [{ kind: 'item', blueprint: bp, identifier: 'id' }] },
    });
    const secret = uniqueId('from-the-environment-');
    await start([definition(null)], { AUDITED_TOKEN: secret });
    const first = await trail('source', id);
    expect(first.map((e) => [e.type, e.actor, e.origin, e.before])).toEqual([['source.created', 'plexus.yaml', 'config', null]]);
    expect(first[0].after).toMatchObject({ identifier: id, origin: 'config', secretsSet: ['headers'], secretsWritten: ['headers'] });

    // A restart with the same file and environment changes nothing.
    await start([definition(null)], { AUDITED_TOKEN: secret });
    expect(await trail('source', id)).toHaveLength(1);

    // A changed definition is on record; so is a rotated secret, as written, never as a value.
    await start([definition('1h')], { AUDITED_TOKEN: secret });
    await start([definition('1h')], { AUDITED_TOKEN: `${secret}-rotated` });
    const events = await trail('source', id);
    expect(events.map((e) => [e.type, e.actor, e.origin, (e.after as { schedule: string | null }).schedule, (e.after as { secretsWritten?: string[] }).secretsWritten ?? null])).toEqual([
      ['source.updated', 'plexus.yaml', 'config', '1h', ['headers']],
      ['source.updated', 'plexus.yaml', 'config', '1h', null],
      ['source.created', 'plexus.yaml', 'config', null, ['headers']],
    ]);
    expect(JSON.stringify(events)).not.toContain(secret);
  });
});
