import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';

/** Scorecards managed through GraphQL: the same checks, permission and audit as REST. */
let px: TestPlexus;
let svc: string;
let sc: string;
let member: string;

// biome-ignore lint/suspicious/noExplicitAny: GraphQL answers are JSON whose shape the assertions check.
type Json = any;

const gql = async (query: string, variables: Record<string, unknown> = {}, token?: string) => {
  const r = await px.call('POST', '/graphql', { query, variables }, token ? { token } : {});
  expect(r.status).toBe(200);
  return r.body as { data: Record<string, Json> | null; errors?: { message: string; extensions?: Record<string, Json> }[] };
};

const create = 'mutation ($s: JSON!) { createScorecard(scorecard: $s) }';

beforeAll(async () => {
  px = await startTestPlexus();
  [svc, sc] = [uniqueId('svc'), uniqueId('sc')];
  await px.call('POST', '/api/v1/blueprints', {
    identifier: svc,
    title: 'Service',
    schema: { properties: { tier: { type: 'integer' }, runbook: { type: 'string' } } },
  });
  await px.call('POST', '/api/v1/entities/bulk', {
    entities: [
      { blueprint: svc, identifier: 'a', properties: { tier: 1, runbook: 'https://runbooks/a' } },
      { blueprint: svc, identifier: 'b', properties: { tier: 2 } },
    ],
  });
  const t = await px.call('POST', '/api/v1/tokens', { name: uniqueId('member'), role: 'member' });
  member = t.body.token;
});

afterAll(async () => {
  await px.call('DELETE', `/api/v1/scorecards/${sc}`);
  await px.close();
});

describe('scorecards through GraphQL', () => {
  const definition = () => ({
    identifier: sc,
    title: 'Basics',
    blueprint: svc,
    rules: [
      { identifier: 'tier-one', title: 'Tier 1', level: 'Bronze', property: 'tier', operator: '=', value: 1 },
      { identifier: 'runbook', title: 'Has a runbook', level: 'Silver', cypher: 'e.runbook IS NOT NULL' },
    ],
  });

  it('refuses a member, and creates nothing', async () => {
    const res = await gql(create, { s: definition() }, member);
    expect(res.errors?.[0].message).toMatch(/creating scorecards needs the admin role; you have member/);
    expect(res.errors?.[0].extensions?.status).toBe(403);
    expect((await px.call('GET', `/api/v1/scorecards/${sc}`)).status).toBe(404);
  });

  it('rejects an invalid definition with the details REST gives', async () => {
    const res = await gql(create, { s: { ...definition(), rules: [{ identifier: 'w', level: 'Bronze', cypher: 'e.x = 1 CREATE (n)' }] } });
    expect(res.errors?.[0].extensions?.status).toBe(422);
    expect(JSON.stringify(res.errors?.[0].extensions?.details)).toMatch(/rules\/0/);
    expect((await px.call('GET', `/api/v1/scorecards/${sc}`)).status).toBe(404);
  });

  it('creates, reads, replaces and evaluates a scorecard, audited with the graphql origin', async () => {
    const created = await gql(create, { s: definition() });
    expect(created.errors).toBeUndefined();
    expect(created.data?.createScorecard).toMatchObject({ identifier: sc, blueprint: svc, levels: ['Basic', 'Bronze', 'Silver', 'Gold'] });
    const rest = await px.call('GET', `/api/v1/scorecards/${sc}`);
    expect(rest.body.rules.map((r: { identifier: string }) => r.identifier)).toEqual(['tier-one', 'runbook']);

    const read = await gql('query ($id: String!) { scorecardDefinition(identifier: $id) scorecardDefinitions }', { id: sc }, member);
    expect(read.data?.scorecardDefinition.title).toBe('Basics');
    expect(read.data?.scorecardDefinitions.map((s: { identifier: string }) => s.identifier)).toContain(sc);

    const replaced = await gql('mutation ($id: String!, $s: JSON!) { replaceScorecard(identifier: $id, scorecard: $s) }', {
      id: sc,
      s: { ...definition(), title: 'Service basics' },
    });
    expect(replaced.data?.replaceScorecard.title).toBe('Service basics');

    const evaluated = await gql('mutation ($id: String!) { evaluateScorecard(identifier: $id) }', { id: sc });
    expect(evaluated.data?.evaluateScorecard).toMatchObject({ scorecard: sc, mode: 'full', evaluated: 2 });
    const results = await px.call('GET', `/api/v1/scorecards/${sc}/results`);
    const levels = Object.fromEntries(results.body.results.map((r: { entity: string; level: string }) => [r.entity, r.level]));
    // Gold has no rules of its own: passing every rule up to Silver reaches it.
    expect(levels).toEqual({ a: 'Gold', b: 'Basic' });

    const trail = await px.call('GET', `/api/v1/audit?kind=scorecard&subject=${sc}`);
    const rows = trail.body.events.map((e: { type: string; origin: string; after: { title?: string } | null }) => [e.type, e.origin, e.after?.title]);
    expect(rows).toEqual([
      ['scorecard.updated', 'graphql', 'Service basics'],
      ['scorecard.created', 'graphql', 'Basics'],
    ]);
  });

  it('deletes a scorecard; reading it then answers null', async () => {
    const denied = await gql('mutation ($id: String!) { deleteScorecard(identifier: $id) }', { id: sc }, member);
    expect(denied.errors?.[0].extensions?.status).toBe(403);
    const deleted = await gql('mutation ($id: String!) { deleteScorecard(identifier: $id) }', { id: sc });
    expect(deleted.data?.deleteScorecard).toBe(true);
    const read = await gql('query ($id: String!) { scorecardDefinition(identifier: $id) }', { id: sc });
    expect(read.data?.scorecardDefinition).toBeNull();
    const missing = await gql('mutation ($id: String!) { deleteScorecard(identifier: $id) }', { id: sc });
    expect(missing.errors?.[0].extensions?.status).toBe(404);
  });

  it('refuses a blueprint whose list field would take a root field Plexus uses', async () => {
    const res = await px.call('POST', '/api/v1/blueprints', { identifier: 'scorecardDefinition', title: 'x', schema: { properties: {} } });
    expect(res.status).toBe(422);
    expect(res.body.error.details[0]).toMatchObject({ path: '/identifier', message: expect.stringMatching(/would generate the GraphQL field "scorecardDefinitions"/) });
  });
});
