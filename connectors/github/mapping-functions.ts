/**
 * JSONata functions for GitHub mappings: reading GitHub's own formats (CODEOWNERS, linguist
 * language names, run and deployment states) belongs in code, so `mapping.yaml` stays a list of
 * fields. Each returns `undefined` when GitHub says nothing, so the property is left out rather
 * than invented.
 */
import { environmentType, type MappingFunctions } from '@plexus/connector-sdk';

/** GitHub (linguist) language names → the sdlc pack's `language` enum. */
const languages: Record<string, string> = {
  Go: 'go',
  TypeScript: 'typescript',
  Java: 'java',
  Kotlin: 'kotlin',
  Python: 'python',
  Rust: 'rust',
  'C#': 'csharp',
  Ruby: 'ruby',
};

/** The sdlc `language` for a GitHub language name, or undefined when the enum has no such value. */
export function githubLanguage(name: unknown): string | undefined {
  return typeof name === 'string' ? languages[name] : undefined;
}

const lifecycles = ['experimental', 'production', 'deprecated'];

/**
 * A repository's lifecycle: `deprecated` when archived, else a topic naming one
 * (`experimental`, `production`, `deprecated`), else undefined.
 */
export function repositoryLifecycle(archived: unknown, topics: unknown): string | undefined {
  if (archived === true) return 'deprecated';
  const list = Array.isArray(topics) ? topics : [];
  return lifecycles.find((l) => list.includes(l));
}

/** A tier from a `tier-1`/`tier1` topic, or undefined. */
export function tierFromTopics(topics: unknown): number | undefined {
  for (const t of Array.isArray(topics) ? topics : []) {
    const m = /^tier-?([1-3])$/.exec(String(t));
    if (m) return Number(m[1]);
  }
  return undefined;
}

/** One CODEOWNERS rule: a gitignore-style pattern and its owners (`@org/team`, `@user`, emails). */
export interface CodeownersRule {
  pattern: string;
  owners: string[];
}

