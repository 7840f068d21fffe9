import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRows } from '../db/driver.ts';
import { planOperators, startTestPlexus, type TestPlexus, uniqueId, waitFor } from '../test-support.ts';
import { adminChange, listEventsQuery } from './audit.ts';

let px: TestPlexus;
let bp: string;
beforeAll(async () => {
  px = await startTestPlexus();
  bp = uniqueId('aud');
  await px.call('POST', '/api/v1/blueprints', { identifier: bp, title: 'Audited', schema: { properties: { tier: { type: 'integer' } } } });
});
afterAll(async () => {
  await px?.close();
});

const history = async (id: string) => (await px.call('GET', `/api/v1/audit?entity=${bp}:${id}`)).body.events as { type: string; actor: string; origin: string; before: any; after: any }[];

describe('audit trail', () => {
  it('records each change with actor, origin and before/after, newest first', async () => {
    await px.call('POST', `/api/v1/blueprints/${bp}/entities`, { identifier: 'a', properties: { tier: 1 } });
    await px.call('POST', `/api/v1/blueprints/${bp}/entities`, { identifier: 'a', properties: { tier: 2 } }, { headers: { 'x-plexus-origin': 'cli' } });
    const gql = await px.call('POST', '/graphql', {
      query: 'mutation($e: [EntityInput!]!) { upsertEntities(entities: $e) { updated } }',
      variables: { e: [{ blueprint: bp, identifier: 'a', properties: { tier: 3 } }] },
    });
    expect(gql.body.errors).toBeUndefined();
    await px.call('DELETE', `/api/v1/blueprints/${bp}/entities/a`);
    const events = await history('a');
    expect(events.map((e) => [e.type, e.origin, e.actor])).toEqual([
      ['entity.deleted', 'api', 'admin'],
      ['entity.updated', 'graphql', 'admin'],
      ['entity.updated', 'cli', 'admin'],
      ['entity.created', 'api', 'admin'],
    ]);
    expect(events[2].before.properties).toEqual({ tier: 1 });
    expect(events[2].after.properties).toEqual({ tier: 2 });
    expect(events[0].after).toBeNull();
    expect(events[3].before).toBeNull();
  });

  it('records nothing for a no-op write or a rejected request', async () => {
    await px.call('POST', `/api/v1/blueprints/${bp}/entities`, { identifier: 'b', properties: { tier: 1 } });
    await px.call('POST', `/api/v1/blueprints/${bp}/entities`, { identifier: 'b', properties: { tier: 1 } });
    const bad = await px.call('POST', '/api/v1/entities/bulk', { entities: [{ blueprint: bp, identifier: 'b', properties: { tier: 'x' } }] });
    expect(bad.status).toBe(422);
    expect((await history('b')).map((e) => e.type)).toEqual(['entity.created']);
  });

  it('records blueprint changes', async () => {
    const other = uniqueId('aud');
    await px.call('POST', '/api/v1/blueprints', { identifier: other, title: 'X', schema: { properties: {} } });
    await px.call('PATCH', `/api/v1/blueprints/${other}`, { title: 'Y' });
    const res = await px.call('GET', `/api/v1/audit?blueprint=${other}`);
    expect(res.body.events.map((e: { type: string }) => e.type)).toEqual(['blueprint.updated', 'blueprint.created']);
    expect(res.body.events[0].before.title).toBe('X');
    expect(res.body.events[0].after.title).toBe('Y');
  });

  it('filters by actor and time and pages with a cursor', async () => {
    const since = new Date().toISOString();
    for (const i of [1, 2, 3]) await px.call('POST', `/api/v1/blueprints/${bp}/entities`, { identifier: `p${i}` });
    const page1 = await px.call('GET', `/api/v1/audit?blueprint=${bp}&since=${since}&actor=admin&limit=2`);
    expect(page1.body.events).toHaveLength(2);
    const page2 = await px.call('GET', `/api/v1/audit?blueprint=${bp}&since=${since}&actor=admin&limit=2&cursor=${page1.body.next}`);
    expect(page2.body.events.map((e: { identifier: string }) => e.identifier)).toEqual(['p1']);
    expect(page2.body.next).toBeNull();
    expect((await px.call('GET', `/api/v1/audit?blueprint=${bp}&actor=nobody`)).body.events).toEqual([]);
  });

  it('lists through an index in time order, so a page costs the same however long the trail', async () => {
    const params = { kind: null, subject: null, blueprint: null, identifier: null, actor: null, lower: '', upper: '9999', beforeId: null, limit: 51 };
    for (const [filter, index] of [
      [{}, 'NodeIndexSeekByRange'],
      [{ subject: `${bp}:a` }, 'NodeIndexSeek'],
      [{ actor: 'admin' }, 'NodeIndexSeek'],
      [{ blueprint: bp }, 'NodeIndexSeek'],
      [{ kind: 'entity' }, 'NodeIndexSeek'],
    ] as const) {
      const query = listEventsQuery('subject' in filter ? filter.subject : null, filter);
      const ops = await planOperators(px.services.db, query, { ...params, ...filter });
      expect(ops, JSON.stringify(filter)).toContain(index);
      // The index hands the events over newest first: at most the page is sorted, never the whole trail.
      expect(ops, JSON.stringify(filter)).not.toContain('Sort');
      expect(ops, JSON.stringify(filter)).not.toContain('Top');
    }
  });

  it('pages by kind and by subject across events of the same millisecond', async () => {
    const id = uniqueId('same');
    const at = new Date().toISOString();
    await px.services.audit.record([1, 2, 3].flatMap((i) => adminChange('query', id, { actor: `tester-${id}`, source: 'api' }, { i }, { i: i + 1 }, { at })));
    for (const q of [`subject=${id}`, `actor=tester-${id}&kind=query`, 'kind=query&limit=1000']) {
      const seen: unknown[] = [];
      let cursor: string | null = null;
      do {
        const res = await px.call('GET', `/api/v1/audit?${q.includes('limit') ? q : `${q}&limit=2`}${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status).toBe(200);
        seen.push(...res.body.events.filter((e: { subject: string }) => e.subject === id).map((e: { before: { i: number } }) => e.before.i));
        cursor = res.body.next;
      } while (cursor);
      expect(seen.sort(), q).toEqual([1, 2, 3]);
    }
    expect((await px.call('GET', '/api/v1/audit?cursor=WzEsMl0')).status).toBe(400);
  });

  it('prunes events past the retention period', async () => {
    const id = uniqueId('old');
    await px.services.audit.record([{ type: 'blueprint.updated', blueprint: id, actor: 'x', at: '2000-01-01T00:00:00.000Z' }]);
    const deleted = await px.services.audit.prune(365);
    expect(deleted).toBeGreaterThanOrEqual(1);
    const [row] = await readRows<{ n: number }>(px.services.db, 'MATCH (a:_AuditEvent {blueprint: $id}) RETURN count(a) AS n', { id });
    expect(row.n).toBe(0);
  });
});

describe('audit trail and read permissions', () => {
  it('shows a caller only the events of entities they may read', async () => {
    const secret = uniqueId('sec');
    await px.call('POST', '/api/v1/blueprints', { identifier: secret, title: 'Secret', schema: { properties: { code: { type: 'string' } } }, permissions: { read: { roles: ['member'] } } });
    await px.call('POST', `/api/v1/blueprints/${secret}/entities`, { identifier: 'launch-codes', properties: { code: 'hunter2' } });
    const viewer = await px.call('POST', '/api/v1/tokens', { name: 'auditor', role: 'viewer' });
    const member = await px.call('POST', '/api/v1/tokens', { name: 'insider', role: 'member' });
    const seenByViewer = await px.call('GET', `/api/v1/audit?blueprint=${secret}`, undefined, { token: viewer.body.token });
    expect(JSON.stringify(seenByViewer.body)).not.toMatch(/launch-codes|hunter2/);
    const seenByMember = await px.call('GET', `/api/v1/audit?blueprint=${secret}`, undefined, { token: member.body.token });
    expect(seenByMember.body.events.map((e: { identifier: string | null }) => e.identifier)).toContain('launch-codes');
  });
});

describe('audit trail of connector writes', () => {
  it('records a connector update with the source as origin and before/after', async () => {
    const { signTimestamped } = await import('@plexus/connector-sdk');
    const source = uniqueId('hook-');
    const secret = 'audit-hook-secret';
    const created = await px.call('POST', '/api/v1/sources', {
      identifier: source,
      type: 'webhook',
      config: { secret, signatureHeader: 'X-Signature', algorithm: 'sha256', prefix: 'sha256=', items: 'items' },
      mapping: { mappings: [{ kind: 'event', blueprint: bp, identifier: `'${source}-' & name`, properties: { tier: 'tier' } }] },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const deliver = async (tier: number) => {
      const body = JSON.stringify({ items: [{ name: 'svc', tier }] });
      const ts = Math.floor(Date.now() / 1000);
      const sig = signTimestamped(secret, ts, body, 'sha256', 'sha256=');
      const r = await px.call('POST', `/webhooks/${source}`, body, { token: null, headers: { 'content-type': 'application/json', 'x-plexus-timestamp': String(ts), 'x-signature': sig } });
      expect(r.status, JSON.stringify(r.body)).toBe(202);
    };
    await deliver(1);
    await deliver(2);
    const events = await waitFor(
      'both deliveries in the history',
      async () => {
        const e = await history(`${source}-svc`);
        return e.length >= 2 ? e : undefined;
      },
      10_000,
    );
    expect(events.map((e) => [e.type, e.origin])).toEqual([
      ['entity.updated', `connector:${source}`],
      ['entity.created', `connector:${source}`],
    ]);
    expect(events[0].before.properties.tier).toBe(1);
    expect(events[0].after.properties.tier).toBe(2);
  });
});
