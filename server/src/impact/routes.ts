import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AccessControl } from '../auth/access.ts';
import { BadRequestError } from '../errors.ts';
import type { AppEnv } from '../http.ts';
import { createRouter, operation, z } from '../openapi.ts';
import type { ImpactDirection, ImpactService } from './impact.ts';

const entityRefSchema = z.object({ identifier: z.string(), blueprint: z.string(), title: z.string().nullable() }).openapi('EntityRef');

/** One entity reached from the root of an impact answer. */
const impactNodeSchema = z
  .object({
    identifier: z.string(),
    blueprint: z.string(),
    title: z.string().nullable(),
    distance: z.number().int(),
    direction: z.enum(['upstream', 'downstream', 'both']),
    path: z.array(z.string()).openapi({ description: '`blueprint:identifier` keys from the root to this entity' }),
    owners: z.array(entityRefSchema).optional(),
    members: z.array(entityRefSchema).optional(),
    onCall: z.array(entityRefSchema).optional(),
  })
  .openapi('ImpactNode');

/** An edge of an impact answer; ends are `blueprint:identifier` keys. */
const impactEdgeSchema = z.object({ source: z.string(), target: z.string(), relation: z.string() }).openapi('ImpactEdge');

/** `GET .../impact` (API.md "Search and impact"); the handler's answer is checked against it when compiled. */
const impactResultSchema = z
  .object({
    root: entityRefSchema,
    nodes: z.array(impactNodeSchema),
    edges: z.array(impactEdgeSchema),
    truncated: z.boolean(),
    summary: z.object({
      byBlueprint: z.record(z.string(), z.number().int()),
      entities: z.number().int(),
      teams: z.array(entityRefSchema.extend({ entities: z.number().int() })),
      people: z.array(entityRefSchema.extend({ member: z.boolean(), onCall: z.boolean(), entities: z.number().int() })),
      onCall: z.array(entityRefSchema),
    }),
  })
  .openapi('ImpactResult');

function list(v: string | undefined): string[] | undefined {
  return v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
}

function int(v: string | undefined, name: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new BadRequestError(`${name} must be an integer`);
  return n;
}

function ref(v: string | undefined, name: string): { blueprint: string; identifier: string } {
  const i = v?.indexOf(':') ?? -1;
  if (!v || i <= 0) throw new BadRequestError(`${name} must be "blueprint:identifier"`);
  return { blueprint: v.slice(0, i), identifier: v.slice(i + 1) };
}

/** Impact and path endpoints (reads; any role, over the entities the caller may read). */
export function impactRoutes(deps: { impact: ImpactService; access: AccessControl }): OpenAPIHono<AppEnv> {
  const { impact, access } = deps;
  const r = createRouter();
  r.openapi(
    operation('get', '/blueprints/{blueprint}/entities/{identifier}/impact', {
      summary: 'Impact / blast radius; include=owners,members,oncall adds the people',
      tag: 'Search',
      query: {
        direction: 'upstream, downstream (the default: what depends on it) or both',
        relations: 'Relations to follow, comma-separated (default: those whose role is dependency)',
        depth: 'Hops at most',
        limit: 'Entities at most',
        include: 'owners, members, oncall (comma-separated)',
      },
      responses: { 200: { description: 'The entities and edges reached', schema: impactResultSchema } },
    }),
    async (c) =>
    c.json(
      (await impact.impact(
        { blueprint: c.req.param('blueprint'), identifier: c.req.param('identifier') },
        {
          scope: access.scope(c.get('principal')),
          direction: (c.req.query('direction') ?? 'downstream') as ImpactDirection,
          relations: list(c.req.query('relations')),
          depth: int(c.req.query('depth'), 'depth'),
          limit: int(c.req.query('limit'), 'limit'),
          include: list(c.req.query('include')),
        },
      )) satisfies z.infer<typeof impactResultSchema>,
    ),
  );
  r.openapi(
    operation('get', '/paths', {
      summary: 'Shortest paths between two entities',
      tag: 'Search',
      query: { from: '"blueprint:identifier"', to: '"blueprint:identifier"', relations: 'Relations to follow, comma-separated', depth: 'Hops at most', limit: 'Paths at most' },
    }),
    async (c) =>
    c.json(
      await impact.paths(ref(c.req.query('from'), 'from'), ref(c.req.query('to'), 'to'), {
        scope: access.scope(c.get('principal')),
        relations: list(c.req.query('relations')),
        depth: int(c.req.query('depth'), 'depth'),
        limit: int(c.req.query('limit'), 'limit'),
      }),
    ),
  );
  return r;
}
