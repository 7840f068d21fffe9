/**
 * Scorecard definitions in the graph (`:_Scorecard`): list, get, save and delete, each change
 * audited in its own transaction. Evaluation status is stored with the definition but written by
 * the evaluation run (run-evaluation.ts); results and history are deleted here with the definition.
 */
import neo4j from 'neo4j-driver';
import { adminChange, writeAudited } from '../audit/audit.ts';
import type { WriteContext } from '@plexus/contract';
import { type Db, readRows, txRows, writeRows } from '../db/driver.ts';
import { loadQuery } from '../db/query-loader.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { BlueprintStore } from '../model/blueprint-store.ts';
import type { Scorecard, ScorecardStatus } from '@plexus/contract';
import { checkScorecard } from './validate-scorecard.ts';

type StoredScorecard = Omit<Scorecard, 'rules' | 'filter' | 'status'> & {
  rules: string;
  filter: string | null;
  status?: string | null;
};

/** Options of {@link ScorecardStore.save}, as the service's `save` takes them. */
export interface SaveOptions {
  actor: string;
  mode: 'create' | 'replace';
  identifier?: string;
  dryRun?: boolean;
  applySet?: string;
  ctx?: WriteContext;
}

/** Reads and writes scorecard definitions. */
export interface ScorecardStore {
  list(): Promise<Scorecard[]>;
  /** Throws NotFoundError when there is no such scorecard. */
  get(identifier: string): Promise<Scorecard>;
  /** Checks (read-only rules, see validate-scorecard.ts) and stores; a dry run stores nothing. */
  save(input: unknown, options: SaveOptions): Promise<Scorecard>;
  /** Deletes the definition (audited, with `before` as its last state), then its results and history. */
  delete(identifier: string, before: Scorecard, ctx: WriteContext): Promise<void>;
}

function decode(row: StoredScorecard): Scorecard {
  const { rules, filter, status, ...rest } = row;
  const out: Scorecard = { ...rest, filter: filter ? JSON.parse(filter) : null, rules: JSON.parse(rules) };
  out.status = status
    ? (JSON.parse(status) as ScorecardStatus)
    : {
        evaluatedAt: null,
        fullEvaluatedAt: null,
        durationMs: null,
        entities: 0,
        levels: out.levels.map((level) => ({ level, count: 0 })),
        rules: [],
        errors: [],
      };
  return out;
}

/** The definition as audited (and diffed by dry runs): without the evaluation status, which is not a change. */
export function auditedDefinition(sc: Scorecard | null): Omit<Scorecard, 'status'> | null {
  if (!sc) return null;
  const { status: _status, ...rest } = sc;
  return rest;
}

/** The audit event of a change to a scorecard's definition (none when only timestamps moved). */
function auditChange(ctx: WriteContext, identifier: string, before: Scorecard | null, after: Scorecard | null) {
  return adminChange('scorecard', identifier, ctx, auditedDefinition(before), auditedDefinition(after), {
    blueprint: (after ?? before)?.blueprint,
  });
}

/** Creates the definition store; `defaultHops` and `batchSize` are the service's options. */
export function createScorecardStore(deps: {
  db: Db;
  models: BlueprintStore;
  defaultHops: number;
  batchSize: number;
}): ScorecardStore {
  const { db, models, defaultHops, batchSize } = deps;

  async function list(): Promise<Scorecard[]> {
    return (await readRows<{ scorecard: StoredScorecard }>(db, loadQuery('scorecards/list-scorecards'))).map(
      (r) => decode(r.scorecard),
    );
  }

  async function get(identifier: string): Promise<Scorecard> {
    const [row] = await readRows<{ scorecard: StoredScorecard }>(db, loadQuery('scorecards/get-scorecard'), {
      identifier,
    });
    if (!row) throw new NotFoundError(`scorecard "${identifier}" does not exist`);
    return decode(row.scorecard);
  }

  async function deleteInBatches(query: string, params: Record<string, unknown>): Promise<void> {
    for (;;) {
      const [row] = await writeRows<{ deleted: number }>(db, query, {
        ...params,
        batch: neo4j.int(batchSize),
      });
      if (!row || row.deleted < batchSize) return;
    }
  }

  return {
    list,
    get,
    async save(input, { actor, mode, identifier, dryRun = false, applySet, ctx }) {
      const { scorecard } = await checkScorecard(db, models.current(), input, { identifier, defaultHops });
      const before = await get(scorecard.identifier).catch(() => null);
      const exists = before !== null;
      if (mode === 'create' && exists)
        throw new ConflictError(`scorecard "${scorecard.identifier}" exists; PUT it to change it`);
      if (mode === 'replace' && !exists)
        throw new NotFoundError(`scorecard "${scorecard.identifier}" does not exist`);
      // A dry run: every check above ran; the scorecard as it would be stored, nothing written.
      if (dryRun) {
        const { status: _status, applySet: _old, ...stored } = exists ? await get(scorecard.identifier) : ({} as Partial<Scorecard>);
        const { applySet: _set, ...definition } = scorecard as Scorecard;
        return { ...stored, ...definition, description: scorecard.description ?? null, filter: scorecard.filter ?? null, ...(applySet ? { applySet } : {}) } as Scorecard;
      }
      return writeAudited(db, async (tx) => {
        const [row] = await txRows<{ scorecard: StoredScorecard }>(tx, loadQuery('scorecards/save-scorecard'), {
          identifier: scorecard.identifier,
          title: scorecard.title,
          description: scorecard.description ?? null,
          blueprint: scorecard.blueprint,
          filter: scorecard.filter ? JSON.stringify(scorecard.filter) : null,
          levels: scorecard.levels,
          rules: JSON.stringify(scorecard.rules),
          now: new Date().toISOString(),
          actor,
          applySet: applySet ?? null,
        });
        const after = decode(row.scorecard);
        return { result: after, events: auditChange(ctx ?? { actor, source: 'api' }, after.identifier, before, after) };
      });
    },
    async delete(identifier, before, ctx) {
      await writeAudited(db, async (tx) => {
        await tx.run(loadQuery('scorecards/delete-scorecard'), { identifier });
        return { result: null, events: auditChange(ctx, identifier, before, null) };
      });
      await deleteInBatches(loadQuery('scorecards/delete-scorecard-data'), { scorecard: identifier });
    },
  };
}
