/**
 * The few error classes Plexus throws. Each carries the HTTP status and the `code` of the
 * API.md error shape; `app.onError` (REST) and Yoga's error masking (GraphQL) turn them into
 * responses in one place.
 */

/** One problem inside a request: where it is and what is wrong. */
export interface ErrorDetail {
  /** Position of the record in a batch, when the request holds several. */
  index?: number;
  identifier?: string;
  /** JSON pointer-ish path inside the record or definition, e.g. `/properties/tier`. */
  path?: string;
  message: string;
  [key: string]: unknown;
}

/** Base class: an error whose message is safe to show to the caller. */
export class PlexusError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }

  toBody(): { error: { code: string; message: string; details: ErrorDetail[] } } {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

/** 400: the request cannot be parsed or misses a required part. */
export class BadRequestError extends PlexusError {
  constructor(message: string, details: ErrorDetail[] = []) {
    super(400, 'bad_request', message, details);
  }
}

/** 401: no credentials, or credentials that are not valid. */
export class UnauthorizedError extends PlexusError {
  constructor(message = 'missing or invalid bearer token: send "Authorization: Bearer <token>"') {
    super(401, 'unauthorized', message);
  }
}

/** 403: valid credentials that do not allow this operation. */
export class ForbiddenError extends PlexusError {
  constructor(message: string) {
    super(403, 'forbidden', message);
  }
}

/** 404: the named thing does not exist. */
export class NotFoundError extends PlexusError {
  constructor(message: string) {
    super(404, 'not_found', message);
  }
}

/** 409: the request conflicts with what is stored (exists already, still in use, would drop data). */
export class ConflictError extends PlexusError {
  constructor(message: string, details: ErrorDetail[] = []) {
    super(409, 'conflict', message, details);
  }
}

/** 413: the body is larger than the configured limit. */
export class PayloadTooLargeError extends PlexusError {
  constructor(limitBytes: number) {
    super(
      413,
      'payload_too_large',
      `request body exceeds ${limitBytes} bytes; split it into several requests or use application/x-ndjson`,
    );
  }
}

/** 422: well-formed input that fails a blueprint's schema or the model's rules. */
export class ValidationError extends PlexusError {
  constructor(message: string, details: ErrorDetail[] = []) {
    super(422, 'validation_failed', message, details);
  }
}

/**
 * 503: the database is away, overloaded, timed out, or the server is shutting down; the request
 * may succeed later. Answered with a `Retry-After` header of `retryAfterSeconds`. `extra` adds
 * fields to the error body, e.g. `committed` for a bulk write that stopped part-way.
 */
export class ServiceUnavailableError extends PlexusError {
  readonly extra: Record<string, unknown>;
  constructor(
    message = 'the database is unavailable; retry in a few seconds',
    readonly retryAfterSeconds = 5,
    options: { cause?: unknown; extra?: Record<string, unknown> } = {},
  ) {
    super(503, 'service_unavailable', message);
    if (options.cause !== undefined) this.cause = options.cause;
    this.extra = options.extra ?? {};
  }

  override toBody(): { error: { code: string; message: string; details: ErrorDetail[]; [key: string]: unknown } } {
    const body = super.toBody();
    return { error: { ...body.error, retryAfterSeconds: this.retryAfterSeconds, ...this.extra } };
  }
}

/**
 * Whether a neo4j-driver error says the database cannot answer now — a refused or lost
 * connection, an expired session, a transient error (deadlock, lock wait, database starting or
 * stopping), a closed driver or exhausted connection pool, a transaction timeout — rather than
 * that the request is wrong. Duck-typed on the driver's `Neo4jError` (name and code).
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const { name, code, message } = err as { name?: unknown; code?: unknown; message?: unknown };
  if (name !== 'Neo4jError' || typeof code !== 'string') return false;
  if (code === 'ServiceUnavailable' || code === 'SessionExpired' || code.startsWith('Neo.TransientError.')) return true;
  if (code === 'Neo.ClientError.Security.AuthorizationExpired' || code.startsWith('Neo.ClientError.Transaction.TransactionTimedOut')) return true;
  // Errors the driver raises itself carry no server code.
  return code === 'N/A' && /pool is closed|acquisition timed out|connection|socket/i.test(String(message));
}

/**
 * `err` as the error to answer: a `ServiceUnavailableError` when it is a database-unavailable
 * driver error (see `isDatabaseUnavailable`), else `err` unchanged.
 */
export function mapDatabaseError(err: unknown): unknown {
  if (err instanceof PlexusError || !isDatabaseUnavailable(err)) return err;
  const { code, message } = err as { code: string; message: string };
  return new ServiceUnavailableError(`the database is unavailable or busy (${code}: ${message.split('\n')[0]}); retry later`, 5, { cause: err });
}

/** 413: a body over one of the structural limits (line length, nesting depth, array length). */
export class LimitExceededError extends PlexusError {
  constructor(message: string, details: ErrorDetail[] = []) {
    super(413, 'payload_too_large', message, details);
  }
}

/** 415: a body in a content type the route does not accept. */
export class UnsupportedMediaTypeError extends PlexusError {
  constructor(message: string) {
    super(415, 'unsupported_media_type', message);
  }
}

/** 429: the caller sends too much at once; `retryAfterSeconds` goes out as Retry-After. */
export class TooManyRequestsError extends PlexusError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(429, 'too_many_requests', message);
  }
}

/** 503: the request ran out of time (its database work was stopped); nothing was changed. */
export class TimeoutError extends PlexusError {
  constructor(message: string) {
    super(503, 'timeout', message);
  }
}
