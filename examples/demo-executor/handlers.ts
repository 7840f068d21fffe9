/**
 * What the demo executor does for each starter action (server/src/demo/actions/*.json): the
 * steps a real engine would take, told through status labels and log lines, and the catalog
 * change that makes the result visible. Each handler returns the run's summary.
 */
import type { ExecutorPayload, PlexusClient } from './plexus-client.ts';

/** What a handler works with. */
export interface StepContext {
  payload: ExecutorPayload;
  plexus: PlexusClient;
  /** Sets the status label, logs `message`, and pauses a little so the progress shows. */
  step(label: string, message?: string): Promise<void>;
}

export type Handler = (ctx: StepContext) => Promise<string>;

/** An entity-picker value: `identifier`, `blueprint:identifier` or `{identifier}`. */
export function refId(value: unknown): string {
  if (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { identifier?: unknown }).identifier === 'string'
  )
    return (value as { identifier: string }).identifier;
  const text = String(value ?? '');
  const colon = text.indexOf(':');
  return colon > 0 && /^[a-z][a-zA-Z0-9]*$/.test(text.slice(0, colon)) ? text.slice(colon + 1) : text;
}

function text(inputs: Record<string, unknown>, name: string): string {
  const v = inputs[name];
  if (v === undefined || v === null || v === '') throw new Error(`input "${name}" is missing`);
  return String(v);
}

function target(ctx: StepContext): NonNullable<ExecutorPayload['entity']> {
  if (!ctx.payload.entity) throw new Error(`${ctx.payload.action.identifier} needs a target entity`);
  return ctx.payload.entity;
}

/** A short, stable suffix from the run id for identifiers the executor makes. */
const shortRun = (ctx: StepContext) =>
  ctx.payload.run.id
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(-8)
    .toLowerCase();
const fakeSha = (seed: string) => {
  let h = 2166136261;
  let out = '';
  for (let i = 0; out.length < 40; i++) {
    h = Math.imul(h ^ seed.charCodeAt(i % seed.length) ^ i, 16777619) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, 40);
};

/** Deploy (and roll back): a deployment entity of the service to the environment, in progress then done. */
async function release(ctx: StepContext, kind: 'deploy' | 'rollback'): Promise<string> {
  const service = target(ctx);
  const { inputs } = ctx.payload;
  const version = text(inputs, 'version');
  const environment = refId(text(inputs, 'environment'));
  const startedAt = new Date();
  const identifier = `${service.identifier}-${environment}-${version}-${shortRun(ctx)}`.replace(
    /[^A-Za-z0-9._-]/g,
    '-',
  );
  const deployment = (status: string, extra: Record<string, unknown> = {}) => ({
    identifier,
    title: `${service.title ?? service.identifier} ${version} to ${environment}`,
    properties: {
      version,
      status,
      commitSha: fakeSha(`${service.identifier}@${version}`),
      startedAt: startedAt.toISOString(),
      replicas: 3,
      ...extra,
    },
    relations: { deploys: service.identifier, environment },
  });
  if (kind === 'rollback') {
    await ctx.step(
      'Preparing the rollback',
      `Rolling ${service.identifier} in ${environment} back to ${version}`,
    );
    if (inputs.reason) await ctx.plexus.log(`Reason: ${String(inputs.reason)}`);
  } else {
    await ctx.step(
      'Building',
      `Building ${service.identifier}@${version} (commit ${fakeSha(`${service.identifier}@${version}`).slice(0, 7)})`,
    );
    await ctx.plexus.log('Image pushed to registry.acme.example');
  }
  await ctx.plexus.upsertEntity('deployment', deployment('inProgress'));
  for (let replica = 1; replica <= 3; replica++)
    await ctx.step(
      `Rolling out ${replica}/3`,
      `Replica ${replica}/3 of ${service.identifier} is healthy on ${version}`,
    );
  const finishedAt = new Date();
  await ctx.plexus.upsertEntity(
    'deployment',
    deployment('succeeded', {
      finishedAt: finishedAt.toISOString(),
      durationSeconds: Math.max(0, Math.round((finishedAt.getTime() - startedAt.getTime()) / 1000)),
    }),
  );
  return kind === 'rollback'
    ? `${service.identifier} rolled back to ${version} in ${environment}`
    : `${service.identifier} ${version} deployed to ${environment}`;
}

