import { randomBytes } from 'node:crypto';
import { Neo4jGraphQL } from '@neo4j/graphql';
import type { AccessControl, GraphqlJwt } from '../auth/access.ts';
import type { Principal } from '../auth/principal.ts';
import { GraphQLError, type GraphQLSchema, GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import type { Catalog } from '../catalog/catalog.ts';
import type { WriteContext } from '../catalog/events.ts';
import type { Db } from '../db/driver.ts';
import { NotFoundError, UnauthorizedError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { BlueprintStore } from '../model/blueprint-store.ts';
import type { ImpactDirection, ImpactService } from '../impact/impact.ts';
import { labelOf } from '../model/names.ts';
import type { Model } from '../model/types.ts';
import { createEntityScoreLoader, type EntityScoreLoader, type ScorecardAdmin, type ScorecardService } from '../scorecards/index.ts';
import type { SearchRequest } from '../search/rules.ts';
import type { SearchService } from '../search/search.ts';
import { baseTypeDefs, generateTypeDefs } from './type-defs.ts';

/** Per-request GraphQL context: who is calling and how their writes are stamped. */
export interface GraphqlContext {
  write: WriteContext;
  sessionConfig?: { database?: string };
  /** Transaction config @neo4j/graphql applies to the request's queries (timeout in ms). */
  transaction?: { timeout?: number };
  /** The caller; custom resolvers check permissions against it. */
  principal: Principal;
  /**
   * The caller's read scope as claims, set by the server (never taken from the request):
   * @neo4j/graphql treats a `jwt` in the context as verified and evaluates the generated
   * @authorization rules against it.
   */
  jwt: GraphqlJwt;
}

const unusableKey = randomBytes(32).toString('base64url');

function callerOf(ctx: GraphqlContext): Principal {
  if (!ctx?.principal) throw new UnauthorizedError();
  return ctx.principal;
}

function parseLiteral(ast: ValueNode): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, parseLiteral(f.value)]));
    case Kind.LIST:
      return ast.values.map(parseLiteral);
    case Kind.NULL:
      return null;
    default:
      throw new GraphQLError(`JSON cannot hold ${ast.kind}`);
  }
}

const jsonScalar = new GraphQLScalarType({
  name: 'JSON',
  description: 'Any JSON value.',
  serialize: (v) => v,
  parseValue: (v) => v,
  parseLiteral: (ast) => parseLiteral(ast),
});

/** The generated schema and the model version it was built from. */
export interface BuiltSchema {
  schema: GraphQLSchema;
  version: number;
  typeDefs: string;
  buildMs: number;
}

/** Builds GraphQL schemas from the model and swaps them in when blueprints change. */
export interface SchemaService {
  /** The schema requests use now (the previous one while a rebuild runs). */
  current(): BuiltSchema | null;
  /** Resolves once a schema exists for at least `version` (or the current model version). */
  ready(version?: number): Promise<BuiltSchema>;
  /**
   * The schema for a request: eager services answer with the current schema at once (the old
   * one while a rebuild runs); lazy ones (tests) first catch up with the model.
   */
  forRequest(): Promise<BuiltSchema>;
  /** Builds a schema for a model without swapping it in (benchmarks, checks). */
  build(model: Model, version: number): Promise<BuiltSchema>;
  stop(): void;
}

/**
 * Creates the schema service. It subscribes to model changes, debounces bursts
 * (`debounceMs`) and rebuilds off the request path; requests keep the schema object they
 * started with, so in-flight requests finish on the old one.
 */
