import { type Context, Hono } from 'hono';
import { TimeoutError } from '../errors.ts';
import { type AppEnv, readGraphqlRequest, writeContext } from '../http.ts';
import { defaultGraphqlLimits, type GraphqlLimits } from './limits.ts';
import type { GraphqlContext, SchemaService } from './schema-service.ts';

/**
 * The GraphQL context of a request: who writes, and (for reads) who may see what. Saved
 * GraphQL queries run with the same context as /graphql.
 */
export function graphqlContext(c: Context<AppEnv>, database?: string, timeoutMs?: number): GraphqlContext {
  const principal = c.get('principal');
  return {
    write: writeContext(c, 'graphql'),
    sessionConfig: { database },
    // @neo4j/graphql runs the request's queries in transactions with this timeout: Neo4j stops them.
    ...(timeoutMs ? { transaction: { timeout: timeoutMs } } : {}),
    principal,
    jwt: c.get('access').graphqlJwt(principal),
  };
}

/**
 * `/graphql`: authenticated and its body read here (the same reader as REST: JSON types only,
 * size, UTF-8, depth, array length, reserved keys), executed by graphql-yoga in a worker thread
 * on whichever schema is newest when the request arrives (schema-service.ts), where the cost
 * limits are checked before anything runs. Plexus errors keep their message and code; anything
 * else is masked.
 */
export function graphqlRoutes(deps: {
  schemas: SchemaService;
  database?: string;
  jsonLimit?: number;
  limits?: GraphqlLimits;
}): Hono<AppEnv> {
  const { schemas } = deps;
  const limits = deps.limits ?? defaultGraphqlLimits;
  const r = new Hono<AppEnv>();
  r.on(['GET', 'POST'], '/graphql', async (c) => {
    const request =
      c.req.method === 'POST' ? await readGraphqlRequest(c, deps.jsonLimit ?? 16 * 1024 ** 2) : c.req.raw;
    const answer = schemas.fetch(request, graphqlContext(c, deps.database, limits.timeoutMs));
    // Neo4j stops the request's transactions at the timeout; custom resolvers that wait on
    // something else are cut off here a little later, and the caller gets a 503, not a hang.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new TimeoutError(
              `the query ran longer than ${limits.timeoutMs} ms (PLEXUS_GRAPHQL_TIMEOUT_MS) and was abandoned`,
            ),
          ),
        limits.timeoutMs + 2_000,
      );
    });
    try {
      return await Promise.race([answer, late]);
    } finally {
      clearTimeout(timer);
    }
  });
  return r;
}
