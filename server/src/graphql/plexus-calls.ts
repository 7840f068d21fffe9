import type { RunStatus, WriteContext } from '@plexus/contract';
import type { ActionsService, RunRequest } from '../actions/types.ts';
import type { AccessControl, GraphqlJwt } from '../auth/access.ts';
import type { Principal } from '../auth/principal.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { NotFoundError, UnauthorizedError } from '../errors.ts';
import type { ImpactDirection, ImpactService } from '../impact/impact.ts';
import type { ScorecardAdmin, ScorecardService } from '../scorecards/index.ts';
import { entityScoreKey } from '../scorecards/index.ts';
import type { AggregateRequest } from '../search/aggregate.ts';
import type { ReachableRequest } from '../search/reachable.ts';
import type { SearchRequest } from '../search/rules.ts';
import type { SearchService } from '../search/search.ts';
import type { PlexusMethod } from './build-schema.ts';

/** Per-request GraphQL context on the main thread: who is calling and how their writes are stamped. */
export interface GraphqlContext {
  write: WriteContext;
  sessionConfig?: { database?: string };
  /** Transaction config @neo4j/graphql applies to the request's queries (timeout in ms). */
  transaction?: { timeout?: number };
  /** The caller; Plexus's own resolvers check permissions against it. */
  principal: Principal;
  /** The caller's read scope as claims (see ExecutionContext.jwt). */
  jwt: GraphqlJwt;
}

/** The services Plexus's own GraphQL fields call. */
export interface PlexusServices {
  catalog: Catalog;
  search: SearchService;
  impact: ImpactService;
  access: AccessControl;
  /** Optional so schema-only uses (benchmarks, checks) need no scorecards. */
  scorecards?: ScorecardService;
  /** Changes scorecards (permission check and audit); without it the scorecard mutations answer an error. */
  scorecardAdmin?: ScorecardAdmin;
  /** Actions and runs; without it the action fields answer an error (lists answer empty). */
  actions?: ActionsService;
}

/** Runs one of Plexus's own GraphQL operations for the caller of a request. */
export type PlexusDispatch = (
  method: PlexusMethod,
  args: Record<string, unknown>,
  ctx: GraphqlContext,
) => Promise<unknown>;

function callerOf(ctx: GraphqlContext): Principal {
  if (!ctx?.principal) throw new UnauthorizedError();
  return ctx.principal;
}

/**
 * The services behind Plexus's own GraphQL fields (search, impact, scorecards, the catalog
 * mutations), with the caller's permissions and scope. Schemas built in worker threads call
 * these over the message port, so writes keep one path, one event bus and one audit.
 */
