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

/** 503: a part of the server is briefly unavailable (e.g. a GraphQL worker restarting); retrying is safe. */
export class ServiceUnavailableError extends PlexusError {
  constructor(message: string) {
    super(503, 'unavailable', message);
  }
}
