import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AccessControl } from '../auth/access.ts';
import type { Db } from '../db/driver.ts';
import type { AppEnv } from '../http.ts';
import type { BlueprintStore } from '../model/blueprint-store.ts';
import { createRouter, operation } from '../openapi.ts';
import { readMeSummary } from './me-summary.ts';

/** `GET /me/summary`: the caller's home page (their teams, what they own, its state). Any role. */
export function homeRoutes(deps: {
  db: Db;
  models: BlueprintStore;
  access: AccessControl;
  ownerRelation: string;
}): OpenAPIHono<AppEnv> {
  const r = createRouter();
  const summary =
    "The caller's home page: their teams, what they own, recent changes, scorecard levels, failing rules, open incidents and vulnerabilities (over what the caller may read)";
  r.openapi(operation('get', '/me/summary', { summary, tag: 'Search' }), async (c) => {
    const principal = c.get('principal');
    return c.json(
      await readMeSummary(
        { db: deps.db, model: deps.models.current(), ownerRelation: deps.ownerRelation },
        principal,
        deps.access.scope(principal),
      ),
    );
  });
  return r;
}