export function createPlexusDispatch(deps: PlexusServices): PlexusDispatch {
  const { catalog, search, impact, access, scorecards, scorecardAdmin, actions } = deps;
  const actionsOf = () => {
    if (!actions) throw new NotFoundError('actions are not available on this server');
    return actions;
  };
  const nullIfMissing = async <T>(work: () => Promise<T>): Promise<T | null> => {
    try {
      return await work();
    } catch (err) {
      if (err instanceof NotFoundError) return null;
      throw err;
    }
  };
  const scorecardService = () => {
    if (!scorecards) throw new NotFoundError('scorecards are not available on this server');
    return scorecards;
  };
  const scorecardAdminOf = () => {
    if (!scorecardAdmin) throw new NotFoundError('scorecards cannot be changed on this server');
    return scorecardAdmin;
  };
  const scope = (ctx: GraphqlContext) => access.scope(callerOf(ctx));
  // biome-ignore lint/suspicious/noExplicitAny: arguments arrive as GraphQL validated them
  const methods: Record<PlexusMethod, (a: any, ctx: GraphqlContext) => Promise<unknown> | unknown> = {
    scorecardResults: (a, ctx) =>
      scorecards
        ? scorecards.results(a.scorecard, {
            scope: scope(ctx),
            level: a.level ?? undefined,
            below: a.below ?? undefined,
            limit: a.limit ?? undefined,
            cursor: a.cursor ?? undefined,
          })
        : { results: [], next: null },
    scorecardDefinitions: (_a, ctx) => {
      callerOf(ctx);
      return scorecards ? scorecards.list() : [];
    },
    scorecardDefinition: (a, ctx) => {
      callerOf(ctx);
      return nullIfMissing(() => scorecardService().get(a.identifier));
    },
    search: async (a: { q: string; blueprint?: string; limit?: number }, ctx) =>
      (
        await search.text(a.q, {
          scope: scope(ctx),
          blueprint: a.blueprint ?? undefined,
          limit: a.limit ?? undefined,
        })
      ).entities,
    findEntities: (a: { search: SearchRequest }, ctx) => search.structured(a.search, { scope: scope(ctx) }),
    impact: (
      a: { blueprint: string; identifier: string; direction?: string; relations?: string[]; depth?: number; include?: string[] },
      ctx,
    ) =>
      impact.impact(
        { blueprint: a.blueprint, identifier: a.identifier },
        {
          scope: scope(ctx),
          direction: (a.direction ?? 'DOWNSTREAM').toLowerCase() as ImpactDirection,
          relations: a.relations ?? undefined,
          depth: a.depth ?? undefined,
          include: a.include ?? undefined,
        },
      ),
    // The `reachable` field of entities: refs only; the schema reads them back typed.
    reachable: async (a: { from: { blueprint: string; identifier: string } } & ReachableRequest & { direction?: string }, ctx) =>
      search.reachable(
        a.from,
        {
          relations: a.relations ?? undefined,
          direction: (a.direction ?? 'OUTGOING').toLowerCase() as ReachableRequest['direction'],
          depth: a.depth ?? undefined,
          blueprint: a.blueprint ?? undefined,
          where: a.where ?? undefined,
          limit: a.limit ?? undefined,
        },
        { scope: scope(ctx) },
      ),
    aggregate: async (a: { request: AggregateRequest }, ctx) => {
      const result = await search.aggregate(a.request, { scope: scope(ctx) });
      return {
        total: result.total,
        groups: result.groups.map((g) => ({ key: g.key, title: g.title ?? null, blueprint: g.blueprint ?? null, count: g.count, metrics: g })),
      };
    },
    // The `scorecards` field of entities: one query for a whole list, one list per ref back.
    entityScores: async (a: { refs: { blueprint: string; identifier: string }[] }, ctx) => {
      callerOf(ctx);
      if (!scorecards) return a.refs.map(() => []);
      const scores = await scorecards.entityScores(a.refs);
      return a.refs.map((r) => scores.get(entityScoreKey(r.blueprint, r.identifier)) ?? []);
    },
    upsertEntities: async (a: { entities: unknown[]; merge?: boolean }, ctx) => {
      await access.checkUpsert(callerOf(ctx), a.entities);
      return catalog.upsertEntities(a.entities, ctx.write, { merge: a.merge ?? false });
    },
    deleteEntities: async (a: { entities: { blueprint: string; identifier: string }[] }, ctx) => {
      await access.checkDelete(callerOf(ctx), a.entities);
      const { deleted } = await catalog.deleteEntities(a.entities, ctx.write);
      return { deleted };
    },
    createScorecard: (a: { scorecard: unknown }, ctx) =>
      scorecardAdminOf().create(callerOf(ctx), async () => a.scorecard, ctx.write),
    replaceScorecard: (a: { identifier: string; scorecard: unknown }, ctx) =>
      scorecardAdminOf().replace(callerOf(ctx), a.identifier, async () => a.scorecard, ctx.write),
    deleteScorecard: async (a: { identifier: string }, ctx) => {
      await scorecardAdminOf().delete(callerOf(ctx), a.identifier, ctx.write);
      return true;
    },
    evaluateScorecard: (a: { identifier: string }, ctx) =>
      scorecardAdminOf().evaluate(callerOf(ctx), a.identifier),
    // Actions and runs: the same service, permission checks and audit as REST.
    actions: (a: { blueprint?: string; entity?: string; operation?: 'CREATE' | 'DAY2' | 'DELETE' }, ctx) =>
      actions
        ? actions.list(callerOf(ctx), {
            blueprint: a.blueprint ?? undefined,
            entity: a.entity ?? undefined,
            operation: a.operation ? (a.operation === 'DAY2' ? 'DAY-2' : a.operation) : undefined,
          })
        : [],
    action: (a: { identifier: string }, ctx) =>
      nullIfMissing(() => actionsOf().get(callerOf(ctx), a.identifier)),
    runAction: (a: { action: string; entity?: string; inputs?: Record<string, unknown> }, ctx) =>
      actionsOf().run(
        callerOf(ctx),
        { action: a.action, entity: a.entity ?? null, inputs: a.inputs ?? {} } satisfies RunRequest,
        ctx.write.source,
      ),
    runs: (
      a: {
        action?: string;
        status?: RunStatus;
        entity?: string;
        actor?: string;
        limit?: number;
        cursor?: string;
      },
      ctx,
    ) =>
      actions
        ? actions.listRuns(callerOf(ctx), {
            action: a.action ?? undefined,
            status: a.status ?? undefined,
            entity: a.entity ?? undefined,
            actor: a.actor ?? undefined,
            limit: a.limit ?? undefined,
            cursor: a.cursor ?? undefined,
          })
        : { runs: [], next: null },
    run: (a: { id: string }, ctx) => nullIfMissing(() => actionsOf().getRun(callerOf(ctx), a.id)),
    // The `runs` field of entities: one query for a whole list, one list per ref back.
    entityRuns: async (a: { refs: { blueprint: string; identifier: string }[]; limit?: number }, ctx) =>
      actions
        ? actions.runsOf(
            callerOf(ctx),
            a.refs.map((r) => `${r.blueprint}:${r.identifier}`),
            Math.min(Math.max(a.limit ?? 10, 1), 100),
          )
        : a.refs.map(() => []),
  };
  return async (method, args, ctx) => {
    const run = methods[method];
    if (!run) throw new NotFoundError(`no GraphQL operation "${method}"`);
    return run(args, ctx);
  };
}
