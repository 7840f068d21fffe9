import type { EvaluationSummary, Scorecard, WriteContext } from '@plexus/contract';
import { assertAdmin } from '../auth/authorize.ts';
import type { Principal } from '../auth/principal.ts';
import { type DryRunChange, definitionChange } from '../catalog/dry-run.ts';
import { auditedDefinition, type ScorecardService } from './scorecard-service.ts';

/**
 * Changing scorecards, for every way in (REST, GraphQL): the permission check lives here once
 * (the service writes the audit record in the change's transaction). Changing a scorecard needs the admin role, since its Cypher rules read
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

export function createScorecardAdmin(deps: { scorecards: ScorecardService }): ScorecardAdmin {
  const { scorecards } = deps;
  return {
    async create(p, read, ctx) {
      assertAdmin(p, 'creating scorecards');
      return scorecards.save(await read(), { actor: p.name, mode: 'create', applySet: ctx.applySet, ctx });
    },
    async replace(p, identifier, read, ctx) {
      assertAdmin(p, 'changing scorecards');
      return scorecards.save(await read(), { actor: p.name, mode: 'replace', identifier, applySet: ctx.applySet, ctx });
    },
    async delete(p, identifier, ctx, options = {}) {
      assertAdmin(p, 'deleting scorecards');
      if (options.dryRun) {
        await scorecards.get(identifier);
        return;
      }
      await scorecards.delete(identifier, ctx);
    },
    async plan(p, identifier, read, ctx) {
      assertAdmin(p, identifier ? 'changing scorecards' : 'creating scorecards');
      const input = await read();
      const before = identifier ? await scorecards.get(identifier) : null;
      const after = await scorecards.save(input, { actor: p.name, mode: identifier ? 'replace' : 'create', identifier: identifier ?? undefined, dryRun: true, applySet: ctx.applySet });
      return definitionChange('scorecard', after.identifier, auditedDefinition(before) as Record<string, unknown> | null, auditedDefinition(after) as unknown as Record<string, unknown>);
    },
    async evaluate(p, identifier) {
      assertAdmin(p, 'evaluating scorecards');
      return scorecards.evaluate(identifier);
    },
  };
}
