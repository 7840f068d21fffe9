import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';

// Level names are matched ignoring case everywhere, and entities are found by their level
// through the search rules language (REST search, GraphQL findEntities).
let px: TestPlexus;
let bp: string;
let sc: string;
beforeAll(async () => {
  px = await startTestPlexus();
  bp = uniqueId('lv');
  sc = uniqueId('lvsc');
  await px.call('POST', '/api/v1/blueprints', {
    identifier: bp,
    title: 'Levelled',
    schema: { properties: { tier: { type: 'integer' } } },
  });
  await px.call('POST', '/api/v1/entities/bulk', {
    entities: [1, 2, 3].map((t) => ({ blueprint: bp, identifier: `t${t}`, properties: { tier: t } })),
  });
  const r = await px.call('POST', '/api/v1/scorecards', {
    identifier: sc,
    blueprint: bp,
    // Rule levels in another case than the scorecard's levels: stored in the scorecard's spelling.
    rules: [
      { identifier: 'some-tier', level: 'BRONZE', property: 'tier', operator: '>=', value: 1 },
      { identifier: 'tier-two', level: 'silver', property: 'tier', operator: '>=', value: 2 },
      { identifier: 'tier-three', level: 'gold', property: 'tier', operator: '>=', value: 3 },
    ],
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  expect(r.body.rules.map((x: { level: string }) => x.level)).toEqual(['Bronze', 'Silver', 'Gold']);
  expect((await px.call('POST', `/api/v1/scorecards/${sc}/evaluate`)).status).toBe(200);
});
afterAll(async () => {
  await px.call('DELETE', `/api/v1/scorecards/${sc}`);
  await px?.close();
});

const ids = (body: { entities?: { identifier: string }[]; results?: { entity: string }[] }) =>
  (body.entities?.map((e) => e.identifier) ?? body.results?.map((r) => r.entity) ?? []).sort();

describe('scorecard levels, ignoring case', () => {
  it('lists results below a level named in lower case', async () => {
    const r = await px.call('GET', `/api/v1/scorecards/${sc}/results?below=silver`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(ids(r.body)).toEqual(['t1']);
    expect(ids((await px.call('GET', `/api/v1/scorecards/${sc}/results?level=GOLD`)).body)).toEqual(['t3']);
  });

  it('still refuses a level the scorecard does not have, listing its levels', async () => {
    const r = await px.call('GET', `/api/v1/scorecards/${sc}/results?below=platinum`);
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/below must be one of Basic, Bronze, Silver, Gold/);
  });

  it('refuses levels that differ only in case', async () => {
    const r = await px.call('POST', '/api/v1/scorecards', {
      identifier: uniqueId('dup'),
      blueprint: bp,
      levels: ['Basic', 'Gold', 'GOLD'],
      rules: [],
    });
    expect(r.status).toBe(422);
    expect(JSON.stringify(r.body.error.details)).toMatch(/unique, ignoring case/);
  });

  it('finds entities by level in REST search: level, below and atLeast', async () => {
    const search = async (rule: Record<string, unknown>) => {
      const r = await px.call('POST', '/api/v1/search', {
        blueprint: bp,
        rules: [{ scorecard: sc, ...rule }],
      });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return ids(r.body);
    };
    expect(await search({ below: 'gold' })).toEqual(['t1', 't2']);
    expect(await search({ atLeast: 'Silver' })).toEqual(['t2', 't3']);
    expect(await search({ level: 'bronze' })).toEqual(['t1']);
    expect(await search({ atLeast: 'bronze', below: 'GOLD' })).toEqual(['t1', 't2']);
    expect(await search({ below: 'platinum' })).toEqual([]);
  });

  it('finds entities by level in GraphQL findEntities, for members too', async () => {
    const member = (await px.call('POST', '/api/v1/tokens', { name: uniqueId('m'), role: 'member' })).body
      .token as string;
    const ask = () =>
      px.call(
        'POST',
        '/graphql',
        {
          query: 'query($s: JSON!) { findEntities(search: $s) { entities { identifier properties } } }',
          variables: { s: { blueprint: bp, rules: [{ scorecard: sc, below: 'GOLD' }] } },
        },
        { token: member },
      );
    // The schema is built in the background (a 503 asks to retry); a busy machine takes a while.
    let r = await ask();
    await vi.waitFor(
      async () => {
        if (r.status === 503) r = await ask();
        expect(r.status).not.toBe(503);
      },
      { timeout: 240_000, interval: 2000 },
    );
    expect(r.status).toBe(200);
    expect(r.body.errors).toBeUndefined();
    expect(ids(r.body.data.findEntities)).toEqual(['t1', 't2']);
  });

  it('explains a scorecard rule without a level', async () => {
    const r = await px.call('POST', '/api/v1/search', { blueprint: bp, rules: [{ scorecard: sc }] });
    expect(r.status).toBe(422);
    expect(r.body.error.details[0].message).toMatch(/needs "level", "below" or "atLeast"/);
  });
});
