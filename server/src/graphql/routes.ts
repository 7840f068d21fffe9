import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { type Context, Hono } from 'hono';
import { mapDatabaseError, PlexusError } from '../errors.ts';
import { type AppEnv, readGraphqlRequest, writeContext } from '../http.ts';
import type { Logger } from '../log.ts';
import type { GraphqlContext, SchemaService } from './schema-service.ts';

/**
 * The GraphQL context of a request: who writes, and (for reads) who may see what. Saved
 * GraphQL queries run with the same context as /graphql.
 */
export function graphqlContext(c: Context<AppEnv>, database?: string): GraphqlContext {
  const principal = c.get('principal');
  return { write: writeContext(c, 'graphql'), sessionConfig: { database }, principal, jwt: c.get('access').graphqlJwt(principal) };
}

/**
 * `/graphql`: graphql-yoga serving whichever schema the schema service holds when a request
 * arrives. Plexus errors keep their message and code; anything else is masked.
 */
export function graphqlRoutes(deps: { schemas: SchemaService; logger: Logger; database?: string; jsonLimit?: number }): Hono<AppEnv> {
  const { schemas, logger } = deps;
  const yoga: YogaServerInstance<{ plexus: GraphqlContext }, GraphqlContext> = createYoga({
    graphqlEndpoint: '/graphql',
    schema: async () => (await schemas.forRequest()).schema,
    context: ({ plexus }) => plexus,
    // GraphiQL loads its scripts from a CDN and inline, which the pages' CSP forbids, and a
    // browser cannot send the bearer token /graphql needs anyway: clients use POST.
    graphiql: false,
    logging: false,
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
    return yoga.fetch(request, { plexus: graphqlContext(c, deps.database) });
  });
  return r;
}
