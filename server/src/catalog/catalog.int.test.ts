import type { ChangeEvent } from '@plexus/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRows } from '../db/driver.ts';
import { silentLogger } from '../log.ts';
import { startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';
import { createCatalog } from './catalog.ts';

let px: TestPlexus;
let team: string;
let resource: string;
let svc: string;
let lib: string;

beforeAll(async () => {
  px = await startTestPlexus();
  team = uniqueId('team');
  resource = uniqueId('res');
  lib = uniqueId('lib');
  svc = uniqueId('svc');
  const res = await px.call('POST', `/api/v1/blueprints`, { identifier: team, title: 'Team', schema: { properties: {} } });
  expect(res.status).toBe(201);
  await px.call('POST', `/api/v1/blueprints`, { identifier: resource, title: 'Resource', schema: { properties: { kind: { type: 'string' } } } });
  await px.call('POST', `/api/v1/blueprints`, { identifier: lib, title: 'Library', schema: { properties: {} } });
  const s = await px.call('POST', '/api/v1/blueprints', {
    identifier: svc,
    title: 'Service',
    schema: {
      properties: {
        language: { type: 'string', enum: ['go', 'ts', 'java'] },
        tier: { type: 'integer', minimum: 1, maximum: 3 },
        url: { type: 'string', format: 'url' },
        tags: { type: 'array', items: { type: 'string' } },
        annotations: { type: 'object' },
        lifecycle: { type: 'string', default: 'production' },
      },
      required: ['language'],
    },
    relations: {
      dependsOnRuntime: { target: resource, many: true },
      dependsOnStorage: { target: resource, many: true },
      ownedBy: { target: team, many: false },
      uses: { target: [lib, resource], many: true },
    },
  });
  expect(s.status).toBe(201);
});
afterAll(async () => {
  await px?.close();
});

const relCount = async (type: string, from: string, to: string) => {
  const label = (id: string) => id.charAt(0).toUpperCase() + id.slice(1);
  const [row] = await readRows<{ n: number }>(
    px.services.db,
    `MATCH (:${label(svc)} {identifier: $from})-[r]->(:Entity {identifier: $to}) WHERE type(r) = $type RETURN count(r) AS n`,
    { from, to, type },
  );
  return row.n;
};

describe('entity upsert', () => {
  it('creates an entity (201), then updates it (200), storing typed properties', async () => {
    const created = await px.call('POST', `/api/v1/blueprints/${svc}/entities`, {
      identifier: 'cart',
      title: 'Cart',
      properties: { language: 'ts', tier: 1, tags: ['a', 'b'], annotations: { 'x/y': 1 } },
    });
    expect(created.status).toBe(201);
    expect(created.body.properties).toEqual({ language: 'ts', tier: 1, tags: ['a', 'b'], annotations: { 'x/y': 1 }, lifecycle: 'production' });
    expect(created.body.meta.createdBy).toBe('admin');
    expect(created.body.meta.sources).toEqual(['api']);
    const updated = await px.call('POST', `/api/v1/blueprints/${svc}/entities`, { identifier: 'cart', properties: { language: 'go' } });
    expect(updated.status).toBe(200);
    expect(updated.body.properties).toEqual({ language: 'go', lifecycle: 'production' });
    const [row] = await readRows<{ tier: unknown; ann: unknown }>(px.services.db, `MATCH (n:Entity {identifier: 'cart', _blueprint: $bp}) RETURN n.tier AS tier, n.annotations AS ann`, { bp: svc });
    expect(row).toEqual({ tier: null, ann: null });
  });

  it('stamps meta properties on the node', async () => {
    await px.call('POST', `/api/v1/blueprints/${svc}/entities`, { identifier: 'meta', properties: { language: 'go' } }, { headers: { 'x-plexus-origin': 'cli' } });
    const [row] = await readRows<Record<string, unknown>>(
      px.services.db,
      'MATCH (n:Entity {identifier: "meta", _blueprint: $bp}) RETURN n._createdAt AS c, n._updatedAt AS u, n._createdBy AS cb, n._updatedBy AS ub, n._sources AS s, labels(n) AS labels',
      { bp: svc },
    );
    expect(row.cb).toBe('admin');
    expect(row.ub).toBe('admin');
    expect(typeof row.c).toBe('string');
    expect(row.s).toEqual(['cli']);
    expect(row.labels).toEqual(expect.arrayContaining(['Entity', svc.charAt(0).toUpperCase() + svc.slice(1)]));
  });

  it('keeps unmentioned properties and relations with ?merge=true', async () => {
    await px.call('POST', `/api/v1/blueprints/${team}/entities`, { identifier: 'payments' });
    await px.call('POST', `/api/v1/blueprints/${svc}/entities`, { identifier: 'm1', properties: { language: 'ts', tier: 2 }, relations: { ownedBy: 'payments' } });
    const merged = await px.call('POST', `/api/v1/blueprints/${svc}/entities?merge=true`, { identifier: 'm1', properties: { tier: 3 } });
    expect(merged.status).toBe(200);
    expect(merged.body.properties).toMatchObject({ language: 'ts', tier: 3 });
    expect(merged.body.relations.ownedBy).toBe('payments');
  });

  it('writes two relations between the same two blueprints as distinct relationship types', async () => {
    await px.call('POST', '/api/v1/entities/bulk', {
      entities: [
        { blueprint: resource, identifier: 'cart-cluster', properties: { kind: 'k8s' } },
        { blueprint: resource, identifier: 'cart-db', properties: { kind: 'postgres' } },
        { blueprint: svc, identifier: 'two-rels', properties: { language: 'go' }, relations: { dependsOnRuntime: ['cart-cluster'], dependsOnStorage: ['cart-db'] } },
      ],
    });
    expect(await relCount('DEPENDS_ON_RUNTIME', 'two-rels', 'cart-cluster')).toBe(1);
    expect(await relCount('DEPENDS_ON_STORAGE', 'two-rels', 'cart-db')).toBe(1);
    expect(await relCount('DEPENDS_ON_RUNTIME', 'two-rels', 'cart-db')).toBe(0);
    const e = await px.call('GET', `/api/v1/blueprints/${svc}/entities/two-rels`);
    expect(e.body.relations).toEqual({ dependsOnRuntime: ['cart-cluster'], dependsOnStorage: ['cart-db'], ownedBy: null, uses: [] });
  });

  it('replaces a relation\'s targets on update', async () => {
    await px.call('POST', `/api/v1/blueprints/${svc}/entities`, { identifier: 'two-rels', properties: { language: 'go' }, relations: { dependsOnRuntime: ['cart-db'] } });
    expect(await relCount('DEPENDS_ON_RUNTIME', 'two-rels', 'cart-cluster')).toBe(0);
    expect(await relCount('DEPENDS_ON_RUNTIME', 'two-rels', 'cart-db')).toBe(1);
    expect(await relCount('DEPENDS_ON_STORAGE', 'two-rels', 'cart-db')).toBe(0);
  });

  it('writes polymorphic targets given as blueprint:identifier', async () => {
    await px.call('POST', `/api/v1/blueprints/${lib}/entities`, { identifier: 'core-kafka' });
    const res = await px.call('POST', `/api/v1/blueprints/${svc}/entities`, {
      identifier: 'poly',
      properties: { language: 'go' },
      relations: { uses: [`${lib}:core-kafka`, `${resource}:cart-db`] },
    });
    expect(res.status).toBe(201);
    expect(res.body.relations.uses).toEqual([`${lib}:core-kafka`, `${resource}:cart-db`]);
    expect(await relCount('USES', 'poly', 'core-kafka')).toBe(1);
  });

  it('keeps a relation to a missing entity and resolves it when the entity arrives', async () => {
    const res = await px.call('POST', `/api/v1/blueprints/${svc}/entities`, { identifier: 'early', properties: { language: 'go' }, relations: { ownedBy: 'late-team' } });
    expect(res.status).toBe(201);
    expect(res.body.relations.ownedBy).toBe('late-team');
    expect(await relCount('OWNED_BY', 'early', 'late-team')).toBe(0);
    await px.call('POST', `/api/v1/blueprints/${team}/entities`, { identifier: 'late-team' });
    expect(await relCount('OWNED_BY', 'early', 'late-team')).toBe(1);
    const [pending] = await readRows<{ n: number }>(px.services.db, 'MATCH (p:_Pending {targetIdentifier: "late-team"}) RETURN count(p) AS n');
    expect(pending.n).toBe(0);
  });

  it('treats a write of identical data as a no-op: no write, no event', async () => {
    const seen: ChangeEvent[] = [];
    const off = px.services.events.on((evts) => {
      seen.push(...evts);
    });
    const body = { identifier: 'same', properties: { language: 'java', tags: ['x'] }, relations: { dependsOnRuntime: ['cart-db'] } };
    await px.call('POST', `/api/v1/blueprints/${svc}/entities`, body);
    const [{ u: first }] = await readRows<{ u: string }>(px.services.db, 'MATCH (n:Entity {identifier: "same", _blueprint: $bp}) RETURN n._updatedAt AS u', { bp: svc });
    const again = await px.call('POST', '/api/v1/entities/bulk', { entities: [{ blueprint: svc, ...body }] });
    expect(again.body).toEqual({ upserted: 1, created: 0, updated: 0, unchanged: 1 });
    const [{ u: second }] = await readRows<{ u: string }>(px.services.db, 'MATCH (n:Entity {identifier: "same", _blueprint: $bp}) RETURN n._updatedAt AS u', { bp: svc });
    expect(second).toBe(first);
    await new Promise((r) => setImmediate(r));
    off();
    expect(seen.filter((e) => e.type.startsWith('entity.') && 'identifier' in e && e.identifier === 'same').map((e) => e.type)).toEqual(['entity.created']);
  });

  it('emits created, updated and deleted events with before and after', async () => {
    const seen: ChangeEvent[] = [];
    const off = px.services.events.on((evts) => {
      seen.push(...evts);
    });
    await px.call('POST', `/api/v1/blueprints/${svc}/entities`, { identifier: 'ev', properties: { language: 'go' } });
    await px.call('POST', `/api/v1/blueprints/${svc}/entities`, { identifier: 'ev', properties: { language: 'ts' } });
    await px.call('DELETE', `/api/v1/blueprints/${svc}/entities/ev`);
    await new Promise((r) => setImmediate(r));
    off();
    const mine = seen.filter((e) => 'identifier' in e && e.identifier === 'ev');
    expect(mine.map((e) => e.type)).toEqual(['entity.created', 'entity.updated', 'entity.deleted']);
    const [created, updated, deleted] = mine as Extract<ChangeEvent, { identifier: string }>[];
    expect(created.before).toBeNull();
    expect(updated.before?.properties.language).toBe('go');
    expect(updated.after?.properties.language).toBe('ts');
    expect(deleted.after).toBeNull();
    expect(deleted.before?.properties.language).toBe('ts');
    expect(created.actor).toBe('admin');
  });

  it('deletes an entity with its relationships', async () => {
    await px.call('POST', `/api/v1/blueprints/${svc}/entities`, { identifier: 'gone', properties: { language: 'go' }, relations: { dependsOnRuntime: ['cart-db'] } });
    const del = await px.call('DELETE', `/api/v1/blueprints/${svc}/entities/gone`);
    expect(del.status).toBe(200);
    expect((await px.call('GET', `/api/v1/blueprints/${svc}/entities/gone`)).status).toBe(404);
    expect(await relCount('DEPENDS_ON_RUNTIME', 'gone', 'cart-db')).toBe(0);
    expect((await px.call('DELETE', `/api/v1/blueprints/${svc}/entities/gone`)).status).toBe(404);
  });

  it('pages through a blueprint with a cursor', async () => {
    const entities = Array.from({ length: 25 }, (_, i) => ({ blueprint: lib, identifier: `page-${String(i).padStart(2, '0')}` }));
    await px.call('POST', '/api/v1/entities/bulk', { entities });
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { body: { entities: { identifier: string }[]; next: string | null } } = await px.call('GET', `/api/v1/blueprints/${lib}/entities?limit=10${cursor ? `&cursor=${cursor}` : ''}`);
      ids.push(...res.body.entities.map((e) => e.identifier));
      cursor = res.body.next;
      pages++;
    } while (cursor);
    expect(ids.filter((i) => i.startsWith('page-'))).toEqual(entities.map((e) => e.identifier));
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  it('accepts NDJSON bulk bodies', async () => {
    const lines = [0, 1, 2].map((i) => JSON.stringify({ blueprint: lib, identifier: `nd-${i}` })).join('\n');
    const res = await px.call('POST', '/api/v1/entities/bulk', lines, { headers: { 'content-type': 'application/x-ndjson' } });
    expect(res.status).toBe(200);
    expect(res.body.created).toBe(3);
  });
});

describe('bad input', () => {
  it('rejects a bulk request with one bad record, naming it, and writes nothing', async () => {
    const res = await px.call('POST', '/api/v1/entities/bulk', {
      entities: [
        { blueprint: svc, identifier: 'ok-1', properties: { language: 'go' } },
        { blueprint: svc, identifier: 'bad-1', properties: { language: 'cobol', tier: 9 } },
        { blueprint: svc, identifier: 'ok-2', properties: { language: 'ts' } },
      ],
    });
    expect(res.status).toBe(422);
    expect(res.body.error.details).toHaveLength(2);
    expect(res.body.error.details.every((d: { index: number; identifier: string }) => d.index === 1 && d.identifier === 'bad-1')).toBe(true);
    expect(res.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['/properties/language', '/properties/tier']);
    const [row] = await readRows<{ n: number }>(px.services.db, 'MATCH (n:Entity) WHERE n._blueprint = $bp AND n.identifier IN ["ok-1", "ok-2", "bad-1"] RETURN count(n) AS n', { bp: svc });
    expect(row.n).toBe(0);
  });

  it('answers 400 to malformed JSON', async () => {
    const res = await px.call('POST', `/api/v1/blueprints/${svc}/entities`, '{"identifier": ');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('bad_request');
    expect(res.body.error.message).toMatch(/not valid JSON/);
  });

  it('answers 404 to an unknown blueprint and 422 to an unknown one in bulk', async () => {
    expect((await px.call('POST', '/api/v1/blueprints/nope/entities', { identifier: 'x' })).status).toBe(404);
    const bulk = await px.call('POST', '/api/v1/entities/bulk', { entities: [{ blueprint: 'nope', identifier: 'x' }] });
    expect(bulk.status).toBe(422);
    expect(bulk.body.error.details[0].message).toMatch(/unknown blueprint "nope"/);
  });

  it('answers 422 to unknown properties, wrong types, missing required values and unknown relations', async () => {
    const res = await px.call('POST', '/api/v1/entities/bulk', {
      entities: [
        { blueprint: svc, identifier: 'u1', properties: { language: 'go', colour: 'red' } },
        { blueprint: svc, identifier: 'u2', properties: { language: 'go', tier: 'one' } },
        { blueprint: svc, identifier: 'u3', properties: {} },
        { blueprint: svc, identifier: 'u4', properties: { language: 'go' }, relations: { ownedBy: ['a', 'b'], friends: ['x'] } },
        { blueprint: svc, identifier: 'u5', properties: { language: 'go' }, relations: { uses: ['no-prefix'] } },
      ],
    });
    expect(res.status).toBe(422);
    const byIndex = (i: number) => res.body.error.details.filter((d: { index: number }) => d.index === i).map((d: { message: string }) => d.message);
    expect(byIndex(0)[0]).toMatch(/unknown property "colour"/);
    expect(byIndex(1)[0]).toMatch(/tier must be integer/);
    expect(byIndex(2)[0]).toMatch(/"language" is required/);
    expect(byIndex(3).join(' ')).toMatch(/holds one target/);
    expect(byIndex(3).join(' ')).toMatch(/unknown relation "friends"/);
    expect(byIndex(4)[0]).toMatch(/blueprint:identifier/);
  });

  it('answers 413 to a body over the limit', async () => {
    const big = { entities: [{ blueprint: lib, identifier: 'x'.repeat(100), title: 'y'.repeat(17 * 1024 * 1024) }] };
    const res = await px.call('POST', '/api/v1/entities/bulk', big);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
  });

  it('answers 401 without a token or with a wrong one, and 403 for a viewer writing', async () => {
    expect((await px.call('GET', '/api/v1/blueprints', undefined, { token: null })).status).toBe(401);
    const wrong = await px.call('GET', '/api/v1/blueprints', undefined, { token: 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('unauthorized');
    expect((await px.call('POST', '/graphql', { query: '{ plexusModelVersion }' }, { token: null })).status).toBe(401);
    const viewer = await px.call('POST', '/api/v1/tokens', { name: 'reader', role: 'viewer' });
    expect(viewer.status).toBe(201);
    expect((await px.call('GET', '/api/v1/blueprints', undefined, { token: viewer.body.token })).status).toBe(200);
    const write = await px.call('POST', `/api/v1/blueprints/${lib}/entities`, { identifier: 'v' }, { token: viewer.body.token });
    expect(write.status).toBe(403);
  });

  it('rejects a duplicate identifier inside one request', async () => {
    const res = await px.call('POST', '/api/v1/entities/bulk', { entities: [{ blueprint: lib, identifier: 'dup' }, { blueprint: lib, identifier: 'dup' }] });
    expect(res.status).toBe(422);
    expect(res.body.error.details[0]).toMatchObject({ index: 1, identifier: 'dup' });
  });
});

describe('a request larger than a batch', () => {
  it('is written a slice at a time, each with its audit records, and links relations to later slices', async () => {
    // A catalog on the same database and model, with batches of two entities.
    const catalog = createCatalog({ db: px.services.db, models: px.services.models, events: px.services.events, logger: silentLogger, batchSize: 2 });
    const batches: string[][] = [];
    const off = px.services.events.on((evts) => {
      batches.push(evts.flatMap((e) => ('identifier' in e && e.type.startsWith('entity.') ? [e.identifier] : [])));
    });
    const result = await catalog.upsertEntities(
      [
        { blueprint: svc, identifier: 'slice-a', properties: { language: 'go' }, relations: { ownedBy: 'slice-team' } },
        { blueprint: svc, identifier: 'slice-b', properties: { language: 'go' }, relations: { ownedBy: 'slice-team' } },
        { blueprint: svc, identifier: 'slice-c', properties: { language: 'go' } },
        { blueprint: team, identifier: 'slice-team' },
      ],
      { actor: 'test', source: 'api' },
    );
    await new Promise((r) => setImmediate(r));
    off();
    expect(result).toMatchObject({ upserted: 4, created: 4 });
    // Events go out per committed slice.
    expect(batches.filter((b) => b.some((id) => id.startsWith('slice-')))).toEqual([
      ['slice-a', 'slice-b'],
      ['slice-c', 'slice-team'],
    ]);
    // The first slice's relations waited (pending) for the team the second slice created.
    expect(await relCount('OWNED_BY', 'slice-a', 'slice-team')).toBe(1);
    expect(await relCount('OWNED_BY', 'slice-b', 'slice-team')).toBe(1);
    const [pending] = await readRows<{ n: number }>(px.services.db, 'MATCH (p:_Pending {targetIdentifier: "slice-team"}) RETURN count(p) AS n');
    expect(pending.n).toBe(0);
    const audited = await readRows<{ identifier: string }>(
      px.services.db,
      "MATCH (a:_AuditEvent {type: 'entity.created'}) WHERE a.identifier STARTS WITH 'slice-' AND a.blueprint IN [$svc, $team] RETURN a.identifier AS identifier ORDER BY identifier",
      { svc, team },
    );
    expect(audited.map((a) => a.identifier)).toEqual(['slice-a', 'slice-b', 'slice-c', 'slice-team']);
  });
});
