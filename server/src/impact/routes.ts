import { Hono } from 'hono';
import type { AccessControl } from '../auth/access.ts';
import { BadRequestError } from '../errors.ts';
import type { AppEnv } from '../http.ts';
import type { ImpactDirection, ImpactService } from './impact.ts';

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
export function impactRoutes(deps: { impact: ImpactService; access: AccessControl }): Hono<AppEnv> {
  const { impact, access } = deps;
  const r = new Hono<AppEnv>();
  r.get('/blueprints/:blueprint/entities/:identifier/impact', async (c) =>
    c.json(
      await impact.impact(
        { blueprint: c.req.param('blueprint'), identifier: c.req.param('identifier') },
        {
          scope: access.scope(c.get('principal')),
          direction: (c.req.query('direction') ?? 'downstream') as ImpactDirection,
          relations: list(c.req.query('relations')),
          depth: int(c.req.query('depth'), 'depth'),
          limit: int(c.req.query('limit'), 'limit'),
          include: list(c.req.query('include')),
        },
      ),
    ),
  );
  r.get('/paths', async (c) =>
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
