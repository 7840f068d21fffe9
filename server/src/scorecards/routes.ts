import { Hono } from 'hono';
import type { AccessControl } from '../auth/access.ts';
import { BadRequestError, NotFoundError } from '../errors.ts';
import { isDryRun } from '../catalog/dry-run.ts';
import { type AppEnv, readJson, writeContext } from '../http.ts';
import type { ScorecardAdmin } from './manage.ts';
import type { ScorecardService } from './scorecard-service.ts';
import { entityScoreKey } from './scorecard-service.ts';

function int(v: string | undefined, name: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new BadRequestError(`${name} must be an integer`);
  return n;
}

/**
 * `/api/v1/scorecards` (API.md "Scorecards"), plus the rule library, history, trend and an
 * entity's scorecards. Definitions are read by anyone signed in; changes go through
 * ScorecardAdmin (admin only, audited), as GraphQL's do. Results and history list only entities the
 * caller may read; level counts are aggregates and are shown to every reader.
 */
export function scorecardRoutes(deps: {
  scorecards: ScorecardService;
  scorecardAdmin: ScorecardAdmin;
  access: AccessControl;
  jsonLimit: number;
}): Hono<AppEnv> {
  const { scorecards, scorecardAdmin: admin, access, jsonLimit } = deps;
  const r = new Hono<AppEnv>();
  r.get('/scorecard-rules', (c) => c.json({ rules: scorecards.library() }));
  r.get('/scorecards', async (c) => c.json({ scorecards: await scorecards.list() }));
  r.post('/scorecards', async (c) => {
    if (isDryRun(c.req.query('dryRun')))
      return c.json({ dryRun: true, changes: [await admin.plan(c.get('principal'), null, () => readJson(c, jsonLimit), writeContext(c))] });
    return c.json(await admin.create(c.get('principal'), () => readJson(c, jsonLimit), writeContext(c)), 201);
  });
  r.get('/scorecards/:scorecard', async (c) => c.json(await scorecards.get(c.req.param('scorecard'))));
  r.put('/scorecards/:scorecard', async (c) => {
    if (isDryRun(c.req.query('dryRun')))
      return c.json({ dryRun: true, changes: [await admin.plan(c.get('principal'), c.req.param('scorecard'), () => readJson(c, jsonLimit), writeContext(c))] });
    return c.json(await admin.replace(c.get('principal'), c.req.param('scorecard'), () => readJson(c, jsonLimit), writeContext(c)));
  });
  r.delete('/scorecards/:scorecard', async (c) => {
    if (isDryRun(c.req.query('dryRun'))) {
      await admin.delete(c.get('principal'), c.req.param('scorecard'), writeContext(c), { dryRun: true });
      return c.json({ dryRun: true, changes: [{ op: 'delete', kind: 'scorecard', identifier: c.req.param('scorecard') }] });
    }
    await admin.delete(c.get('principal'), c.req.param('scorecard'), writeContext(c));
    return c.body(null, 204);
  });
  r.post('/scorecards/:scorecard/evaluate', async (c) =>
    c.json(await admin.evaluate(c.get('principal'), c.req.param('scorecard'))),
  );
  r.get('/scorecards/:scorecard/results', async (c) =>
    c.json(
      await scorecards.results(c.req.param('scorecard'), {
        scope: access.scope(c.get('principal')),
        level: c.req.query('level'),
        below: c.req.query('below'),
        entity: c.req.query('entity'),
        limit: int(c.req.query('limit'), 'limit'),
        cursor: c.req.query('cursor'),
      }),
    ),
  );
  r.get('/scorecards/:scorecard/history', async (c) =>
    c.json(
      await scorecards.history(c.req.param('scorecard'), {
        scope: access.scope(c.get('principal')),
        entity: c.req.query('entity'),
        since: c.req.query('since'),
        limit: int(c.req.query('limit'), 'limit'),
        cursor: c.req.query('cursor'),
      }),
    ),
  );
  r.get('/scorecards/:scorecard/trend', async (c) =>
    c.json(await scorecards.trend(c.req.param('scorecard'), { days: int(c.req.query('days'), 'days') })),
  );
  r.get('/blueprints/:blueprint/entities/:identifier/scorecards', async (c) => {
    const p = c.get('principal');
    const blueprint = c.req.param('blueprint');
    const identifier = c.req.param('identifier');
    access.assertCanReadBlueprint(p, blueprint);
    const scores = await scorecards.entityScores([{ blueprint, identifier }]);
    const readable = await access.redactEntities(p, [
      { blueprint, identifier, properties: {}, relations: {}, meta: { sources: [] } },
    ]);
    // A hidden entity answers like a missing one; an entity no scorecard scores, with an empty list.
    if (readable.length === 0 || !scores.has(entityScoreKey(blueprint, identifier))) {
      throw new NotFoundError(`entity "${identifier}" of blueprint "${blueprint}" does not exist`);
    }
    return c.json({ scorecards: scores.get(entityScoreKey(blueprint, identifier)) });
  });
  return r;
}
