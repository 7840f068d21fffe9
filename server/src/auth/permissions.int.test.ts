import { type Blueprint, inverseFieldOf, labelOf, pluralFieldOf } from '@plexus/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlexus, type TestPlexus, uniqueId, waitForGraphqlType } from '../test-support.ts';

// The permission matrix of issue 7: each role × operation × surface (REST, GraphQL query,
// GraphQL relation traversal, search, impact). Allowed operations work; the others answer 403
// or filtered results, and a forbidden entity's identifier, title and properties never appear
// anywhere in the raw response text.
//
// The model: `pub` (defaults: everyone reads, members write), `sec` (admins, its moderator and
// team "sec-readers" read; admins write), `own` (members read all, others only what their team
// owns; the owning team updates; admins delete), `team`, `leaf` (defaults). pub-1 uses the
// secret, which feeds a leaf: the leaf is reachable from pub-1 only through the secret.

let px: TestPlexus;
const u = uniqueId('');
const bp = { team: `team${u}`, pub: `pub${u}`, sec: `sec${u}`, own: `own${u}`, leaf: `leaf${u}` };
const id = {
  teamA: `team-a-${u}`,
  teamB: `team-b-${u}`,
  secret: `secret-${u}`,
  ownedA: `owned-a-${u}`,
  ownedB: `owned-b-${u}`,
  pub1: `pub-one-${u}`,
  leaf: `leaf-${u}`,
};
/** Strings that must never reach a caller who may not read the secret. */
const secretMarks = [id.secret, `Hidden Title ${u}`, `TOPSECRET${u}`];
const tokens: Record<'admin' | 'viewer' | 'member' | 'moderator' | 'reader' | 'scoped', string> = {
  admin: '',
  viewer: '',
  member: '',
  moderator: '',
  reader: '',
  scoped: '',
};
type Who = keyof typeof tokens;