/** Parses CODEOWNERS text: comments and blank lines dropped, `\#` kept as a literal `#`. */
export function parseCodeowners(text: string): CodeownersRule[] {
  const rules: CodeownersRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    // A `#` starts a comment unless escaped; patterns may contain `\#` for a literal hash.
    const line = raw.replace(/(^|[^\\])#.*$/, '$1').trim();
    if (line === '') continue;
    const [pattern, ...owners] = line.split(/\s+/);
    rules.push({ pattern: pattern.replace(/\\#/g, '#'), owners });
  }
  return rules;
}

/** Patterns that match every file of a repository. */
const everything = new Set(['*', '/*', '**', '/**', '/']);

/**
 * The team that owns a whole repository: the first `@org/team` owner of the last rule matching
 * every file (later rules win in CODEOWNERS), for the repository's own organisation. Undefined
 * when there is no such rule, or it names only people.
 */
export function codeownersTeam(file: unknown, org: unknown): string | undefined {
  const text = contentText(file);
  if (text === undefined) return undefined;
  const rules = parseCodeowners(text).filter((r) => everything.has(r.pattern));
  const rule = rules[rules.length - 1];
  if (!rule) return undefined;
  const orgName = typeof org === 'string' ? org.toLowerCase() : undefined;
  for (const owner of rule.owners) {
    const m = /^@([^/\s]+)\/([^\s]+)$/.exec(owner);
    if (m && (orgName === undefined || m[1].toLowerCase() === orgName)) return m[2].toLowerCase();
  }
  return undefined;
}

/** The text of a contents-API file (`encoding: base64`), or undefined. */
export function contentText(file: unknown): string | undefined {
  if (!file || typeof file !== 'object') return undefined;
  const f = file as { content?: unknown; encoding?: unknown };
  if (typeof f.content !== 'string') return undefined;
  return f.encoding === 'base64' ? Buffer.from(f.content, 'base64').toString('utf8') : f.content;
}

/**
 * A user's address: their public email, else GitHub's no-reply address for them
 * (`ID+login@users.noreply.<host>`), the one GitHub itself uses for their web commits.
 */
export function userEmail(user: unknown): string | undefined {
  if (!user || typeof user !== 'object') return undefined;
  const u = user as { email?: unknown; id?: unknown; login?: unknown; html_url?: unknown };
  if (typeof u.email === 'string' && u.email !== '') return u.email;
  if (typeof u.login !== 'string') return undefined;
  let host = 'github.com';
  if (typeof u.html_url === 'string') {
    try {
      host = new URL(u.html_url).host;
    } catch {}
  }
  return `${u.id !== undefined ? `${String(u.id)}+` : ''}${u.login}@users.noreply.${host}`;
}

interface Run {
  status?: string;
  conclusion?: string | null;
  run_started_at?: string;
  created_at?: string;
  updated_at?: string;
}

const passing = new Set(['success', 'neutral', 'skipped']);

/** The pipeline status of a run: `running` until completed, then passing, failing or cancelled. */
export function runStatus(run: unknown): string | undefined {
  if (!run || typeof run !== 'object') return undefined;
  const r = run as Run;
  if (r.status !== 'completed') return r.status ? 'running' : undefined;
  if (r.conclusion && passing.has(r.conclusion)) return 'passing';
  if (r.conclusion === 'cancelled') return 'cancelled';
  return 'failing';
}

const runsOf = (runs: unknown): Run[] => (Array.isArray(runs) ? (runs as Run[]) : []);

/** Mean wall time of the completed runs in seconds (start to last update), or undefined. */
export function averageRunSeconds(runs: unknown): number | undefined {
  const durations = runsOf(runs)
    .filter((r) => r.status === 'completed')
    .map((r) => (Date.parse(r.updated_at ?? '') - Date.parse(r.run_started_at ?? r.created_at ?? '')) / 1000)
    .filter((d) => Number.isFinite(d) && d >= 0);
  if (durations.length === 0) return undefined;
  return Math.round(durations.reduce((s, d) => s + d, 0) / durations.length);
}

/** Share of passing runs among completed, not cancelled runs (0..1, 2 decimals), or undefined. */
export function runSuccessRate(runs: unknown): number | undefined {
  const decided = runsOf(runs).filter((r) => r.status === 'completed' && r.conclusion !== 'cancelled');
  if (decided.length === 0) return undefined;
  const ok = decided.filter((r) => r.conclusion && passing.has(r.conclusion)).length;
  return Math.round((ok / decided.length) * 100) / 100;
}

const deploymentStates: Record<string, string> = {
  success: 'succeeded',
  // GitHub marks a successful deployment inactive once a newer one reaches the same environment.
  inactive: 'succeeded',
  failure: 'failed',
  error: 'failed',
  in_progress: 'inProgress',
  queued: 'pending',
  pending: 'pending',
};

/** The sdlc deployment status of a GitHub deployment status (`pending` when there is none yet). */
export function deploymentStatus(status: unknown): string {
  const state = status && typeof status === 'object' ? (status as { state?: unknown }).state : undefined;
  return (typeof state === 'string' && deploymentStates[state]) || 'pending';
}

/** Whether a deployment status is final (its time is then the deployment's end). */
export function deploymentFinished(status: unknown): boolean {
  const state = status && typeof status === 'object' ? (status as { state?: unknown }).state : undefined;
  return typeof state === 'string' && ['success', 'inactive', 'failure', 'error'].includes(state);
}

const alertStatuses: Record<string, string> = {
  open: 'open',
  fixed: 'fixed',
  dismissed: 'ignored',
  auto_dismissed: 'ignored',
};

/** The sdlc vulnerability status of a Dependabot alert state (dismissed alerts are `ignored`). */
export function alertStatus(state: unknown): string | undefined {
  return typeof state === 'string' ? alertStatuses[state] : undefined;
}

/** Whole seconds from `from` to `to` (ISO dates), or undefined. */
export function secondsBetween(from: unknown, to: unknown): number | undefined {
  const s = (Date.parse(String(to)) - Date.parse(String(from))) / 1000;
  return Number.isFinite(s) && s >= 0 ? Math.round(s) : undefined;
}


/** The functions, as the SDK registers them (`$codeownersTeam(codeowners, repository.owner.login)`). */
export const githubFunctions: MappingFunctions = {
  githubLanguage: { fn: githubLanguage },
  repositoryLifecycle: { fn: repositoryLifecycle },
  tierFromTopics: { fn: tierFromTopics },
  codeownersTeam: { fn: codeownersTeam },
  userEmail: { fn: userEmail },
  runStatus: { fn: runStatus },
  averageRunSeconds: { fn: averageRunSeconds },
  runSuccessRate: { fn: runSuccessRate },
  alertStatus: { fn: alertStatus },
  deploymentStatus: { fn: deploymentStatus },
  deploymentFinished: { fn: deploymentFinished },
  secondsBetween: { fn: secondsBetween },
  environmentType: { fn: environmentType },
};
