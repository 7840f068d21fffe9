import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRows } from '../db/driver.ts';
import { planBlueprintChange } from './migrate-blueprint.ts';
import { startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';

let px: TestPlexus;
beforeAll(async () => {
  px = await startTestPlexus();
});
afterAll(async () => {
  await px?.close();
});

function blueprint(id: string, extra: Record<string, unknown> = {}) {
  return { identifier: id, title: id, schema: { properties: { language: { type: 'string', enum: ['go', 'ts'] }, tier: { type: 'integer', minimum: 1, maximum: 3 } }, required: [] }, ...extra };
}

describe('blueprints at runtime', () => {
  it('creates a blueprint, lists it and reads it back', async () => {
    const id = uniqueId('svc');
    const created = await px.call('POST', '/api/v1/blueprints', blueprint(id));
    expect(created.status).toBe(201);
    expect(created.body.identifier).toBe(id);
    const list = await px.call('GET', '/api/v1/blueprints');
    expect(list.body.blueprints.map((b: { identifier: string }) => b.identifier)).toContain(id);
    const one = await px.call('GET', `/api/v1/blueprints/${id}`);
    expect(one.body.schema.properties.tier).toEqual({ type: 'integer', minimum: 1, maximum: 3 });
  });

  it('creates a blueprint without a schema change; one constraint keeps identifiers unique per blueprint', async () => {
    // A schema change clears Neo4j's plan cache, so every query in flight would be planned again.
    const schema = () =>
      Promise.all([
        readRows<{ name: string }>(px.services.db, 'SHOW CONSTRAINTS YIELD name RETURN name ORDER BY name'),
        readRows<{ name: string }>(px.services.db, 'SHOW INDEXES YIELD name RETURN name ORDER BY name'),
      ]);
    const before = await schema();
    const [a, b] = [uniqueId('svc'), uniqueId('svc')];
    expect((await px.call('POST', '/api/v1/blueprints', blueprint(a))).status).toBe(201);
    expect((await px.call('POST', '/api/v1/blueprints', blueprint(b))).status).toBe(201);
    expect(await schema()).toEqual(before);
    const unique = await readRows<{ labels: string[]; props: string[] }>(
      px.services.db,
      "SHOW CONSTRAINTS YIELD labelsOrTypes, properties, type WHERE type = 'UNIQUENESS' RETURN labelsOrTypes AS labels, properties AS props",
    );
    expect(unique).toContainEqual({ labels: ['Entity'], props: ['_blueprint', 'identifier'] });
    // The same identifier in two blueprints is two entities; written twice in one, it is one.
    const entity = (bp: string) => ({ blueprint: bp, identifier: 'same', properties: { tier: 1 } });
    expect((await px.call('POST', '/api/v1/entities/bulk', { entities: [entity(a), entity(b)] })).status).toBe(200);
    expect((await px.call('POST', '/api/v1/entities/bulk', { entities: [entity(a)] })).status).toBe(200);
    const nodes = await readRows<{ blueprint: string; labels: string[] }>(
      px.services.db,
      "MATCH (n:Entity {identifier: 'same'}) WHERE n._blueprint IN $bps RETURN n._blueprint AS blueprint, labels(n) AS labels ORDER BY blueprint",
      { bps: [a, b] },
    );
    const label = (id: string) => id.charAt(0).toUpperCase() + id.slice(1);
    expect(nodes).toEqual(
      [a, b].sort().map((id) => ({ blueprint: id, labels: expect.arrayContaining(['Entity', label(id)]) })),
    );
  });

  it('answers 409 when the blueprint exists already', async () => {
    const id = uniqueId('svc');
    await px.call('POST', '/api/v1/blueprints', blueprint(id));
    const again = await px.call('POST', '/api/v1/blueprints', blueprint(id));
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
  });

  it('rejects bad definitions with one precise detail per problem', async () => {
    const res = await px.call('POST', '/api/v1/blueprints', {
      identifier: uniqueId('bad'),
      schema: {
        properties: { 'bad-name': { type: 'string' }, title: { type: 'string' }, size: { type: 'decimal' }, level: { type: 'string', enum: [1] } },
        required: ['missing'],
      },
      relations: { owner: { target: 'doesNotExist' } },
    });
    expect(res.status).toBe(422);
    const paths = res.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/schema/properties/bad-name',
        '/schema/properties/title',
        '/schema/properties/size/type',
        '/schema/properties/level/enum/0',
        '/schema/required/0',
        '/relations/owner/target',
      ]),
    );
  });

  it('rejects identifiers that are not camelCase or are reserved', async () => {
    for (const identifier of ['Service', 'my-service', 'entity', 'string', 'jWT', '']) {
      const res = await px.call('POST', '/api/v1/blueprints', blueprint(identifier));
      expect(res.status, identifier).toBe(422);
    }
  });

  it('adds a property instantly and refuses to drop data without force', async () => {
    const id = uniqueId('svc');
    await px.call('POST', '/api/v1/blueprints', blueprint(id));
    await px.call('POST', `/api/v1/blueprints/${id}/entities`, { identifier: 'a', properties: { language: 'go', tier: 1 } });
    await px.call('POST', `/api/v1/blueprints/${id}/entities`, { identifier: 'b', properties: { language: 'ts' } });

    const added = await px.call('PATCH', `/api/v1/blueprints/${id}`, { schema: { properties: { url: { type: 'string', format: 'url' } } } });
    expect(added.status).toBe(200);
    expect(Object.keys(added.body.schema.properties)).toEqual(['language', 'tier', 'url']);

    const narrowed = await px.call('PATCH', `/api/v1/blueprints/${id}`, { schema: { properties: { language: { type: 'string', enum: ['ts'] }, tier: null } } });
    expect(narrowed.status).toBe(409);
    const affected = Object.fromEntries(narrowed.body.error.details.map((d: { path: string; affected: number }) => [d.path, d.affected]));
    expect(affected).toEqual({ '/schema/properties/language': 1, '/schema/properties/tier': 1 });
    const unchanged = await px.call('GET', `/api/v1/blueprints/${id}/entities/a`);
    expect(unchanged.body.properties).toEqual({ language: 'go', tier: 1 });

    const forced = await px.call('PATCH', `/api/v1/blueprints/${id}?force=true`, { schema: { properties: { language: { type: 'string', enum: ['ts'] }, tier: null } } });
    expect(forced.status).toBe(200);
    expect(forced.body.migrations[0].changes.map((c: { affected: number }) => c.affected)).toEqual([1, 1]);
    const after = await px.call('GET', `/api/v1/blueprints/${id}/entities/a`);
    expect(after.body.properties).toEqual({});
    const kept = await px.call('GET', `/api/v1/blueprints/${id}/entities/b`);
    expect(kept.body.properties).toEqual({ language: 'ts' });
  }, 300_000);

  it('a forced change removes the values written after it was measured too', async () => {
    const id = uniqueId('svc');
    await px.call('POST', '/api/v1/blueprints', blueprint(id));
    await px.call('POST', `/api/v1/blueprints/${id}/entities`, { identifier: 'a', properties: { language: 'go' } });
    const before = px.services.models.current().get(id)!;
    const after = { ...before, schema: { ...before.schema, properties: { language: { type: 'string' as const, enum: ['ts'] } } } };
    const plan = await planBlueprintChange(px.services.db, before, after);
    expect(plan.changes.map((c) => [c.path, c.affected])).toEqual([["/schema/properties/language", 1], ["/schema/properties/tier", 0]]);
    // A writer still on the old model, between the measurement and the apply; `tier` had no
    // value when measured (0 affected) and is removed all the same.
    await px.call('POST', `/api/v1/blueprints/${id}/entities`, { identifier: 'late', properties: { language: 'go', tier: 2 } });
    const outcome = await plan.apply({ actor: 'migration-test', source: 'migration' }, px.services.events);
    expect(outcome).toEqual({ entities: 2 });
    for (const e of ['a', 'late']) expect((await px.call('GET', `/api/v1/blueprints/${id}/entities/${e}`)).body.properties).toEqual({});
  }, 300_000);

  it('a forced change is an audited entity write: one entity.updated event and one audit record per entity changed', async () => {
    const team = uniqueId('team');
    const id = uniqueId('svc');
    await px.call('POST', '/api/v1/blueprints', { identifier: team, title: team, schema: { properties: {} } });
    await px.call('POST', '/api/v1/blueprints', blueprint(id, { relations: { owner: { target: team }, backup: { target: team } } }));
    await px.call('POST', '/api/v1/entities/bulk', { entities: [{ blueprint: team, identifier: 't1' }] });
    const written = await px.call('POST', '/api/v1/entities/bulk', {
      entities: [
        { blueprint: id, identifier: 'go-owned', properties: { language: 'go', tier: 1 }, relations: { owner: 't1' } },
        { blueprint: id, identifier: 'ts-tiered', properties: { language: 'ts', tier: 2 } },
        { blueprint: id, identifier: 'ts-backup', properties: { language: 'ts' }, relations: { backup: 't1' } },
        { blueprint: id, identifier: 'untouched', properties: { language: 'ts' }, relations: { owner: 't1' } },
      ],
    });
    expect(written.status).toBe(200);
    const seen: { type: string; identifier?: string; before?: any; after?: any; actor?: string; source?: string }[] = [];
    const off = px.services.events.on((events) => {
      for (const e of events) if ('blueprint' in e && e.blueprint === id) seen.push(e as (typeof seen)[number]);
    });
    try {
      // Narrow `language` to ts, drop `tier` and the `backup` relation; `owner` stays.
      const forced = await px.call('PATCH', `/api/v1/blueprints/${id}?force=true`, {
        schema: { properties: { language: { type: 'string', enum: ['ts'] }, tier: null } },
        relations: { backup: null },
      });
      expect(forced.status).toBe(200);
    } finally {
      off();
    }
    const updates = seen.filter((e) => e.type === 'entity.updated').sort((a, b) => a.identifier!.localeCompare(b.identifier!));
    expect(updates.map((e) => e.identifier)).toEqual(['go-owned', 'ts-backup', 'ts-tiered']);
    const byId = Object.fromEntries(updates.map((e) => [e.identifier, e]));
    expect(byId['go-owned'].before).toMatchObject({ properties: { language: 'go', tier: 1 }, relations: { owner: 't1', backup: null } });
    expect(byId['go-owned'].after).toMatchObject({ properties: {}, relations: { owner: 't1' } });
    expect(byId['ts-tiered'].before.properties).toEqual({ language: 'ts', tier: 2 });
    expect(byId['ts-tiered'].after.properties).toEqual({ language: 'ts' });
    expect(byId['ts-backup'].before.relations).toEqual({ owner: null, backup: 't1' });
    expect(byId['ts-backup'].after.relations).toEqual({ owner: null });
    for (const e of updates) expect(e).toMatchObject({ actor: expect.any(String), source: 'migration' });

    // The stored entities are the events' after states (REST reads them back).
    for (const e of updates) {
      const stored = await px.call('GET', `/api/v1/blueprints/${id}/entities/${e.identifier}`);
      expect(stored.body.properties).toEqual(e.after.properties);
      expect(stored.body.relations).toEqual(e.after.relations);
      expect(stored.body.meta.updatedAt).toBe(e.after.meta.updatedAt);
    }
    // One audit record per entity changed, with the same before and after, and none for the untouched one.
    const audit = await px.call('GET', `/api/v1/audit?blueprint=${id}&kind=entity&limit=100`);
    expect(audit.status).toBe(200);
    const records = (audit.body.events as { type: string; identifier: string; origin: string; before: any; after: any }[]).filter(
      (r) => r.type === 'entity.updated',
    );
    expect(records.map((r) => r.identifier).sort()).toEqual(['go-owned', 'ts-backup', 'ts-tiered']);
    for (const r of records) {
      expect(r.origin).toBe('migration');
      expect(r.before.properties).toEqual(byId[r.identifier].before.properties);
      expect(r.after.properties).toEqual(byId[r.identifier].after.properties);
      expect(r.after.relations).toEqual(byId[r.identifier].after.relations);
    }
    // The content hash was recomputed: the same content written again is an unchanged no-op.
    const again = await px.call('POST', '/api/v1/entities/bulk', { entities: [{ blueprint: id, identifier: 'ts-tiered', properties: { language: 'ts' } }] });
    expect(again.body).toMatchObject({ upserted: 1, unchanged: 1, updated: 0 });
  }, 300_000);

  it('deletes an empty blueprint, and a non-empty one only with force', async () => {
    const id = uniqueId('svc');
    await px.call('POST', '/api/v1/blueprints', blueprint(id));
    await px.call('POST', `/api/v1/blueprints/${id}/entities`, { identifier: 'x', properties: {} });
    const refused = await px.call('DELETE', `/api/v1/blueprints/${id}`);
    expect(refused.status).toBe(409);
    const forced = await px.call('DELETE', `/api/v1/blueprints/${id}?force=true`);
    expect(forced.status).toBe(200);
    expect(forced.body.deletedEntities).toBe(1);
    expect((await px.call('GET', `/api/v1/blueprints/${id}`)).status).toBe(404);
    const [row] = await readRows<{ n: number }>(px.services.db, 'MATCH (n:Entity {_blueprint: $id}) RETURN count(n) AS n', { id });
    expect(row.n).toBe(0);
  });

  it('refuses to delete a blueprint that other relations target', async () => {
    const team = uniqueId('team');
    const svc = uniqueId('svc');
    await px.call('POST', '/api/v1/blueprints', blueprint(team));
    await px.call('POST', '/api/v1/blueprints', blueprint(svc, { relations: { ownedBy: { target: team } } }));
    const res = await px.call('DELETE', `/api/v1/blueprints/${team}?force=true`);
    expect(res.status).toBe(409);
    expect(res.body.error.details[0].message).toContain(`${svc}.ownedBy`);
  });

  it('loads the shipped packs with one call each, side by side', async () => {
    const packs = await px.call('GET', '/api/v1/packs');
    expect(packs.body.packs.map((p: { identifier: string }) => p.identifier)).toEqual(['backstage', 'sdlc']);
    expect((await px.call('POST', '/api/v1/packs/backstage')).status).toBe(200);
    const res = await px.call('POST', '/api/v1/packs/sdlc');
    expect(res.status).toBe(200);
    const list = await px.call('GET', '/api/v1/blueprints');
    const ids = list.body.blueprints.map((b: { identifier: string }) => b.identifier);
    expect(ids).toEqual(expect.arrayContaining(['component', 'api', 'group', 'user', 'service', 'cloudResource', 'team', 'incident', 'vulnerability']));
    const again = await px.call('POST', '/api/v1/packs/sdlc');
    expect(again.status).toBe(200);
    expect(again.body.created).toEqual([]);
  });

  it('loads a pack over the other pack\'s entities of a shared kind without dropping them', async () => {
    // sdlc and backstage both define domain, system and api: a team owns them in one, a group in the other.
    expect((await px.call('POST', '/api/v1/packs/sdlc')).status).toBe(200);
    expect((await px.call('POST', '/api/v1/packs/backstage')).status).toBe(200);
    const group = uniqueId('grp');
    const team = uniqueId('team');
    const [byGroup, byTeam] = [uniqueId('api'), uniqueId('api')];
    const definition = 'openapi: 3.0.3';
    const bulk = await px.call('POST', '/api/v1/entities/bulk', {
      entities: [
        { blueprint: 'group', identifier: group, properties: { type: 'team' } },
        { blueprint: 'team', identifier: team, properties: {} },
        { blueprint: 'api', identifier: byGroup, properties: { type: 'openapi', lifecycle: 'production', definition, namespace: 'ops' }, relations: { ownedBy: `group:${group}` } },
        { blueprint: 'api', identifier: byTeam, properties: { type: 'openapi', lifecycle: 'production', definition }, relations: { ownedBy: `team:${team}` } },
      ],
    });
    expect(bulk.status, JSON.stringify(bulk.body)).toBe(200);
    for (const pack of ['sdlc', 'backstage', 'sdlc']) {
      const res = await px.call('POST', `/api/v1/packs/${pack}`);
      expect(res.status, `${pack}: ${JSON.stringify(res.body)}`).toBe(200);
    }
    const api = (await px.call('GET', '/api/v1/blueprints/api')).body;
    expect([api.relations.ownedBy.target].flat().sort()).toEqual(['group', 'team', 'user']);
    expect(api.schema.properties.namespace).toBeDefined();
    const kept = (await px.call('GET', `/api/v1/blueprints/api/entities/${byGroup}`)).body;
    expect(kept).toMatchObject({ properties: { namespace: 'ops' }, relations: { ownedBy: `group:${group}` } });
    expect((await px.call('GET', `/api/v1/blueprints/api/entities/${byTeam}`)).body.relations.ownedBy).toBe(`team:${team}`);
  });
});
