import neo4j from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ServiceUnavailableError } from '../errors.ts';
import { startTestPlexus, type TestPlexus, uniqueId, waitFor } from '../test-support.ts';
import { freePort } from './embedded-neo4j.ts';
import { checkReadOnlyCypher } from './read-only-cypher.ts';

// Issue 15: a database that cannot answer is the server's state (503 with Retry-After), never
// the user's validation error; only Neo4j's verdict on the query itself is.

let px: TestPlexus;
beforeAll(async () => {
  px = await startTestPlexus();
});
afterAll(async () => {
  await px?.close();
});

const auth = () => neo4j.auth.basic(inject('neo4jUser'), inject('neo4jPassword'));

describe('checkReadOnlyCypher', () => {
  it('reports a syntax error as a problem of the query', async () => {
    const problems = await checkReadOnlyCypher(px.services.db, 'MATCH (n RETURN n');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^Cypher does not parse: /);
  });

  it('reports a semantic error (undefined variable) as a problem of the query', async () => {
    const problems = await checkReadOnlyCypher(px.services.db, 'MATCH (n) RETURN m');
    expect(problems[0]).toMatch(/^Cypher does not parse: .*m/);
  });

  it('throws ServiceUnavailableError, not a problem, when the driver is closed', async () => {
    const driver = neo4j.driver(inject('neo4jUri'), auth());
    // Used once, as the server's driver always is (a never-used driver connects lazily even after close).
    expect(await checkReadOnlyCypher({ driver }, 'MATCH (n) RETURN n')).toEqual([]);
    await driver.close();
    await expect(checkReadOnlyCypher({ driver }, 'MATCH (n) RETURN n')).rejects.toBeInstanceOf(
      ServiceUnavailableError,
    );
  });

  it('throws ServiceUnavailableError when the database cannot be reached', async () => {
    const port = await freePort();
    const driver = neo4j.driver(`bolt://127.0.0.1:${port}`, auth(), {
      maxTransactionRetryTime: 500,
      connectionTimeout: 2000,
    });
    try {
      const err = await checkReadOnlyCypher({ driver }, 'MATCH (n) RETURN n').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ServiceUnavailableError);
      expect((err as ServiceUnavailableError).status).toBe(503);
    } finally {
      await driver.close();
    }
  });
});

describe('a request while the database is away', () => {
  it('answers 503 with Retry-After (REST) and service_unavailable (GraphQL); a saved query with a syntax error 422', {
    timeout: 120_000,
  }, async () => {
    const bad = await px.call('POST', '/api/v1/queries', {
      identifier: uniqueId('q'),
      title: 'Bad',
      language: 'cypher',
      query: 'MATCH (n RETURN n',
    });
    expect(bad.status, JSON.stringify(bad.body)).toBe(422);
    expect(JSON.stringify(bad.body)).toContain('does not parse');
    // Another Plexus on the same database whose driver is then closed: the database is gone for it.
    const away = await startTestPlexus();
    await away.services.db.driver.close();
    const res = await away.call('GET', '/api/v1/audit?limit=1');
    expect(res.status, JSON.stringify(res.body)).toBe(503);
    expect(res.body.error.code).toBe('service_unavailable');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    const query = await away.call('POST', '/api/v1/queries', {
      identifier: uniqueId('q'),
      title: 'Fine',
      language: 'cypher',
      query: 'MATCH (n) RETURN n',
    });
    expect(query.status, JSON.stringify(query.body)).toBe(503);
    // GraphQL runs in worker threads with their own connections; once the health probe has seen
    // the database away, /graphql answers 503 before a worker is asked.
    await waitFor('the health probe to see the database away', () => !away.services.health.up(), 30_000);
    const gql = await away.call('POST', '/graphql', {
      query: '{ entities(where: { identifier: { in: ["x"] } }) { identifier } }',
    });
    expect(gql.status, JSON.stringify(gql.body)).toBe(503);
    expect(gql.body.error.code, JSON.stringify(gql.body)).toBe('service_unavailable');
    expect(Number(gql.headers.get('retry-after'))).toBeGreaterThan(0);
    away.services.stop();
  });
});
