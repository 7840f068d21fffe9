import { Neo4jError } from 'neo4j-driver';
import { describe, expect, it } from 'vitest';
import { isQueryRejection } from './db/read-only-cypher.ts';
import {
  isDatabaseUnavailable,
  mapDatabaseError,
  ServiceUnavailableError,
  ValidationError,
} from './errors.ts';

/** A driver error as neo4j-driver builds it (the server's code, or the driver's own `N/A`). */
function newError(message: string, code: string): Neo4jError {
  return new Neo4jError(message, code, '50N42', 'error: general processing exception - unexpected error');
}

describe('database errors', () => {
  it.each([
    ['ServiceUnavailable', 'Could not perform discovery. No routing servers available.'],
    ['SessionExpired', 'Session expired'],
    ['Neo.TransientError.Transaction.DeadlockDetected', 'ForsetiClient can not acquire ExclusiveLock'],
    ['Neo.TransientError.General.DatabaseUnavailable', 'Database is unavailable'],
    [
      'Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration',
      'The transaction has been terminated',
    ],
    ['N/A', 'Pool is closed, it is no more able to serve requests.'],
    ['N/A', 'Connection acquisition timed out in 30000 ms.'],
  ])('treats %s (%s) as the database being unavailable: 503 with Retry-After', (code, message) => {
    const err = newError(message, code);
    expect(isDatabaseUnavailable(err)).toBe(true);
    expect(isQueryRejection(err)).toBe(false);
    const mapped = mapDatabaseError(err);
    expect(mapped).toBeInstanceOf(ServiceUnavailableError);
    expect((mapped as ServiceUnavailableError).status).toBe(503);
    expect((mapped as ServiceUnavailableError).retryAfterSeconds).toBeGreaterThan(0);
    expect((mapped as ServiceUnavailableError).message).toContain(code);
  });

  it.each([
    ['Neo.ClientError.Statement.SyntaxError', 'Invalid input'],
    ['Neo.ClientError.Statement.SemanticError', 'Variable `x` not defined'],
    ['Neo.ClientError.Statement.ParameterMissing', 'Expected parameter(s): p'],
  ])('treats %s as the query being wrong, never the database', (code, message) => {
    const err = newError(message, code);
    expect(isQueryRejection(err)).toBe(true);
    expect(isDatabaseUnavailable(err)).toBe(false);
    expect(mapDatabaseError(err)).toBe(err);
  });

  it('leaves other errors, and errors already named, as they are', () => {
    const forbidden = newError('no', 'Neo.ClientError.Security.Forbidden');
    expect(mapDatabaseError(forbidden)).toBe(forbidden);
    const plain = new Error('connection lost');
    expect(mapDatabaseError(plain)).toBe(plain);
    const named = new ValidationError('bad');
    expect(mapDatabaseError(named)).toBe(named);
    expect(newError('x', 'ServiceUnavailable')).toBeInstanceOf(Neo4jError);
  });
});