const call = (who: Who, method: string, path: string, body?: unknown) => px.call(method, path, body, { token: tokens[who] });
async function raw(who: Who, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { authorization: `Bearer ${tokens[who]}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await px.app.request(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
}
const gqlRaw = (who: Who, query: string, variables?: Record<string, unknown>) => raw(who, 'POST', '/graphql', { query, variables });
function expectNoSecret(text: string, what: string) {
  for (const mark of secretMarks) expect(text, `${what} leaks ${mark}`).not.toContain(mark);
}
function expectNoOwnedB(text: string, what: string) {
  expect(text, `${what} leaks ${id.ownedB}`).not.toContain(id.ownedB);
}

beforeAll(async () => {
  px = await startTestPlexus();
  tokens.admin = px.adminToken;
  const blueprints: Blueprint[] = [
    { identifier: bp.team, title: 'Team', schema: { properties: {} } },
    { identifier: bp.leaf, title: 'Leaf', schema: { properties: {} } },
    {
      identifier: bp.sec,
      title: 'Secret',
      schema: { properties: { codename: { type: 'string' } } },
      relations: { feeds: { target: bp.leaf, many: true } },
      permissions: {
        read: { roles: ['admin'], teams: ['sec-readers'] },
        create: { roles: ['admin'] },
        update: { roles: ['admin'] },
        delete: { roles: ['admin'] },
      },
    },
    {
      identifier: bp.own,
      title: 'Owned',
      schema: { properties: { note: { type: 'string' } } },
      relations: { ownedBy: { target: bp.team } },
      permissions: { read: { roles: ['member'], owners: true }, update: { owners: true }, delete: { roles: ['admin'] } },
    },
    {
      identifier: bp.pub,
      title: 'Public',
      schema: { properties: { colour: { type: 'string' } } },
      relations: { uses: { target: bp.sec, many: true }, about: { target: bp.own, many: true } },
    },
  ];
  for (const b of blueprints) expect((await px.call('POST', '/api/v1/blueprints', b)).status, b.identifier).toBe(201);

  const users = [
    { id: `viewer-${u}`, role: 'viewer', teams: [id.teamA] },
    { id: `member-${u}`, role: 'member', teams: [id.teamB] },
    { id: `moderator-${u}`, role: 'member', moderates: [bp.sec] },
    { id: `reader-${u}`, role: 'viewer', teams: ['sec-readers'] },
  ];
  for (const user of users) expect((await px.call('POST', '/api/v1/users', user)).status).toBe(201);
  for (const [who, user] of [['viewer', users[0]], ['member', users[1]], ['moderator', users[2]], ['reader', users[3]]] as const) {
    const t = await px.call('POST', '/api/v1/tokens', { name: who, role: user.role === 'viewer' ? 'viewer' : 'member', user: user.id });
    expect(t.status).toBe(201);
    tokens[who] = t.body.token;
  }
  const scoped = await px.call('POST', '/api/v1/tokens', { name: 'scoped', role: 'member', user: users[1].id, blueprints: [bp.pub] });
  tokens.scoped = scoped.body.token;

  const bulk = await px.call('POST', '/api/v1/entities/bulk', {
    entities: [
      { blueprint: bp.team, identifier: id.teamA },
      { blueprint: bp.team, identifier: id.teamB },
      { blueprint: bp.own, identifier: id.ownedA, properties: { note: 'a' }, relations: { ownedBy: id.teamA } },
      { blueprint: bp.own, identifier: id.ownedB, properties: { note: 'b' }, relations: { ownedBy: id.teamB } },
      { blueprint: bp.pub, identifier: id.pub1, properties: { colour: 'red' }, relations: { uses: [id.secret], about: [id.ownedA, id.ownedB] } },
      { blueprint: bp.leaf, identifier: id.leaf },
      { blueprint: bp.sec, identifier: id.secret, title: `Hidden Title ${u}`, properties: { codename: `TOPSECRET${u}` }, relations: { feeds: [id.leaf] } },
    ],
  });
  expect(bulk.status).toBe(200);
  await waitForGraphqlType(px, labelOf(bp.pub));
});
afterAll(async () => {
  await px?.close();
});

describe('REST reads', () => {
  it('lists a blueprint only for those who may read it', async () => {
    for (const who of ['admin', 'moderator', 'reader'] as const) {
      const r = await raw(who, 'GET', `/api/v1/blueprints/${bp.sec}/entities`);
      expect(r.status, who).toBe(200);
      expect(r.text, who).toContain(id.secret);
    }
    for (const who of ['viewer', 'member', 'scoped'] as const) {
      const r = await raw(who, 'GET', `/api/v1/blueprints/${bp.sec}/entities`);
      expect(r.status, who).toBe(403);
      expectNoSecret(r.text, who);
    }
  });

  it('reads a forbidden entity as 403 and a hidden owned one as 404, like a missing one', async () => {
    const secret = await raw('viewer', 'GET', `/api/v1/blueprints/${bp.sec}/entities/${id.secret}`);
    expect(secret.status).toBe(403);
    expectNoSecret(secret.text, 'GET secret');
    const hidden = await raw('viewer', 'GET', `/api/v1/blueprints/${bp.own}/entities/${id.ownedB}`);
    const missing = await raw('viewer', 'GET', `/api/v1/blueprints/${bp.own}/entities/nothing-${u}`);
    expect(hidden.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(hidden.text.replace(id.ownedB, 'X')).toBe(missing.text.replace(`nothing-${u}`, 'X'));
    expect((await call('viewer', 'GET', `/api/v1/blueprints/${bp.own}/entities/${id.ownedA}`)).status).toBe(200);
  });

  it('filters owned entities by the caller\'s teams, and members see all of them', async () => {
    const viewer = await raw('viewer', 'GET', `/api/v1/blueprints/${bp.own}/entities?limit=1`);
    expect(viewer.status).toBe(200);
    expect(JSON.parse(viewer.text).entities.map((e: { identifier: string }) => e.identifier)).toEqual([id.ownedA]);
    expectNoOwnedB(viewer.text, 'owned list');
    const member = await call('member', 'GET', `/api/v1/blueprints/${bp.own}/entities`);
    expect(member.body.entities.map((e: { identifier: string }) => e.identifier).sort()).toEqual([id.ownedA, id.ownedB].sort());
    // A viewer of another team may read owned entities, of which it owns none.
    const reader = await raw('reader', 'GET', `/api/v1/blueprints/${bp.own}/entities`);
    expect(JSON.parse(reader.text).entities).toEqual([]);
    expectNoOwnedB(reader.text, 'owned list for another team');
    expect((await call('scoped', 'GET', `/api/v1/blueprints/${bp.own}/entities`)).status).toBe(403);
  });

  it('leaves relations to entities the caller may not read out of an entity', async () => {
    const admin = await call('admin', 'GET', `/api/v1/blueprints/${bp.pub}/entities/${id.pub1}`);
    expect(admin.body.relations).toEqual({ uses: [id.secret], about: [id.ownedA, id.ownedB].sort() });
    const viewer = await raw('viewer', 'GET', `/api/v1/blueprints/${bp.pub}/entities/${id.pub1}`);
    expect(viewer.status).toBe(200);
    expect(JSON.parse(viewer.text).relations).toEqual({ uses: [], about: [id.ownedA] });
    expectNoSecret(viewer.text, 'pub-1 for a viewer');
    expectNoOwnedB(viewer.text, 'pub-1 for a viewer');
    const list = await raw('member', 'GET', `/api/v1/blueprints/${bp.pub}/entities`);
    expectNoSecret(list.text, 'pub list for a member');
  });

  it('keeps a scoped token inside its blueprints', async () => {
    expect((await call('scoped', 'GET', `/api/v1/blueprints/${bp.pub}/entities/${id.pub1}`)).status).toBe(200);
    expect((await call('scoped', 'GET', `/api/v1/blueprints/${bp.own}/entities`)).status).toBe(403);
    expect((await call('scoped', 'POST', `/api/v1/blueprints/${bp.own}/entities`, { identifier: `x-${u}` })).status).toBe(403);
  });
});

describe('REST writes', () => {
  it('lets members and up create public entities, never viewers', async () => {
    expect((await call('viewer', 'POST', `/api/v1/blueprints/${bp.pub}/entities`, { identifier: `v-${u}` })).status).toBe(403);
    expect((await call('member', 'POST', `/api/v1/blueprints/${bp.pub}/entities`, { identifier: `m-${u}` })).status).toBe(201);
    expect((await call('admin', 'GET', `/api/v1/blueprints/${bp.pub}/entities/v-${u}`)).status).toBe(404);
  });

  it('lets only admins and the moderator write a restricted blueprint', async () => {
    const member = await call('member', 'POST', `/api/v1/blueprints/${bp.sec}/entities`, { identifier: `s-${u}` });
    expect(member.status).toBe(403);
    // Refused from the path alone, before the body is read.
    expect(member.body.error.message).toContain(`"${bp.sec}"`);
    // Through bulk, where the blueprint is in the body: the refusal names the record.
    const bulk = await call('member', 'POST', '/api/v1/entities/bulk', { entities: [{ blueprint: bp.sec, identifier: `s-${u}` }] });
    expect(bulk.status).toBe(403);
    expect(bulk.body.error.details[0]).toMatchObject({ identifier: `s-${u}`, blueprint: bp.sec });
    expect((await call('moderator', 'POST', `/api/v1/blueprints/${bp.sec}/entities`, { identifier: `s-${u}` })).status).toBe(201);
    expect((await call('moderator', 'DELETE', `/api/v1/blueprints/${bp.sec}/entities/s-${u}`)).status).toBe(200);
  });

  it('lets the owning team update its entities and nobody else (but admins)', async () => {
    const own = await call('member', 'POST', `/api/v1/blueprints/${bp.own}/entities`, { identifier: id.ownedB, properties: { note: 'b2' }, relations: { ownedBy: id.teamB } });
    expect(own.status).toBe(200);
    const other = await call('member', 'POST', `/api/v1/blueprints/${bp.own}/entities`, { identifier: id.ownedA, properties: { note: 'stolen' }, relations: { ownedBy: id.teamB } });
    expect(other.status).toBe(403);
    const a = await call('admin', 'GET', `/api/v1/blueprints/${bp.own}/entities/${id.ownedA}`);
    expect(a.body.properties.note).toBe('a');
    expect(a.body.relations.ownedBy).toBe(id.teamA);
  });

  it('refuses a bulk request with one forbidden record, naming it, and writes nothing', async () => {
    const res = await call('member', 'POST', '/api/v1/entities/bulk', {
      entities: [
        { blueprint: bp.pub, identifier: `bulk-ok-${u}` },
        { blueprint: bp.own, identifier: id.ownedB, properties: { note: 'b3' }, relations: { ownedBy: id.teamB } },
        { blueprint: bp.own, identifier: id.ownedA, properties: { note: 'x' }, relations: { ownedBy: id.teamA } },
      ],
    });
    expect(res.status).toBe(403);
    expect(res.body.error.details).toEqual([expect.objectContaining({ index: 2, identifier: id.ownedA, blueprint: bp.own })]);
    expect(res.body.error.message).toContain(id.ownedA);
    expect((await call('admin', 'GET', `/api/v1/blueprints/${bp.pub}/entities/bulk-ok-${u}`)).status).toBe(404);
    expect((await call('admin', 'GET', `/api/v1/blueprints/${bp.own}/entities/${id.ownedB}`)).body.properties.note).toBe('b2');
  });

  it('deletes by the blueprint\'s delete grant', async () => {
    expect((await call('viewer', 'DELETE', `/api/v1/blueprints/${bp.pub}/entities/m-${u}`)).status).toBe(403);
    expect((await call('member', 'DELETE', `/api/v1/blueprints/${bp.own}/entities/${id.ownedB}`)).status).toBe(403);
    expect((await call('member', 'DELETE', `/api/v1/blueprints/${bp.pub}/entities/m-${u}`)).status).toBe(200);
  });

  it('lets admins and moderators change a blueprint, and only admins create one', async () => {
    expect((await call('member', 'PATCH', `/api/v1/blueprints/${bp.sec}`, { description: 'x' })).status).toBe(403);
    expect((await call('moderator', 'PATCH', `/api/v1/blueprints/${bp.pub}`, { description: 'x' })).status).toBe(403);
    expect((await call('moderator', 'PATCH', `/api/v1/blueprints/${bp.sec}`, { description: 'moderated' })).status).toBe(200);
    expect((await call('moderator', 'POST', '/api/v1/blueprints', { identifier: uniqueId('nope'), title: 'No', schema: { properties: {} } })).status).toBe(403);
    expect((await call('member', 'POST', '/api/v1/packs/sdlc')).status).toBe(403);
  });

  it('refuses forbidden writes through GraphQL too', async () => {
    const r = await gqlRaw('member', `mutation($e: [EntityInput!]!) { upsertEntities(entities: $e) { upserted } }`, {
      e: [{ blueprint: bp.sec, identifier: `g-${u}` }],
    });
    expect(JSON.parse(r.text).errors[0].extensions.code).toBe('forbidden');
    const d = await gqlRaw('viewer', `mutation($e: [EntityRefInput!]!) { deleteEntities(entities: $e) { deleted } }`, { e: [{ blueprint: bp.pub, identifier: id.pub1 }] });
    expect(JSON.parse(d.text).errors[0].extensions.code).toBe('forbidden');
    expect((await call('admin', 'GET', `/api/v1/blueprints/${bp.pub}/entities/${id.pub1}`)).status).toBe(200);
  });
});

describe('GraphQL reads', () => {
  const secs = pluralFieldOf(bp.sec);
  const owns = pluralFieldOf(bp.own);
  const pubs = pluralFieldOf(bp.pub);

  it('filters root queries, connections and aggregations', async () => {
    const q = `{ ${secs} { identifier title codename } ${secs}Connection { totalCount } ${owns} { identifier } }`;
    const admin = JSON.parse((await gqlRaw('admin', q)).text);
    expect(admin.errors).toBeUndefined();
    expect(admin.data[secs]).toEqual([{ identifier: id.secret, title: `Hidden Title ${u}`, codename: `TOPSECRET${u}` }]);
    const viewer = await gqlRaw('viewer', q);
    const body = JSON.parse(viewer.text);
    expect(body.errors).toBeUndefined();
    expect(body.data[secs]).toEqual([]);
    expect(body.data[`${secs}Connection`].totalCount).toBe(0);
    expect(body.data[owns]).toEqual([{ identifier: id.ownedA }]);
    expectNoSecret(viewer.text, 'GraphQL roots');
    expectNoOwnedB(viewer.text, 'GraphQL roots');
    const reader = JSON.parse((await gqlRaw('reader', q)).text);
    expect(reader.data[secs].map((s: { identifier: string }) => s.identifier)).toEqual([id.secret]);
  });

  it('filters relation fields, inverse fields and the Entity interface', async () => {
    const inverse = inverseFieldOf({ identifier: bp.own } as Blueprint, 'ownedBy', { target: bp.team });
    const q = `{
      ${pubs}(where: { identifier: { eq: "${id.pub1}" } }) { identifier uses { identifier codename feeds { identifier } } about { identifier } usesConnection { totalCount edges { node { identifier } } } }
      ${pluralFieldOf(bp.team)} { identifier ${inverse} { identifier note } }
    }`;
    const viewer = await gqlRaw('viewer', q);
    const body = JSON.parse(viewer.text);
    expect(body.errors).toBeUndefined();
    expect(body.data[pubs]).toEqual([{ identifier: id.pub1, uses: [], about: [{ identifier: id.ownedA }], usesConnection: { totalCount: 0, edges: [] } }]);
    expectNoSecret(viewer.text, 'relation traversal');
    expectNoOwnedB(viewer.text, 'relation traversal');
    const admin = JSON.parse((await gqlRaw('admin', q)).text);
    expect(admin.data[pubs][0].uses).toEqual([{ identifier: id.secret, codename: `TOPSECRET${u}`, feeds: [{ identifier: id.leaf }] }]);
  });

  it('does not let a where filter probe a forbidden entity through a relation', async () => {
    for (const q of [
      `{ ${pubs}(where: { uses: { some: { codename: { eq: "TOPSECRET${u}" } } } }) { identifier } }`,
      `{ ${pubs}(where: { about: { some: { identifier: { eq: "${id.ownedB}" } } } }) { identifier } }`,
    ]) {
      const viewer = JSON.parse((await gqlRaw('viewer', q)).text);
      expect(viewer.data?.[pubs] ?? []).toEqual([]);
      expect(viewer.errors?.[0]?.message ?? '').not.toContain('TOPSECRET');
    }
    // Filtering through relations to readable blueprints still works.
    const q = `{ ${pubs}(where: { identifier: { eq: "${id.pub1}" } }) { identifier } }`;
    expect(JSON.parse((await gqlRaw('viewer', q)).text).data[pubs]).toEqual([{ identifier: id.pub1 }]);
  });

  it('filters the Entity interface', async () => {
    const probe = JSON.parse((await gqlRaw('admin', '{ __type(name: "Query") { fields { name } } }')).text);
    // @neo4j/graphql generates a root field for the Entity interface; reads through it are filtered per type.
    expect(probe.data.__type.fields.map((f: { name: string }) => f.name)).toContain('entities');
    const q = `{ entities(where: { identifier: { in: ["${id.secret}", "${id.ownedB}", "${id.pub1}"] } }) { identifier } }`;
    const viewer = await gqlRaw('viewer', q);
    expect(JSON.parse(viewer.text).data.entities).toEqual([{ identifier: id.pub1 }]);
    expectNoSecret(viewer.text, 'Entity interface');
    expectNoOwnedB(viewer.text, 'Entity interface');
  });
});

describe('search', () => {
  it('finds forbidden entities for nobody who may not read them (full text, REST and GraphQL)', async () => {
    const admin = await call('admin', 'GET', `/api/v1/search?q=TOPSECRET${u}`);
    expect(admin.body.entities.map((e: { identifier: string }) => e.identifier)).toEqual([id.secret]);
    const viewer = await raw('viewer', 'GET', `/api/v1/search?q=TOPSECRET${u}`);
    expect(viewer.status).toBe(200);
    expect(JSON.parse(viewer.text).entities).toEqual([]);
    expectNoSecret(viewer.text, 'full-text search');
    const g = await gqlRaw('viewer', `{ search(q: "${id.secret}") { identifier } }`);
    expect(JSON.parse(g.text).data.search).toEqual([]);
    expectNoSecret(g.text, 'GraphQL search');
  });

  it('does not let rules match through a forbidden entity, nor show relations to one', async () => {
    const request = { blueprint: bp.pub, rules: [{ relation: 'uses', rules: [{ property: 'codename', operator: '=', value: `TOPSECRET${u}` }] }] };
    expect((await call('admin', 'POST', '/api/v1/search', request)).body.entities.map((e: { identifier: string }) => e.identifier)).toEqual([id.pub1]);
    const viewer = await raw('viewer', 'POST', '/api/v1/search', request);
    expect(JSON.parse(viewer.text).entities).toEqual([]);
    const all = await raw('viewer', 'POST', '/api/v1/search', { rules: [{ property: 'identifier', operator: 'endsWith', value: u }], limit: 100 });
    const found = JSON.parse(all.text).entities.map((e: { identifier: string }) => e.identifier);
    expect(found).toContain(id.pub1);
    expect(found).toContain(id.ownedA);
    expectNoSecret(all.text, 'structured search');
    expectNoOwnedB(all.text, 'structured search');
    // leaf ← feeds ← secret ← uses ← pub-1: true for an admin, and through a hidden entity for a viewer.
    const through = { blueprint: bp.leaf, rules: [{ relation: 'feeds', direction: 'incoming', rules: [{ relation: 'uses', direction: 'incoming', rules: [] }] }] };
    expect((await call('admin', 'POST', '/api/v1/search', through)).body.entities.map((e: { identifier: string }) => e.identifier)).toEqual([id.leaf]);
    const deep = await raw('viewer', 'POST', '/api/v1/search', through);
    expect(JSON.parse(deep.text).entities).toEqual([]);
    const g = await gqlRaw('viewer', 'query($s: JSON!) { findEntities(search: $s) { entities { identifier relations } } }', { s: { rules: [{ property: 'identifier', operator: 'endsWith', value: u }], limit: 100 } });
    expectNoSecret(g.text, 'findEntities');
    expectNoOwnedB(g.text, 'findEntities');
  });
});

describe('impact', () => {
  // The relations are named: without them impact follows the relations of role `dependency` only.
  const walked = 'uses,about,feeds,ownedBy';
  const impactPath = (root: string, b = bp.pub) => `/api/v1/blueprints/${b}/entities/${root}/impact?direction=upstream&depth=3&relations=${walked}`;

  it('answers 404 for a root the caller may not read', async () => {
    expect((await call('admin', 'GET', impactPath(id.secret, bp.sec).replace('upstream', 'downstream'))).status).toBe(200);
    const viewer = await raw('viewer', 'GET', impactPath(id.secret, bp.sec));
    expect(viewer.status).toBe(404);
  });

  it('neither returns nor walks through forbidden entities, and names none in edges', async () => {
    const admin = await call('admin', 'GET', impactPath(id.pub1));
    const adminNodes = admin.body.nodes.map((n: { identifier: string }) => n.identifier);
    expect(adminNodes).toEqual(expect.arrayContaining([id.secret, id.leaf, id.ownedA, id.ownedB]));
    const viewer = await raw('viewer', 'GET', impactPath(id.pub1));
    expect(viewer.status).toBe(200);
    const body = JSON.parse(viewer.text);
    expect(body.nodes.map((n: { identifier: string }) => n.identifier).sort()).toEqual([id.ownedA, id.teamA].sort());
    expectNoSecret(viewer.text, 'impact');
    expectNoOwnedB(viewer.text, 'impact');
    expect(viewer.text).not.toContain(id.leaf);
    const g = await gqlRaw('viewer', `{ impact(blueprint: "${bp.pub}", identifier: "${id.pub1}", direction: UPSTREAM, depth: 3, relations: ["uses", "about", "feeds", "ownedBy"]) { nodes { identifier } edges { source target } } }`);
    expectNoSecret(g.text, 'GraphQL impact');
    expect(g.text).not.toContain(id.leaf);
  });

  it('finds no path through a forbidden entity', async () => {
    const q = `/api/v1/paths?from=${bp.pub}:${id.pub1}&to=${bp.leaf}:${id.leaf}&depth=4`;
    expect((await call('admin', 'GET', q)).body.paths.length).toBeGreaterThan(0);
    const viewer = await raw('viewer', 'GET', q);
    expect(JSON.parse(viewer.text).paths).toEqual([]);
    expectNoSecret(viewer.text, 'paths');
  });
});

describe('ownership through a polymorphic relation', () => {
  it('grants the owning team whichever of the targets owns the entity', async () => {
    const grp = `grp${u}`;
    const poly = `poly${u}`;
    expect((await call('admin', 'POST', '/api/v1/blueprints', { identifier: grp, title: 'Group', schema: { properties: {} } })).status).toBe(201);
    const created = await call('admin', 'POST', '/api/v1/blueprints', {
      identifier: poly,
      title: 'Poly',
      schema: { properties: {} },
      relations: { ownedBy: { target: [bp.team, grp] } },
      permissions: { read: { owners: true } },
    });
    expect(created.status).toBe(201);
    const write = await call('admin', 'POST', '/api/v1/entities/bulk', {
      entities: [
        { blueprint: grp, identifier: `grp-x-${u}` },
        { blueprint: poly, identifier: `poly-mine-${u}`, relations: { ownedBy: `${bp.team}:${id.teamA}` } },
        { blueprint: poly, identifier: `poly-theirs-${u}`, relations: { ownedBy: `${grp}:grp-x-${u}` } },
      ],
    });
    expect(write.status).toBe(200);
    const rest = await raw('viewer', 'GET', `/api/v1/blueprints/${poly}/entities`);
    expect(JSON.parse(rest.text).entities.map((e: { identifier: string }) => e.identifier)).toEqual([`poly-mine-${u}`]);
    expect(rest.text).not.toContain(`poly-theirs-${u}`);
    await waitForGraphqlType(px, labelOf(poly));
    const g = await gqlRaw('viewer', `{ ${pluralFieldOf(poly)} { identifier } }`);
    expect(JSON.parse(g.text).data[pluralFieldOf(poly)]).toEqual([{ identifier: `poly-mine-${u}` }]);
    const admin = JSON.parse((await gqlRaw('admin', `{ ${pluralFieldOf(poly)} { identifier } }`)).text);
    expect(admin.data[pluralFieldOf(poly)].length).toBe(2);
  });
});
