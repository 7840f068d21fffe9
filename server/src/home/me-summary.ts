import {
  type MeSummary,
  type Model,
  relTypeOf,
  type SummaryEntity,
  type SummaryTeam,
} from '@plexus/contract';
import neo4j from 'neo4j-driver';
import type { ReadScope } from '../auth/authorize.ts';
import { ownerRelationOf } from '../auth/permissions.ts';
import type { Principal } from '../auth/principal.ts';
import { scopeParams, visibleSlots } from '../auth/read-scope-cypher.ts';
import { type Db, readRows } from '../db/driver.ts';
import { loadQuery } from '../db/query-loader.ts';

/**
 * Blueprints whose open entities are shown as signals on owned entities (the sdlc pack's), the
 * statuses that mean "no longer open", and severities worst first (to list the worst first).
 */
export const signalBlueprints = ['incident', 'vulnerability'];
export const closedStatuses = ['resolved', 'closed', 'fixed', 'ignored', 'done'];
export const severityOrder = ['sev1', 'sev2', 'sev3', 'sev4', 'critical', 'high', 'medium', 'low', 'info'];

/**
 * The relationship types of every blueprint's owner relation (its `permissions.ownerRelation`,
 * else the configured one), from the validated model: the query takes them as parameters.
 */
export function ownerTypesOf(model: Model, ownerRelation: string): string[] {
  const types = new Set<string>();
  for (const bp of model.values()) {
    const rel = ownerRelationOf(bp, ownerRelation);
    if (rel) types.add(relTypeOf(rel));
  }
  return [...types].sort();
}

/**
 * Reads the caller's home page summary in one query (cypher/home/me-summary.cypher). A user is
 * linked to the catalog by their identity's teams: team `payments` is the entity whose identifier
 * is `payments`, the same join key read permissions use. Everything is filtered by `scope`.
 */
export async function readMeSummary(
  deps: { db: Db; model: Model; ownerRelation: string },
  principal: Principal,
  scope: ReadScope,
  options: { recentLimit?: number; rulesLimit?: number; signalLimit?: number; signals?: string[] } = {},
): Promise<MeSummary> {
  const user = { id: principal.id, name: principal.name, role: principal.role };
  const empty: MeSummary = {
    user,
    teams: [],
    owned: { total: 0, byBlueprint: [] },
    recent: [],
    levels: [],
    failingRules: [],
    signals: [],
  };
  if (principal.teams.length === 0) return empty;
  const [row] = await readRows<{
    teams: SummaryTeam[];
    ownedTotal: number;
    kinds: { blueprint: string; count: number }[];
    recent: MeSummary['recent'];
    levels: MeSummary['levels'];
    failingRules: MeSummary['failingRules'];
    signals: MeSummary['signals'];
  }>(deps.db, loadQuery('home/me-summary', visibleSlots(scope, 'team', 'o', 'x')), {
    ...scopeParams(scope),
    teams: principal.teams,
    ownerTypes: ownerTypesOf(deps.model, deps.ownerRelation),
    signalBlueprints: (options.signals ?? signalBlueprints).filter((b) => deps.model.has(b)),
    closed: closedStatuses,
    severities: severityOrder,
    recentLimit: neo4j.int(options.recentLimit ?? 8),
    rulesLimit: neo4j.int(options.rulesLimit ?? 5),
    signalLimit: neo4j.int(options.signalLimit ?? 5),
  });
  if (!row) return empty;
  return {
    user,
    teams: row.teams,
    owned: { total: row.ownedTotal, byBlueprint: row.kinds },
    recent: row.recent.map((r) => ({
      ...r,
      title: r.title ?? null,
      updatedAt: r.updatedAt ?? null,
      updatedBy: r.updatedBy ?? null,
    })),
    levels: row.levels,
    failingRules: row.failingRules,
    signals: row.signals.map((s) => ({
      ...s,
      top: s.top.map((t) => ({
        ...t,
        title: t.title ?? null,
        severity: t.severity ?? null,
        status: t.status ?? null,
      })),
    })),
  };
}
