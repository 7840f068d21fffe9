import {
  checkExpression,
  evaluateExpression,
  isExpression,
  type UpsertEntityInvoker,
} from '@plexus/contract';
import { PlexusError } from '../../errors.ts';
import type { Invoker } from '../types.ts';
import type { InvokerDeps } from './index.ts';

/**
 * No engine: a JSONata mapping turns the invocation payload (inputs, entity, trigger) into one
 * entity record or a list, written through the one write path as the run's actor (with the
 * actor's own write permissions) and marked with the run's id, so they become its affected
 * entities. The run ends SUCCESS with them, or FAILURE with the validation or permission error.
 */
export function createUpsertEntityInvoker(deps: InvokerDeps): Invoker<UpsertEntityInvoker> {
  return {
    type: 'upsert-entity',
    secretFields: [],
    validate(config) {
      const out: { path: string; message: string }[] = [];
      for (const k of Object.keys(config))
        if (k !== 'type' && k !== 'mapping')
          out.push({ path: k, message: `unknown key "${k}"; an upsert-entity invoker has mapping` });
      if (!isExpression(config.mapping))
        out.push({
          path: 'mapping',
          message:
            'mapping must be {"jsonata": "..."} giving {"blueprint", "identifier", "title"?, "properties"?, "relations"?} (or a list)',
        });
      else {
        const problem = checkExpression(config.mapping.jsonata);
        if (problem) out.push({ path: 'mapping', message: problem });
      }
      return out;
    },
    async invoke(ctx) {
      if (!ctx.actor)
        return { outcome: 'done', status: 'FAILURE', summary: 'the run has no actor to write as' };
      let mapped: unknown;
      try {
        mapped = await evaluateExpression(ctx.config.mapping, ctx.payload);
      } catch (err) {
        return {
          outcome: 'done',
          status: 'FAILURE',
          summary: `the mapping failed: ${(err as Error).message}`,
        };
      }
      const records = Array.isArray(mapped)
        ? mapped
        : mapped === undefined || mapped === null
          ? []
          : [mapped];
      if (records.length === 0)
        return { outcome: 'done', status: 'FAILURE', summary: 'the mapping gave no entity to write' };
      try {
        await deps.access.checkUpsert(ctx.actor, records);
        const result = await deps.catalog.upsertEntities(records, {
          actor: ctx.actor.name,
          source: `action:${ctx.payload.action.identifier}`,
          runId: ctx.payload.run.id,
        });
        const names = result.results.map((r) => `${r.blueprint}:${r.identifier} (${r.status})`);
        await ctx.report.log(`wrote ${names.join(', ')}`);
        return {
          outcome: 'done',
          status: 'SUCCESS',
          summary: `${result.created} created, ${result.updated} updated, ${result.unchanged} unchanged`,
        };
      } catch (err) {
        if (!(err instanceof PlexusError)) throw err;
        const details = err.details.map(
          (d) => `${d.identifier ? `${d.identifier}: ` : ''}${d.path ? `${d.path}: ` : ''}${d.message}`,
        );
        return {
          outcome: 'done',
          status: 'FAILURE',
          summary: [err.message, ...details].join('; ').slice(0, 2000),
        };
      }
    },
  };
}
