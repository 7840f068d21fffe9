import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { type Context, Hono } from 'hono';
import { mapDatabaseError, PlexusError, TimeoutError } from '../errors.ts';
import { type AppEnv, readGraphqlRequest, writeContext } from '../http.ts';
import type { Logger } from '../log.ts';
import { checkGraphqlLimits, defaultGraphqlLimits, type GraphqlLimits } from './limits.ts';
import type { GraphqlContext, SchemaService } from './schema-service.ts';

/** Neo4j's answer when a transaction passes its timeout (Neo.ClientError.Transaction.TransactionTimedOut...). */
function isTransactionTimeout(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('Neo.ClientError.Transaction.TransactionTimedOut');
}

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
 * Refuses documents over the limits before graphql-js's own validation (whose overlapping-fields
 * rule is quadratic in the number of aliases) and long before any Cypher runs.
 */
function costLimitPlugin(limits: GraphqlLimits): Plugin {
  return {
    onValidate({ params, context, setResult }) {
      const request = (context as { params?: { operationName?: string | null; variables?: Record<string, unknown> | null } }).params;
      const errors = checkGraphqlLimits(params.schema, params.documentAST, limits, { operationName: request?.operationName, variables: request?.variables });
      if (errors.length > 0) setResult(errors);
    },
  };
}

/**
 * `/graphql`: graphql-yoga serving whichever schema the schema service holds when a request
 * arrives. Plexus errors keep their message and code; anything else is masked.
 */
export function graphqlRoutes(deps: { schemas: SchemaService; logger: Logger; database?: string; jsonLimit?: number; limits?: GraphqlLimits }): Hono<AppEnv> {
  const { schemas, logger } = deps;
  const limits = deps.limits ?? defaultGraphqlLimits;
  const yoga: YogaServerInstance<{ plexus: GraphqlContext }, GraphqlContext> = createYoga({
    graphqlEndpoint: '/graphql',
    schema: async () => (await schemas.forRequest()).schema,
    context: ({ plexus }) => plexus,
    // GraphiQL loads its scripts from a CDN and inline, which the pages' CSP forbids, and a
    // browser cannot send the bearer token /graphql needs anyway: clients use POST.
    graphiql: false,
    logging: false,
    plugins: [costLimitPlugin(limits)],
    maskedErrors: {
      maskError(error, message) {
        // A database that is away or busy: service_unavailable (503), like REST.
        const original = mapDatabaseError((error as { originalError?: unknown }).originalError);
        if (original instanceof PlexusError) {
          return Object.assign(error as Error, {
            message: original.message,
            extensions: { code: original.code, status: original.status, details: original.details },
          });
        }
        // Parse and validation errors have no original error and are safe to show.
        if (!original) return error as Error;
        if (isTransactionTimeout(original)) {
          return Object.assign(error as Error, {
            message: `the query ran longer than ${limits.timeoutMs} ms (PLEXUS_GRAPHQL_TIMEOUT_MS) and was stopped; ask for fewer rows or less depth`,
            extensions: { code: 'timeout', status: 503 },
          });
        }
        logger.error('graphql resolver failed', { err: original ?? error });
        return new Error(message) as Error;
      },
    },
  });
  const r = new Hono<AppEnv>();
  r.on(['GET', 'POST'], '/graphql', async (c) => {
    // POST bodies go through the same reader as REST (JSON types only, size, UTF-8, depth,
    // array length, reserved keys) before yoga sees them.
    const request = c.req.method === 'POST' ? await readGraphqlRequest(c, deps.jsonLimit ?? 16 * 1024 ** 2) : c.req.raw;
    const answer = yoga.fetch(request, { plexus: graphqlContext(c, deps.database, limits.timeoutMs) });
    // Neo4j stops the request's transactions at the timeout; custom resolvers that wait on
    // something else are cut off here a little later, and the caller gets a 503, not a hang.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError(`the query ran longer than ${limits.timeoutMs} ms (PLEXUS_GRAPHQL_TIMEOUT_MS) and was abandoned`)), limits.timeoutMs + 2_000);
    });
    try {
      return await Promise.race([answer, late]);
    } finally {
      clearTimeout(timer);
    }
  });
  return r;
}