/** The starter actions by identifier. */
export const handlers: Record<string, Handler> = {
  async 'scaffold-service'(ctx) {
    const { inputs } = ctx.payload;
    const name = text(inputs, 'name');
    const owner = refId(text(inputs, 'owner'));
    const language = text(inputs, 'language');
    await ctx.step(
      'Creating the repository',
      `Created https://git.acme.example/${owner}/${name} from the ${language} template`,
    );
    await ctx.step('Registering in the catalog');
    await ctx.plexus.upsertEntity('service', {
      identifier: name,
      title: typeof inputs.title === 'string' && inputs.title ? inputs.title : name,
      properties: {
        language,
        lifecycle: 'experimental',
        tier: Number(inputs.tier ?? 3),
        repositoryUrl: `https://git.acme.example/${owner}/${name}`,
        createdAt: new Date().toISOString(),
        ...(typeof inputs.description === 'string' && inputs.description
          ? { description: inputs.description }
          : {}),
      },
      relations: { ownedBy: owner },
    });
    await ctx.step('Setting up CI', `Pipeline ${name}-ci created; first build queued`);
    return `Service ${name} created, owned by ${owner}`;
  },

  'deploy-service': (ctx) => release(ctx, 'deploy'),
  'rollback-service': (ctx) => release(ctx, 'rollback'),

  async 'toggle-feature-flag'(ctx) {
    const service = target(ctx);
    const flag = text(ctx.payload.inputs, 'flag');
    const enabled = ctx.payload.inputs.enabled === true || ctx.payload.inputs.enabled === 'true';
    await ctx.step(
      'Updating the flag service',
      `Setting ${flag} to ${enabled ? 'on' : 'off'} for ${service.identifier}`,
    );
    const current = await ctx.plexus.getEntity(service.blueprint, service.identifier);
    if (!current) throw new Error(`${service.blueprint} ${service.identifier} no longer exists`);
    const labels = {
      ...((current.properties?.labels as Record<string, unknown>) ?? {}),
      [`feature.${flag}`]: enabled ? 'on' : 'off',
    };
    await ctx.plexus.upsertEntity(service.blueprint, {
      identifier: service.identifier,
      properties: { labels },
    });
    return `Feature flag ${flag} turned ${enabled ? 'on' : 'off'} for ${service.identifier}`;
  },

  async 'extend-environment-ttl'(ctx) {
    const env = target(ctx);
    const days = Number(ctx.payload.inputs.days ?? 7);
    if (!Number.isFinite(days) || days <= 0) throw new Error('input "days" must be a positive number');
    const current = await ctx.plexus.getEntity(env.blueprint, env.identifier);
    if (!current) throw new Error(`${env.blueprint} ${env.identifier} no longer exists`);
    const was = Date.parse(String(current.properties?.expiresAt ?? ''));
    const from = Number.isNaN(was) ? Date.now() : Math.max(was, Date.now());
    const expiresAt = new Date(from + days * 86_400_000).toISOString();
    await ctx.step(
      'Extending the lease',
      `${env.identifier} expired ${Number.isNaN(was) ? 'never (no TTL yet)' : `at ${new Date(was).toISOString()}`}`,
    );
    await ctx.plexus.upsertEntity(env.blueprint, { identifier: env.identifier, properties: { expiresAt } });
    return `${env.identifier} now expires at ${expiresAt}`;
  },

  async 'request-database-access'(ctx) {
    const db = target(ctx);
    const { inputs } = ctx.payload;
    const grantee = refId(text(inputs, 'grantee'));
    const access = String(inputs.access ?? 'read');
    const hours = Number(inputs.hours ?? 4);
    const grantedAt = new Date();
    const expiresAt = new Date(grantedAt.getTime() + hours * 3_600_000);
    await ctx.step(
      'Creating the database role',
      `Role tmp_${grantee.replace(/[^A-Za-z0-9]/g, '_')} with ${access} access on ${db.identifier}`,
    );
    await ctx.plexus.upsertEntity('permission', {
      identifier: `perm-${db.identifier}-${grantee}-${shortRun(ctx)}`,
      title: `${access} on ${db.identifier} for ${grantee}`,
      properties: {
        action: access,
        temporary: true,
        grantedAt: grantedAt.toISOString(),
        expiresAt: expiresAt.toISOString(),
        ...(inputs.reason ? { reason: String(inputs.reason) } : {}),
      },
      relations: { grantedTo: `person:${grantee}`, appliesTo: `${db.blueprint}:${db.identifier}` },
    });
    await ctx.step(
      'Scheduling the revocation',
      `Access is revoked automatically at ${expiresAt.toISOString()}`,
    );
    return `${access} access to ${db.identifier} granted to ${grantee} until ${expiresAt.toISOString()}`;
  },

  async 'decommission-service'(ctx) {
    const service = target(ctx);
    await ctx.step('Scaling down', `Scaled ${service.identifier} to 0 replicas in every environment`);
    await ctx.plexus.upsertEntity(service.blueprint, {
      identifier: service.identifier,
      properties: { lifecycle: 'deprecated' },
    });
    await ctx.step('Archiving the repository', `Archived the repository of ${service.identifier}`);
    if (ctx.payload.inputs.keepInCatalog === true)
      return `${service.identifier} decommissioned and marked deprecated`;
    await ctx.step('Removing from the catalog');
    await ctx.plexus.deleteEntity(service.blueprint, service.identifier);
    return `${service.identifier} decommissioned and removed from the catalog`;
  },
};

/** An action the executor has no handler for: acknowledged, inputs logged, SUCCESS. */
export const unknownAction: Handler = async (ctx) => {
  const names = Object.keys(ctx.payload.inputs);
  await ctx.step(
    'Running',
    `No demo handler for "${ctx.payload.action.identifier}"; inputs received: ${names.join(', ') || 'none'}`,
  );
  return `${ctx.payload.action.title} acknowledged by the demo executor`;
};
