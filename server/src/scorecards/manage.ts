import { adminChange, type AuditLog } from '../audit/audit.ts';
import { assertAdmin } from '../auth/authorize.ts';
import type { Principal } from '../auth/principal.ts';
import { definitionChange, type DryRunChange } from '../catalog/dry-run.ts';
import type { WriteContext } from '../catalog/events.ts';
import type { ScorecardService } from './scorecard-service.ts';
import type { EvaluationSummary, Scorecard } from './types.ts';

/**
 * Changing scorecards, for every way in (REST, GraphQL): the permission check and the audit
 * record live here once. Changing a scorecard needs the admin role, since its Cypher rules read
 * the whole graph (a moderator of the target blueprint could otherwise learn, one boolean per
 * entity, about entities they may not read).
 */
export interface ScorecardAdmin {
  /** `read` yields the definition; it is called only once the caller may change scorecards (a body is not read for nothing). */
  create(p: Principal, read: () => Promise<unknown>, ctx: WriteContext): Promise<Scorecard>;
  replace(p: Principal, identifier: string, read: () => Promise<unknown>, ctx: WriteContext): Promise<Scorecard>;
  delete(p: Principal, identifier: string, ctx: WriteContext, options?: DryRunOption): Promise<void>;
  /** What a save would change (`?dryRun=true`): every check of a save, nothing stored, no audit record. */
  plan(p: Principal, identifier: string | null, read: () => Promise<unknown>, ctx: WriteContext): Promise<DryRunChange>;
  evaluate(p: Principal, identifier: string): Promise<EvaluationSummary>;
}

/** `dryRun`: every check of the real change, nothing stored, no audit record. */
export interface DryRunOption {
  dryRun?: boolean;
}

/** The definition as audited: without the evaluation status, which is not a change. */
function definition(sc: Scorecard | null): Scorecard | null {
  if (!sc) return null;
  const { status, ...rest } = sc;
  return rest;
}

export function createScorecardAdmin(deps: { scorecards: ScorecardService; audit: AuditLog }): ScorecardAdmin {
  const { scorecards, audit } = deps;
  const record = (ctx: WriteContext, id: string, before: Scorecard | null, after: Scorecard | null) =>
    audit.record(adminChange('scorecard', id, ctx, definition(before), definition(after), { blueprint: (after ?? before)?.blueprint }));
  return {
    async create(p, read, ctx) {
      assertAdmin(p, 'creating scorecards');
      const saved = await scorecards.save(await read(), { actor: p.name, mode: 'create', applySet: ctx.applySet });
      await record(ctx, saved.identifier, null, saved);
      return saved;
    },
    async replace(p, identifier, read, ctx) {
      assertAdmin(p, 'changing scorecards');
      const input = await read();
      const before = await scorecards.get(identifier).catch(() => null);
      const saved = await scorecards.save(input, { actor: p.name, mode: 'replace', identifier, applySet: ctx.applySet });
      await record(ctx, saved.identifier, before, saved);
      return saved;
    },
    async delete(p, identifier, ctx, options = {}) {
      assertAdmin(p, 'deleting scorecards');
      const before = await scorecards.get(identifier);
      if (options.dryRun) return;
      await scorecards.delete(identifier);
      await record(ctx, identifier, before, null);
    },
    async plan(p, identifier, read, ctx) {
      assertAdmin(p, identifier ? 'changing scorecards' : 'creating scorecards');
      const input = await read();
      const before = identifier ? await scorecards.get(identifier) : null;
      const after = await scorecards.save(input, { actor: p.name, mode: identifier ? 'replace' : 'create', identifier: identifier ?? undefined, dryRun: true, applySet: ctx.applySet });
      return definitionChange('scorecard', after.identifier, definition(before) as Record<string, unknown> | null, definition(after) as unknown as Record<string, unknown>);
    },
    async evaluate(p, identifier) {
      assertAdmin(p, 'evaluating scorecards');
      return scorecards.evaluate(identifier);
    },
  };
}
