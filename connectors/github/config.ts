import { defineConfig, field, z } from '@plexus/connector-sdk';

/** What a GitHub source reads; each part is one family of REST calls (and of entities). */
export const githubParts = [
  'repositories',
  'codeowners',
  'workflows',
  'dependabotAlerts',
  'deployments',
  'teams',
] as const;

/** One part of a GitHub source. */
export type GitHubPart = (typeof githubParts)[number];

/** Dependabot alert states (`state` of the REST API). */
export const alertStates = ['open', 'dismissed', 'fixed', 'auto_dismissed'] as const;

/**
 * Config of a `github` source: one organisation on github.com or on GitHub Enterprise Server
 * (`baseUrl: https://ghe.example.com/api/v3`).
 */
export const githubConfig = defineConfig({
  /** REST API root: `https://api.github.com`, or `https://<host>/api/v3` for GitHub Enterprise Server. */
  baseUrl: field.url().default('https://api.github.com'),
  /** The organisation's login. */
  org: field.string(),
  /** A token that can read the organisation (classic PAT, fine-grained token or app installation token). */
  token: field.secret(),
  /** The secret of the organisation webhook; deliveries without a valid `X-Hub-Signature-256` get 401. */
  webhookSecret: field.secret().optional(),
  /** The parts to read; all by default. `codeowners`, `workflows`, `dependabotAlerts` and `deployments` are per repository. */
  include: field.list(z.enum(githubParts)).default([...githubParts]),
  /** Archived repositories are read (and become deprecated services) unless this is false. */
  includeArchived: z.boolean().default(true),
  /** Forks are skipped unless this is true: they are usually someone else's code. */
  includeForks: z.boolean().default(false),
  /** Dependabot alerts of these states are read; the others are not (and disappear from the catalog). */
  alertStates: field.list(z.enum(alertStates)).default([...alertStates]),
  /** The most recent deployments read per repository (0 reads none). */
  deploymentsPerRepository: field.number({ integer: true, min: 0, max: 100 }).default(10),
  /** The most recent default-branch runs read per workflow: the first gives the status, all give duration and success rate. */
  runsPerWorkflow: field.number({ integer: true, min: 1, max: 100 }).default(20),
  /** `per_page` of listings (GitHub allows 1 to 100). */
  pageSize: field.number({ integer: true, min: 1, max: 100 }).default(100),
});

/** The parsed config. */
export type GitHubConfig = ReturnType<typeof githubConfig.parse>;
