import { randomBytes } from 'node:crypto';
import { Neo4jGraphQL } from '@neo4j/graphql';
import { labelOf, type Model } from '@plexus/contract';
import { GraphQLError, type GraphQLResolveInfo, GraphQLScalarType, type GraphQLSchema, Kind, type ValueNode } from 'graphql';
import type { GraphqlJwt } from '../auth/access.ts';
import { type Db, statementDriver } from '../db/driver.ts';
import { baseTypeDefs, generateTypeDefs } from './type-defs.ts';
import { createTypedEntities } from './typed-entities.ts';

/**
 * What @neo4j/graphql's resolvers see of a request: the caller's read scope as claims and the
 * database. Plexus's own resolvers never read the caller from here: they hand `request` to
 * `PlexusCall`, which knows the caller (the main thread keeps it; a worker never sees it).
 */
export interface ExecutionContext {
  /**
   * The caller's read scope as claims, set by the server (never taken from the request):
   * @neo4j/graphql treats a `jwt` in the context as verified and evaluates the generated
   * @authorization rules against it.
   */
  jwt: GraphqlJwt;
  sessionConfig?: { database?: string };
  /** Transaction config @neo4j/graphql applies to the request's queries: Neo4j stops them at `timeout` ms. */
  transaction?: { timeout?: number };
  /** Opaque id of the request; `PlexusCall` maps it back to the caller. */
  request: number;
}

/**
 * Plexus's own GraphQL operations (search, impact, scorecards, the catalog mutations), run
 * where the services live: in-process for benchmarks, over the worker's message port for
 * served schemas. One write path, one event bus, one audit.
 */
export type PlexusCall = (
  method: PlexusMethod,
  args: Record<string, unknown>,
  request: number,
) => Promise<unknown>;

export type PlexusMethod =
  | 'scorecardResults'
  | 'actions'
  | 'action'
  | 'runAction'
  | 'runs'
  | 'run'
  | 'entityRuns'
  | 'scorecardDefinitions'
  | 'scorecardDefinition'
  | 'search'
  | 'findEntities'
  | 'impact'
  | 'reachable'
  | 'aggregate'
  | 'entityScores'
  | 'upsertEntities'
  | 'deleteEntities'
  | 'createScorecard'
  | 'replaceScorecard'
  | 'deleteScorecard'
  | 'evaluateScorecard';

/** The generated schema and the model version it was built from. */
export interface BuiltSchema {
  schema: GraphQLSchema;
  version: number;
  typeDefs: string;
  buildMs: number;
}

const unusableKey = randomBytes(32).toString('base64url');

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

type Ref = { blueprint: string; identifier: string };

/**
 * Builds the GraphQL schema of a model: generated type defs plus @neo4j/graphql's getSchema
 * (CPU-bound for seconds on big models: servers run it in a worker thread, see worker-pool.ts).
 */
export async function buildSchema(options: {
  model: Model;
  version: number;
  db: Db;
  ownerRelation: string;
  call: PlexusCall;
}): Promise<BuiltSchema> {
  const { model, version, db, call } = options;
  const started = performance.now();
  const typeDefs = `${baseTypeDefs}\n${generateTypeDefs(model, { ownerRelation: options.ownerRelation })}`;
  type ImpactArgs = { direction?: string; relations?: string[]; depth?: number; include?: string[] };
  // Typed entities of impact nodes and reachable fields, read back through the built schema.
  let built: GraphQLSchema | undefined;
  const typed = createTypedEntities(() => built as GraphQLSchema);
  // One batch per request and tick turns the `scorecards` field of a list into one call.
  /**
   * Per-entity fields of a list (scorecards, runs) resolved with one call per request: refs are
   * gathered until the microtask queue drains, then one call answers a list per ref, in order.
   */
  const batches = new WeakMap<object, Map<string, { refs: Ref[]; done: Promise<unknown[][]> }>>();
  const batched = (
    method: PlexusMethod,
    extra: Record<string, unknown>,
    src: { identifier: string; _blueprint: string },
    ctx: ExecutionContext,
  ) => {
    const key = `${method}|${JSON.stringify(extra)}`;
    let open = batches.get(ctx);
    if (!open) batches.set(ctx, (open = new Map()));
    let batch = open.get(key);
    if (!batch) {
      const refs: Ref[] = [];
      const current = {
        refs,
        done: new Promise<void>((resolve) => queueMicrotask(resolve)).then(async () => {
          if (open.get(key) === current) open.delete(key);
          return (await call(method, { ...extra, refs }, ctx.request)) as unknown[][];
        }),
      };
      batch = current;
      open.set(key, batch);
    }
    const index = batch.refs.push({ blueprint: src._blueprint, identifier: src.identifier }) - 1;
    return batch.done.then((lists) => lists[index] ?? []);
  };
  const forward =
    (method: PlexusMethod) => (_: unknown, args: Record<string, unknown>, ctx: ExecutionContext) =>
      call(method, args ?? {}, ctx.request);
  const resolvers: Record<string, any> = {
    JSON: jsonScalar,
    Query: {
      scorecardResults: forward('scorecardResults'),
      scorecardDefinitions: forward('scorecardDefinitions'),
      scorecardDefinition: forward('scorecardDefinition'),
      plexusModelVersion: () => version,
      search: forward('search'),
      findEntities: forward('findEntities'),
      impact: forward('impact'),
      aggregate: forward('aggregate'),
      actions: forward('actions'),
      action: forward('action'),
      runs: forward('runs'),
      run: forward('run'),
    },
    ImpactNode: {
      entity: (node: Ref, _a: unknown, ctx: ExecutionContext, info: GraphQLResolveInfo) => typed.one(node, info, ctx),
    },
    Mutation: {
      upsertEntities: forward('upsertEntities'),
      deleteEntities: forward('deleteEntities'),
      createScorecard: forward('createScorecard'),
      replaceScorecard: forward('replaceScorecard'),
      deleteScorecard: forward('deleteScorecard'),
      evaluateScorecard: forward('evaluateScorecard'),
      runAction: forward('runAction'),
    },
  };
  for (const bp of model.keys()) {
    resolvers[labelOf(bp)] = {
      impact: (src: { identifier: string; _blueprint: string }, a: ImpactArgs, ctx: ExecutionContext) =>
        call('impact', { ...a, blueprint: src._blueprint, identifier: src.identifier }, ctx.request),
      reachable: async (src: { identifier: string; _blueprint: string }, a: Record<string, unknown>, ctx: ExecutionContext, info: GraphQLResolveInfo) => {
        const refs = (await call('reachable', { ...a, blueprint: a.blueprint ?? undefined, from: { blueprint: src._blueprint, identifier: src.identifier } }, ctx.request)) as Ref[];
        return typed.many(refs, info, ctx);
      },
      scorecards: (src: { identifier: string; _blueprint: string }, _a: unknown, ctx: ExecutionContext) =>
        batched('entityScores', {}, src, ctx),
      runs: (src: { identifier: string; _blueprint: string }, a: { limit?: number }, ctx: ExecutionContext) =>
        batched('entityRuns', { limit: a.limit ?? 10 }, src, ctx),
    };
  }
  // The caller's claims arrive as a trusted `jwt` in the context (graphql/routes.ts), never as a
  // token to decode; a random key only tells the library that authorization is configured.
  const neo = new Neo4jGraphQL({
    typeDefs,
    // Each generated statement as an auto-commit transaction (one round trip instead of BEGIN,
    // RUN and COMMIT; db/driver.ts runStatement).
    driver: statementDriver(db),
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
  built = schema;
  return { schema, version, typeDefs, buildMs: performance.now() - started };
}
