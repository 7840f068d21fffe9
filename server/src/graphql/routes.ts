import { type Context, Hono } from 'hono';
import { type AppEnv, writeContext } from '../http.ts';
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
 * `/graphql`: authenticated here, executed by graphql-yoga in a worker thread on whichever
 * schema is newest when the request arrives (schema-service.ts). Plexus errors keep their
 * message and code; anything else is masked.
 */
export function graphqlRoutes(deps: { schemas: SchemaService; database?: string }): Hono<AppEnv> {
  const { schemas } = deps;
  const r = new Hono<AppEnv>();
  r.on(['GET', 'POST'], '/graphql', (c) => schemas.fetch(c.req.raw, graphqlContext(c, deps.database)));
  return r;
}
