import { pluralFieldOf } from '@plexus/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRows } from '../db/driver.ts';
import { startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';

let px: TestPlexus;
let bp: string;
beforeAll(async () => {
  px = await startTestPlexus();
  bp = uniqueId('sq');
  await px.call('POST', '/api/v1/blueprints', { identifier: bp, title: 'SQ', schema: { properties: { tier: { type: 'integer' } } } });
  await px.call('POST', '/api/v1/entities/bulk', { entities: [1, 2, 3].map((t) => ({ blueprint: bp, identifier: `e${t}`, properties: { tier: t } })) });
});
afterAll(async () => {
  await px?.close();
});

describe('saved queries', () => {
  it('stores a parameterised Cypher query and runs it by name', async () => {
    const id = uniqueId('q');
    const saved = await px.call('POST', '/api/v1/queries', {
      identifier: id,
      title: 'By tier',
      language: 'cypher',
      query: 'MATCH (n:Entity) WHERE n._blueprint = $bp AND n.tier >= $min RETURN n.identifier AS id ORDER BY id',
    });
    expect(saved.status).toBe(201);
    const run = await px.call('POST', `/api/v1/queries/${id}/run`, { params: { bp, min: 2 } });
    expect(run.status).toBe(200);
    expect(run.body).toEqual({ columns: ['id'], rows: [{ id: 'e2' }, { id: 'e3' }], truncated: false });
    expect((await px.call('GET', '/api/v1/queries')).body.queries.map((q: { identifier: string }) => q.identifier)).toContain(id);
  });

  it('stores a GraphQL query validated against the current schema and runs it with variables', async () => {
    const id = uniqueId('g');
    const field = pluralFieldOf(bp);
    const bad = await px.call('POST', '/api/v1/queries', { identifier: id, language: 'graphql', query: `{ ${field} { nope } }` });
    expect(bad.status).toBe(422);
    const ok = await px.call('POST', '/api/v1/queries', { identifier: id, language: 'graphql', query: `query($t: Int!) { ${field}(where: { tier: { gt: $t } }, sort: [{ identifier: ASC }]) { identifier } }` });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    const run = await px.call('POST', `/api/v1/queries/${id}/run`, { params: { t: 1 } });
    expect(run.body.data[field]).toEqual([{ identifier: 'e2' }, { identifier: 'e3' }]);
  });

  it('refuses Cypher that writes, and mutations', async () => {
    const w = await px.call('POST', '/api/v1/queries', { identifier: uniqueId('w'), language: 'cypher', query: 'CREATE (x:SavedQueryHack) RETURN x' });
    expect(w.status).toBe(422);
    expect(w.body.error.details[0].message).toMatch(/read-only/);
    const m = await px.call('POST', '/api/v1/queries', { identifier: uniqueId('m'), language: 'graphql', query: 'mutation { deleteEntities(entities: []) { deleted } }' });
    expect(m.status).toBe(422);
    const [row] = await readRows<{ n: number }>(px.services.db, 'MATCH (x:SavedQueryHack) RETURN count(x) AS n');
    expect(row.n).toBe(0);
  });

  it('lets only admins save Cypher queries', async () => {
    const member = await px.call('POST', '/api/v1/tokens', { name: 'analyst', role: 'member' });
    const r = await px.call('POST', '/api/v1/queries', { identifier: uniqueId('c'), language: 'cypher', query: 'RETURN 1 AS one' }, { token: member.body.token });
    expect(r.status).toBe(403);
  });
});

describe('saved Cypher and read permissions', () => {
  it('runs only for callers who may read every blueprint', async () => {
    const id = uniqueId('all');
    await px.call('POST', '/api/v1/queries', { identifier: id, language: 'cypher', query: 'MATCH (n:Entity) RETURN count(n) AS n' });
    const secret = uniqueId('sec');
    await px.call('POST', '/api/v1/blueprints', { identifier: secret, title: 'Secret', schema: { properties: {} }, permissions: { read: { roles: ['member'] } } });
    const viewer = await px.call('POST', '/api/v1/tokens', { name: 'curious', role: 'viewer' });
    const refused = await px.call('POST', `/api/v1/queries/${id}/run`, {}, { token: viewer.body.token });
    expect(refused.status).toBe(403);
    expect((await px.call('POST', `/api/v1/queries/${id}/run`, {})).status).toBe(200);
  });
});