export function createSchemaService(deps: {
  db: Db;
  models: BlueprintStore;
  catalog: Catalog;
  search: SearchService;
  impact: ImpactService;
  access: AccessControl;
  /** Optional so schema-only uses (benchmarks, checks) need no scorecards. */
  scorecards?: ScorecardService;
  /** Changes scorecards (permission check and audit); without it the scorecard mutations answer an error. */
  scorecardAdmin?: ScorecardAdmin;
  logger: Logger;
  debounceMs?: number;
  /** Build as soon as the model changes (servers); false builds on the first GraphQL request (tests). */
  eager?: boolean;
}): SchemaService {
  const { db, models, catalog, search, impact, access, scorecards, scorecardAdmin, logger } = deps;
  const debounceMs = deps.debounceMs ?? 150;
  let current: BuiltSchema | null = null;
  let timer: NodeJS.Timeout | null = null;
  let building: Promise<void> | null = null;
  let waiters: { version: number; resolve: (s: BuiltSchema) => void; reject: (e: unknown) => void }[] = [];
  let lastError: unknown = null;

  type ImpactArgs = { direction?: string; relations?: string[]; depth?: number };
  const impactOf = (blueprint: string, identifier: string, a: ImpactArgs, ctx: GraphqlContext) =>
    impact.impact(
      { blueprint, identifier },
      { scope: access.scope(callerOf(ctx)), direction: (a.direction ?? 'DOWNSTREAM').toLowerCase() as ImpactDirection, relations: a.relations, depth: a.depth },
    );
  // One loader per request (context) turns the `scorecards` field of a list into one query.
  const scoreLoaders = new WeakMap<object, EntityScoreLoader>();
  const scoresOf = (src: { identifier: string; _blueprint: string }, ctx: GraphqlContext) => {
    if (!scorecards) return [];
    let load = scoreLoaders.get(ctx);
    if (!load) {
      load = createEntityScoreLoader(scorecards);
      scoreLoaders.set(ctx, load);
    }
    return load({ blueprint: src._blueprint, identifier: src.identifier });
  };
  type ResultArgs = { scorecard: string; level?: string; below?: string; limit?: number; cursor?: string };
  const scorecardService = () => {
    if (!scorecards) throw new NotFoundError('scorecards are not available on this server');
    return scorecards;
  };
  const scorecardAdminOf = () => {
    if (!scorecardAdmin) throw new NotFoundError('scorecards cannot be changed on this server');
    return scorecardAdmin;
  };
  const baseResolvers = {
    JSON: jsonScalar,
    Query: {
      scorecardResults: (_: unknown, a: ResultArgs, ctx: GraphqlContext) =>
        scorecards
          ? scorecards.results(a.scorecard, { scope: access.scope(callerOf(ctx)), level: a.level ?? undefined, below: a.below ?? undefined, limit: a.limit ?? undefined, cursor: a.cursor ?? undefined })
          : { results: [], next: null },
      scorecardDefinitions: (_: unknown, _a: unknown, ctx: GraphqlContext) => {
        callerOf(ctx);
        return scorecards ? scorecards.list() : [];
      },
      scorecardDefinition: async (_: unknown, a: { identifier: string }, ctx: GraphqlContext) => {
        callerOf(ctx);
        try {
          return await scorecardService().get(a.identifier);
        } catch (err) {
          if (err instanceof NotFoundError) return null;
          throw err;
        }
      },
      plexusModelVersion: () => current?.version ?? 0,
      search: async (_: unknown, a: { q: string; blueprint?: string; limit?: number }, ctx: GraphqlContext) =>
        (await search.text(a.q, { scope: access.scope(callerOf(ctx)), blueprint: a.blueprint ?? undefined, limit: a.limit ?? undefined })).entities,
      findEntities: (_: unknown, a: { search: SearchRequest }, ctx: GraphqlContext) => search.structured(a.search, { scope: access.scope(callerOf(ctx)) }),
      impact: (_: unknown, a: ImpactArgs & { blueprint: string; identifier: string }, ctx: GraphqlContext) => impactOf(a.blueprint, a.identifier, a, ctx),
    },
    Mutation: {
      upsertEntities: async (_: unknown, args: { entities: unknown[]; merge?: boolean }, ctx: GraphqlContext) => {
        await access.checkUpsert(callerOf(ctx), args.entities);
        return catalog.upsertEntities(args.entities, ctx.write, { merge: args.merge ?? false });
      },
      deleteEntities: async (_: unknown, args: { entities: { blueprint: string; identifier: string }[] }, ctx: GraphqlContext) => {
        await access.checkDelete(callerOf(ctx), args.entities);
        const { deleted } = await catalog.deleteEntities(args.entities, ctx.write);
        return { deleted };
      },
      createScorecard: (_: unknown, a: { scorecard: unknown }, ctx: GraphqlContext) =>
        scorecardAdminOf().create(callerOf(ctx), async () => a.scorecard, ctx.write),
      replaceScorecard: (_: unknown, a: { identifier: string; scorecard: unknown }, ctx: GraphqlContext) =>
        scorecardAdminOf().replace(callerOf(ctx), a.identifier, async () => a.scorecard, ctx.write),
      deleteScorecard: async (_: unknown, a: { identifier: string }, ctx: GraphqlContext) => {
        await scorecardAdminOf().delete(callerOf(ctx), a.identifier, ctx.write);
        return true;
      },
      evaluateScorecard: (_: unknown, a: { identifier: string }, ctx: GraphqlContext) =>
        scorecardAdminOf().evaluate(callerOf(ctx), a.identifier),
    },
  };

  async function build(model: Model, version: number): Promise<BuiltSchema> {
    const started = performance.now();
    const typeDefs = `${baseTypeDefs}\n${generateTypeDefs(model, { ownerRelation: access.options.ownerRelation })}`;
    const resolvers: Record<string, any> = { ...baseResolvers };
    for (const bp of model.keys()) {
      resolvers[labelOf(bp)] = {
        impact: (src: { identifier: string; _blueprint: string }, a: ImpactArgs, ctx: GraphqlContext) => impactOf(src._blueprint, src.identifier, a, ctx),
        scorecards: (src: { identifier: string; _blueprint: string }, _a: unknown, ctx: GraphqlContext) => scoresOf(src, ctx),
      };
    }
    // The caller's claims arrive as a trusted `jwt` in the context (graphql/routes.ts), never as a
    // token to decode; a random key only tells the library that authorization is configured.
    const neo = new Neo4jGraphQL({
      typeDefs,
      driver: db.driver,
      resolvers,
      features: {
        authorization: { key: unusableKey },
        filters: { String: { CASE_INSENSITIVE: true } },
        // Only the current filter syntax (`where: { name: { eq: ... } }`, `ownedBy: { some: ... }`):
        // the deprecated forms (`name_EQ`, `ownedBy_SOME`, aggregation filters outside connections)
        // made up 88% of the generated schema and about 40% of its build time (bench/RESULTS.md).
        excludeDeprecatedFields: {
          mutationOperations: true,
          aggregationFilters: true,
          aggregationFiltersOutsideConnection: true,
          relationshipFilters: true,
          attributeFilters: true,
        },
      },
    });
    const schema = await neo.getSchema();
    return { schema, version, typeDefs, buildMs: performance.now() - started };
  }

  function settle(): void {
    if (!current) return;
    const ready = waiters.filter((w) => w.version <= current!.version);
    waiters = waiters.filter((w) => w.version > current!.version);
    for (const w of ready) w.resolve(current);
  }

  async function rebuild(): Promise<void> {
    const version = models.version();
    if (current && current.version >= version) return;
    try {
      const built = await build(models.current(), version);
      current = built;
      lastError = null;
      logger.info('graphql schema built', { modelVersion: version, types: models.current().size, ms: Math.round(built.buildMs) });
      settle();
    } catch (err) {
      lastError = err;
      logger.error('graphql schema build failed; keeping the previous schema', { err, modelVersion: version });
      for (const w of waiters) w.reject(err);
      waiters = [];
    }
  }

  function schedule(): void {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      const run = async () => {
        // One build at a time; a change during a build schedules another.
        while (building) await building;
        building = rebuild().finally(() => {
          building = null;
        });
        await building;
      };
      void run();
    }, debounceMs);
  }

  const eager = deps.eager ?? true;
  const unsubscribe = models.onChange(() => {
    if (eager) schedule();
  });
  if (eager && models.version() >= 0) schedule();

  const service: SchemaService = {
    current: () => current,
    ready(version) {
      const want = version ?? models.version();
      if (current && current.version >= want) return Promise.resolve(current);
      if (eager && lastError && !timer && !building) return Promise.reject(lastError);
      const waiting = new Promise<BuiltSchema>((resolve, reject) => waiters.push({ version: want, resolve, reject }));
      if (!eager && !timer) schedule();
      return waiting;
    },
    forRequest() {
      if (eager && current) return Promise.resolve(current);
      return service.ready();
    },
    build,
    stop() {
      unsubscribe();
      if (timer) clearTimeout(timer);
    },
  };
  return service;
}
