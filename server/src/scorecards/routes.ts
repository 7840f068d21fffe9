import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AccessControl } from '../auth/access.ts';
import { BadRequestError, NotFoundError } from '../errors.ts';
import { isDryRun } from '../catalog/dry-run.ts';
import { type AppEnv, readJson, writeContext } from '../http.ts';
import { createRouter, dryRunSchema, operation, z } from '../openapi.ts';
import type { ScorecardAdmin } from './manage.ts';
import type { ScorecardService } from './scorecard-service.ts';
import { entityScoreKey } from './scorecard-service.ts';

function int(v: string | undefined, name: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new BadRequestError(`${name} must be an integer`);
  return n;
}

/** The body of `POST /scorecards` and `PUT /scorecards/{scorecard}` (API.md "Scorecards"); validate-scorecard.ts checks it. */
const scorecardInputSchema = z
  .object({
    identifier: z.string(),
    title: z.string().optional(),
    blueprint: z.string(),
    levels: z.array(z.string()),
    rules: z.array(
      z
        .object({
          identifier: z.string(),
          title: z.string().optional(),
          level: z.string(),
          weight: z.number().optional(),
          cypher: z.string().optional().openapi({ description: 'A read-only predicate over (e)' }),
          property: z.string().optional(),
          operator: z.string().optional(),
          value: z.unknown().optional(),
          relation: z.string().optional(),
          direction: z.enum(['outgoing', 'incoming']).optional(),
        })
        .catchall(z.unknown()),
    ),
  })
  .catchall(z.unknown())
  .openapi('ScorecardInput');

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
}): OpenAPIHono<AppEnv> {
  const { scorecards, scorecardAdmin: admin, access, jsonLimit } = deps;
  const r = createRouter();
  r.openAPIRegistry.register('ScorecardInput', scorecardInputSchema);
  const tag = 'Scorecards';
  const page = { limit: 'Page size', cursor: 'The `next` of the previous page' };
  r.openapi(operation('get', '/scorecard-rules', { summary: 'The library of ready-made rules', tag }), (c) => c.json({ rules: scorecards.library() }));
  r.openapi(operation('get', '/scorecards', { summary: 'List scorecards with level counts', tag }), async (c) => c.json({ scorecards: await scorecards.list() }));
  r.openapi(operation('post', '/scorecards', { summary: 'Create a scorecard (admin); rules are read-only Cypher or library rules', tag, body: 'ScorecardInput', dryRun: true, responses: { 200: { description: 'Dry run: the changes', schema: dryRunSchema }, 201: 'Created', 409: 'Exists', 422: 'Invalid scorecard' } }), async (c) => {
    if (isDryRun(c.req.query('dryRun')))
      return c.json({ dryRun: true, changes: [await admin.plan(c.get('principal'), null, () => readJson(c, jsonLimit), writeContext(c))] });
    return c.json(await admin.create(c.get('principal'), () => readJson(c, jsonLimit), writeContext(c)), 201);
  });
  r.openapi(operation('get', '/scorecards/{scorecard}', { summary: 'Read a scorecard, its levels and level counts', tag }), async (c) => c.json(await scorecards.get(c.req.param('scorecard'))));
  r.openapi(operation('put', '/scorecards/{scorecard}', { summary: 'Replace a scorecard (admin); results are recomputed', tag, body: 'ScorecardInput', dryRun: true, responses: { 200: 'Saved (or the dry run)', 422: 'Invalid scorecard' } }), async (c) => {
    if (isDryRun(c.req.query('dryRun')))
      return c.json({ dryRun: true, changes: [await admin.plan(c.get('principal'), c.req.param('scorecard'), () => readJson(c, jsonLimit), writeContext(c))] });
    return c.json(await admin.replace(c.get('principal'), c.req.param('scorecard'), () => readJson(c, jsonLimit), writeContext(c)));
  });
  r.openapi(operation('delete', '/scorecards/{scorecard}', { summary: 'Delete a scorecard and its results (admin)', tag, dryRun: true, responses: { 200: { description: 'Dry run: the changes', schema: dryRunSchema }, 204: 'Deleted' } }), async (c) => {
    if (isDryRun(c.req.query('dryRun'))) {
      await admin.delete(c.get('principal'), c.req.param('scorecard'), writeContext(c), { dryRun: true });
      return c.json({ dryRun: true, changes: [{ op: 'delete', kind: 'scorecard', identifier: c.req.param('scorecard') }] });
    }
    await admin.delete(c.get('principal'), c.req.param('scorecard'), writeContext(c));
    return c.body(null, 204);
  });
  r.openapi(operation('post', '/scorecards/{scorecard}/evaluate', { summary: 'Evaluate a scorecard over all its entities now', tag }), async (c) =>
    c.json(await admin.evaluate(c.get('principal'), c.req.param('scorecard'))),
  );
  r.openapi(operation('get', '/scorecards/{scorecard}/results', { summary: 'Results per entity, at or below a level', tag, query: { level: 'Only entities at this level', below: 'Only entities below this level', entity: 'Only this entity (identifier)', ...page } }), async (c) =>
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
  r.openapi(operation('get', '/scorecards/{scorecard}/history', { summary: 'Level changes, newest first', tag, query: { entity: 'Only this entity (identifier)', since: 'ISO date-time: only changes after it', ...page } }), async (c) =>
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
  r.openapi(operation('get', '/scorecards/{scorecard}/trend', { summary: 'Entities per level per day', tag, query: { days: 'How many days back' } }), async (c) =>
    c.json(await scorecards.trend(c.req.param('scorecard'), { days: int(c.req.query('days'), 'days') })),
  );
  r.openapi(operation('get', '/blueprints/{blueprint}/entities/{identifier}/scorecards', { summary: 'Where one entity stands on every scorecard that scores it', tag }), async (c) => {
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
