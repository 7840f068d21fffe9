import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRows } from '../db/driver.ts';
import { startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';

/**
 * `?dryRun=true` on every write endpoint: the real write's checks run, nothing is stored (no node,
 * no audit record, no event), and the answer is the field-level change.
 */
describe('dry runs of write endpoints', () => {
  let px: TestPlexus;
  let team: string;
  let svc: string;
  const ids: string[] = [];

  /** Everything this test's objects could have left behind: their nodes and their audit records. */
  async function footprint() {
    const [row] = await readRows<{ nodes: number; audit: number; defs: string[] }>(
      px.services.db,
      `OPTIONAL MATCH (n:Entity) WHERE n._blueprint IN $bps
       WITH count(n) AS nodes
       OPTIONAL MATCH (a:_AuditEvent) WHERE a.blueprint IN $bps OR a.subject IN $ids
       WITH nodes, count(a) AS audit
       OPTIONAL MATCH (d) WHERE (d:_Blueprint OR d:_Scorecard OR d:_Source OR d:_Action) AND d.identifier IN $all
       RETURN nodes, audit, collect(d.identifier + '@' + coalesce(d.updatedAt, '')) AS defs`,
      { bps: [team, svc], ids, all: [team, svc, ...ids] },
    );
    return { ...row, defs: [...row.defs].sort() };
  }

  beforeAll(async () => {
    px = await startTestPlexus();
    team = uniqueId('team');
    svc = uniqueId('svc');
    for (const [id, body] of [
      [team, { identifier: team, schema: { properties: { slack: { type: 'string' } } } }],
      [
        svc,
        {
          identifier: svc,
          schema: {
            properties: { rollout: { type: 'integer', minimum: 0, maximum: 100 }, tier: { type: 'integer' } },
            required: ['tier'],
          },
          relations: { ownedBy: { target: team, many: true } },
        },
      ],
    ] as const) {
      const res = await px.call('POST', '/api/v1/blueprints', body);
      expect(res.status, `${id}: ${JSON.stringify(res.body)}`).toBe(201);
    }
    const bulk = await px.call('POST', '/api/v1/entities/bulk', {
      entities: [
        { blueprint: team, identifier: 'payments', properties: { slack: '#pay' } },
        { blueprint: team, identifier: 'search', properties: {} },
        { blueprint: svc, identifier: 'cart', title: 'Cart', properties: { tier: 1, rollout: 10 }, relations: { ownedBy: ['payments'] } },
      ],
    });
    expect(bulk.status, JSON.stringify(bulk.body)).toBe(200);
  }, 120_000);

  afterAll(async () => {
    for (const id of [svc, team]) await px.call('DELETE', `/api/v1/blueprints/${id}?force=true`);
    await px.close();
  });

  it('an entity update answers the changed fields and relation targets, and writes nothing', async () => {
    const before = await footprint();
    const res = await px.call('POST', `/api/v1/blueprints/${svc}/entities?dryRun=true`, {
      identifier: 'cart',
      title: 'Cart',
      properties: { tier: 2, rollout: 10 },
      relations: { ownedBy: ['search'] },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({
      dryRun: true,
      changes: [
        {
          op: 'update',
          kind: 'entity',
          blueprint: svc,
          identifier: 'cart',
          fields: {
            'properties.tier': { before: 1, after: 2 },
            'relations.ownedBy': { before: ['payments'], after: ['search'], added: ['search'], removed: ['payments'] },
          },
        },
      ],
    });
    expect(await footprint()).toEqual(before);
    expect((await px.call('GET', `/api/v1/blueprints/${svc}/entities/cart`)).body.properties.tier).toBe(1);
  });

  it('bulk JSON and NDJSON answer create / update / unchanged per entity, and write nothing', async () => {
    const before = await footprint();
    const entities = [
      { blueprint: svc, identifier: 'cart', title: 'Cart', properties: { tier: 1, rollout: 10 }, relations: { ownedBy: ['payments'] } },
      { blueprint: svc, identifier: 'checkout', properties: { tier: 3 }, relations: { ownedBy: ['payments', 'later'] } },
      { blueprint: team, identifier: 'search', title: 'Search team', properties: {} },
    ];
    const json = await px.call('POST', '/api/v1/entities/bulk?dryRun=true', { entities });
    expect(json.status, JSON.stringify(json.body)).toBe(200);
    expect(json.body).toMatchObject({ dryRun: true, created: 1, updated: 1, unchanged: 1 });
    expect(json.body.changes.map((c: { op: string; identifier: string }) => `${c.op} ${c.identifier}`)).toEqual([
      'unchanged cart',
      'create checkout',
      'update search',
    ]);
    expect(json.body.changes[1].fields).toEqual({
      'properties.tier': { before: null, after: 3 },
      'relations.ownedBy': { before: null, after: ['payments', 'later'], added: ['payments', 'later'], removed: [] },
    });
    expect(json.body.changes[2].fields).toEqual({ title: { before: null, after: 'Search team' } });
    const ndjson = await px.call('POST', '/api/v1/entities/bulk?dryRun=true', entities.map((e) => JSON.stringify(e)).join('\n'), {
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(ndjson.status, JSON.stringify(ndjson.body)).toBe(200);
    expect(ndjson.body.changes).toEqual(json.body.changes);
    expect(await footprint()).toEqual(before);
    expect((await px.call('GET', `/api/v1/blueprints/${svc}/entities/checkout`)).status).toBe(404);
  });

  it('an invalid entity answers the same 422 as a real write, naming every problem', async () => {
    const before = await footprint();
    const res = await px.call('POST', '/api/v1/entities/bulk?dryRun=true', {
      entities: [
        { blueprint: svc, identifier: 'a', properties: { tier: 1, rollout: 150 } },
        { blueprint: svc, identifier: 'b', properties: {} },
        { blueprint: svc, identifier: 'c', properties: { tier: 1 }, relations: { runsOn: ['x'] } },
      ],
    });
    expect(res.status).toBe(422);
    const text = JSON.stringify(res.body.error.details);
    expect(text).toMatch(/rollout/);
    expect(text).toMatch(/tier/);
    expect(text).toMatch(/runsOn/);
    expect(await footprint()).toEqual(before);
  });

  it('entities are checked against blueprints sent with them (what apply --dry-run does for new blueprints)', async () => {
    const fresh = uniqueId('fresh');
    const res = await px.call('POST', '/api/v1/entities/bulk?dryRun=true', {
      blueprints: [{ identifier: fresh, schema: { properties: { size: { type: 'integer', maximum: 5 } } } }],
      entities: [
        { blueprint: fresh, identifier: 'ok', properties: { size: 3 } },
        { blueprint: fresh, identifier: 'big', properties: { size: 9 } },
      ],
    });
    expect(res.status).toBe(422);
    expect(res.body.error.details).toHaveLength(1);
    expect(res.body.error.details[0]).toMatchObject({ index: 1, identifier: 'big' });
    expect((await px.call('GET', `/api/v1/blueprints/${fresh}`)).status).toBe(404);
    const real = await px.call('POST', '/api/v1/entities/bulk', { blueprints: [], entities: [] });
    expect(real.status).toBe(400);
  });

  it('deleting an entity dry answers the deletion and keeps it', async () => {
    const before = await footprint();
    const res = await px.call('DELETE', `/api/v1/blueprints/${svc}/entities/cart?dryRun=true`);
    expect(res.body).toEqual({ dryRun: true, changes: [{ op: 'delete', kind: 'entity', blueprint: svc, identifier: 'cart' }] });
    expect(await footprint()).toEqual(before);
  });

  it('blueprints: create, change (with the data migration it would run) and delete, dry', async () => {
    const before = await footprint();
    const fresh = uniqueId('bp');
    const created = await px.call('POST', '/api/v1/blueprints?dryRun=true', { identifier: fresh, schema: { properties: { a: { type: 'string' } } } });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body.changes[0]).toMatchObject({ op: 'create', kind: 'blueprint', identifier: fresh });
    expect(created.body.changes[0].fields['schema.properties.a.type']).toEqual({ before: null, after: 'string' });
    expect((await px.call('GET', `/api/v1/blueprints/${fresh}`)).status).toBe(404);

    const current = (await px.call('GET', `/api/v1/blueprints/${svc}`)).body;
    const changed = structuredClone(current);
    changed.schema.properties.rollout.maximum = 5;
    const refused = await px.call('PUT', `/api/v1/blueprints/${svc}?dryRun=true`, changed);
    expect(refused.status).toBe(409);
    const forced = await px.call('PUT', `/api/v1/blueprints/${svc}?dryRun=true&force=true`, changed);
    expect(forced.status, JSON.stringify(forced.body)).toBe(200);
    expect(forced.body.changes).toEqual([
      { op: 'update', kind: 'blueprint', identifier: svc, fields: { 'schema.properties.rollout.maximum': { before: 100, after: 5 } } },
    ]);
    expect(forced.body.migrations[0].changes[0]).toMatchObject({ affected: 1 });

    const del = await px.call('DELETE', `/api/v1/blueprints/${svc}?dryRun=true`);
    expect(del.status).toBe(409);
    expect(del.body.error.message).toMatch(/still has 1 entities/);
    const forcedDel = await px.call('DELETE', `/api/v1/blueprints/${svc}?dryRun=true&force=true`);
    expect(forcedDel.body).toMatchObject({ dryRun: true, changes: [{ op: 'delete', kind: 'blueprint', identifier: svc }], deletedEntities: 1 });
    expect(await footprint()).toEqual(before);
    expect((await px.call('GET', `/api/v1/blueprints/${svc}`)).body.schema.properties.rollout.maximum).toBe(100);
  });

  it('scorecards: a write-y rule is refused like a real save; a valid one answers its fields; nothing stored', async () => {
    const id = uniqueId('sc-');
    ids.push(id);
    const before = await footprint();
    const base = { identifier: id, title: 'Ready', blueprint: svc, levels: ['Bronze', 'Silver'] };
    const bad = await px.call('POST', '/api/v1/scorecards?dryRun=true', {
      ...base,
      rules: [{ identifier: 'w', title: 'W', level: 'Silver', cypher: "EXISTS { CREATE (x:Oops) }" }],
    });
    expect(bad.status).toBe(422);
    const good = await px.call('POST', '/api/v1/scorecards?dryRun=true', {
      ...base,
      rules: [{ identifier: 't', title: 'Tier', level: 'Silver', property: 'tier', operator: 'isNotEmpty' }],
    });
    expect(good.status, JSON.stringify(good.body)).toBe(200);
    expect(good.body.changes[0]).toMatchObject({ op: 'create', kind: 'scorecard', identifier: id });
    expect(good.body.changes[0].fields.title).toEqual({ before: null, after: 'Ready' });
    expect((await px.call('GET', `/api/v1/scorecards/${id}`)).status).toBe(404);
    expect(await footprint()).toEqual(before);

    const saved = await px.call('POST', '/api/v1/scorecards', { ...base, rules: [{ identifier: 't', title: 'Tier', level: 'Silver', property: 'tier', operator: 'isNotEmpty' }] });
    expect(saved.status, JSON.stringify(saved.body)).toBe(201);
    const afterSave = await footprint();
    const put = await px.call('PUT', `/api/v1/scorecards/${id}?dryRun=true`, { ...base, title: 'Ready?', rules: saved.body.rules });
    expect(put.body.changes).toEqual([{ op: 'update', kind: 'scorecard', identifier: id, fields: { title: { before: 'Ready', after: 'Ready?' } } }]);
    const del = await px.call('DELETE', `/api/v1/scorecards/${id}?dryRun=true`);
    expect(del.body.changes).toEqual([{ op: 'delete', kind: 'scorecard', identifier: id }]);
    expect(await footprint()).toEqual(afterSave);
  });

  it('sources: an invalid config is refused like a real save; a valid one answers its fields; nothing stored', async () => {
    const id = uniqueId('src-');
    ids.push(id);
    const before = await footprint();
    const bad = await px.call('POST', '/api/v1/sources?dryRun=true', { identifier: id, type: 'http-json', config: {} });
    expect(bad.status).toBe(422);
    const good = await px.call('POST', '/api/v1/sources?dryRun=true', { identifier: id, type: 'http-json', config: { url: 'http://127.0.0.1:9/items' }, schedule: '15m' });
    expect(good.status, JSON.stringify(good.body)).toBe(200);
    expect(good.body.changes[0]).toMatchObject({ op: 'create', kind: 'source', identifier: id });
    expect(good.body.changes[0].fields.schedule).toEqual({ before: null, after: '15m' });
    expect((await px.call('GET', `/api/v1/sources/${id}`)).status).toBe(404);
    expect(await footprint()).toEqual(before);

    expect((await px.call('POST', '/api/v1/sources', { identifier: id, type: 'http-json', config: { url: 'http://127.0.0.1:9/items' } })).status).toBe(201);
    const afterSave = await footprint();
    const put = await px.call('PUT', `/api/v1/sources/${id}?dryRun=true`, { identifier: id, type: 'http-json', config: { url: 'http://127.0.0.1:9/other' } });
    expect(put.body.changes).toEqual([
      { op: 'update', kind: 'source', identifier: id, fields: { 'config.url': { before: 'http://127.0.0.1:9/items', after: 'http://127.0.0.1:9/other' } } },
    ]);
    expect((await px.call('DELETE', `/api/v1/sources/${id}?dryRun=true`)).body.changes).toEqual([{ op: 'delete', kind: 'source', identifier: id }]);
    expect(await footprint()).toEqual(afterSave);
    await px.call('DELETE', `/api/v1/sources/${id}`);
  });

  it('actions: an invalid definition is refused like a real save; a valid one answers its fields; nothing stored', async () => {
    const id = uniqueId('act-');
    ids.push(id);
    const before = await footprint();
    const def = {
      identifier: id,
      title: 'Restart',
      blueprint: svc,
      operation: 'DAY-2',
      invoker: { type: 'webhook', url: 'http://127.0.0.1:9/hook', secret: 'a-long-enough-shared-secret-0123456789' },
    };
    const bad = await px.call('POST', '/api/v1/actions?dryRun=true', { ...def, invoker: { type: 'webhook', url: 'ftp://x' } });
    expect(bad.status).toBe(422);
    const good = await px.call('POST', '/api/v1/actions?dryRun=true', def);
    expect(good.status, JSON.stringify(good.body)).toBe(200);
    expect(good.body.changes[0]).toMatchObject({ op: 'create', kind: 'action', identifier: id });
    expect(good.body.changes[0].fields['invoker.url']).toEqual({ before: null, after: 'http://127.0.0.1:9/hook' });
    expect(JSON.stringify(good.body)).not.toContain('a-long-enough-shared-secret');
    expect((await px.call('GET', `/api/v1/actions/${id}`)).status).toBe(404);
    expect(await footprint()).toEqual(before);

    expect((await px.call('POST', '/api/v1/actions', def)).status).toBe(201);
    const afterSave = await footprint();
    const put = await px.call('PUT', `/api/v1/actions/${id}?dryRun=true`, { ...def, title: 'Restart it' });
    expect(put.body.changes).toEqual([{ op: 'update', kind: 'action', identifier: id, fields: { title: { before: 'Restart', after: 'Restart it' } } }]);
    expect((await px.call('DELETE', `/api/v1/actions/${id}?dryRun=true`)).body.changes).toEqual([{ op: 'delete', kind: 'action', identifier: id }]);
    expect(await footprint()).toEqual(afterSave);
    await px.call('DELETE', `/api/v1/actions/${id}`);
  });

  it('an apply set is recorded on what a write saves; a bad set name is a 400', async () => {
    const res = await px.call('POST', `/api/v1/blueprints/${team}/entities`, { identifier: 'infra', properties: {} }, { headers: { 'x-plexus-apply-set': 'platform' } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.meta.applySet).toBe('platform');
    // Unchanged content written by another set is taken into it (a change, audited).
    const moved = await px.call('POST', `/api/v1/blueprints/${team}/entities?dryRun=true`, { identifier: 'infra', properties: {} }, { headers: { 'x-plexus-apply-set': 'other' } });
    expect(moved.body.changes[0]).toMatchObject({ op: 'update', fields: { 'meta.applySet': { before: 'platform', after: 'other' } } });
    const bad = await px.call('POST', `/api/v1/blueprints/${team}/entities`, { identifier: 'x', properties: {} }, { headers: { 'x-plexus-apply-set': 'Not A Name' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/apply set name/);
  });
});
