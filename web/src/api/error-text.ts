/**
 * The one place that turns what the server says into what a person using the UI reads. The REST
 * API's messages are written for API clients ("use PUT /api/v1/blueprints/x to change it",
 * "repeat with ?force=true"); the UI offers its own way to do those things, so such hints are
 * dropped and each error code gets a sentence that says what happened and what to do.
 */

/** A clause that only makes sense to someone calling the REST API. */
const restOnly = /\/api\/v1\b|\?force=true|\bGraphQL mutation\b/;

/** Removes REST-only hints from a server message: `a; use PUT /api/v1/x` → `a`. */
export function withoutRestHints(message: string): string {
  const kept = message
    .split(/;\s+/)
    .filter((part) => !restOnly.test(part))
    .join('; ')
    .trim();
  return kept || message;
}

const sentence = (s: string) => {
  const t = s.trim();
  if (!t) return t;
  const first = t[0].toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
};

/**
 * The message the UI shows for an error answered with `status` and `code`.
 * @example uiErrorText(409, 'conflict', 'blueprint "svc" already exists; use PUT /api/v1/blueprints/svc to change it')
 * // 'Blueprint "svc" already exists. Open it and edit it instead of creating it again.'
 */
export function uiErrorText(status: number, code: string, message: string): string {
  const clean = withoutRestHints(message);
  switch (code) {
    case 'network':
      return message;
    case 'unauthorized':
      return `${sentence(clean)} Sign in again to continue.`;
    case 'forbidden':
      return `You do not have permission for this: ${clean}.`.replace(/\.\.$/, '.');
    case 'too_many_requests':
      return 'Plexus is busy with your other requests; try again in a moment.';
    case 'payload_too_large':
      return `That is more than the server accepts in one go: ${clean}`;
    case 'internal':
      return 'Something went wrong on the server. Try again; if it keeps happening, an administrator finds the details in the server log.';
    case 'service_unavailable':
    case 'timeout':
      return `${sentence(clean)} Try again in a few seconds.`;
    case 'conflict':
      if (/already exists/.test(clean))
        return `${sentence(clean)} Open it and edit it instead of creating it again.`;
      return sentence(clean);
    default:
      if (status >= 500) return `The server could not do this (HTTP ${status}). Try again in a few seconds.`;
      return sentence(clean);
  }
}
