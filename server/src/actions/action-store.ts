import type { ActionDefinition, WriteContext } from '@plexus/contract';
import { adminChange, writeAudited } from '../audit/audit.ts';
import { type Db, readRows, txRows } from '../db/driver.ts';
import { loadQuery } from '../db/query-loader.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import type { InvokerRegistry } from './invokers/index.ts';
import { mask, type SecretBox } from './secrets.ts';

/** An action as stored: secrets sealed (`v1:...`), never in clear. */
export type SealedAction = ActionDefinition;

interface ActionRow {
  identifier: string;
  definition: string;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
  applySet?: string | null;
}

/** Where a definition holds secrets: the invoker's secret fields and secret inputs' static defaults. */
export function secretPaths(def: ActionDefinition, invokers: InvokerRegistry): string[][] {
  const out: string[][] = [];
  const invoker = invokers[def.invoker?.type];
  for (const f of invoker?.secretFields ?? []) out.push(['invoker', f]);
  for (const [name, input] of Object.entries(def.inputs?.properties ?? {})) {
    if (input.format === 'secret' && typeof input.default === 'string')
      out.push(['inputs', 'properties', name, 'default']);
  }
  return out;
}

function getPath(o: unknown, path: string[]): unknown {
  let v = o;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[p];
  }
  return v;
}

function setPath(o: unknown, path: string[], value: unknown): void {
  let v = o as Record<string, unknown>;
  for (const p of path.slice(0, -1)) v = v[p] as Record<string, unknown>;
  v[path[path.length - 1]] = value;
}

const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/**
 * Stores action definitions as `(:_Action)` nodes, their secrets sealed with the secrets key.
 * Reads answer secrets masked; `reveal` opens them for an invocation.
 */
export interface ActionStore {
  list(blueprint?: string): Promise<SealedAction[]>;
  get(identifier: string): Promise<SealedAction | null>;
  /**
   * `def` in clear (validated); a secret sent as "********" keeps `previous`'s value. Each change
   * and its audit record (`action.created|updated|deleted`, secrets masked, by `ctx`) commit in
   * one transaction.
   */
  create(def: ActionDefinition, ctx: WriteContext): Promise<SealedAction>;
  replace(def: ActionDefinition, ctx: WriteContext, previous: SealedAction): Promise<SealedAction>;
  delete(previous: SealedAction, ctx: WriteContext): Promise<boolean>;
  /** The definition as the API shows it: secrets masked. */
  masked(def: SealedAction): ActionDefinition;
  /** The definition with its secrets in clear: for invokers only, never answered or logged. */
  reveal(def: SealedAction): ActionDefinition;
  /** The clear values of the definition's secrets (to redact them from logs). */
  secretValues(def: SealedAction): string[];
}

export function createActionStore(deps: {
  db: Db;
  box: SecretBox;
  invokers: () => InvokerRegistry;
}): ActionStore {
  const { db, box } = deps;
  const decode = (row: ActionRow): SealedAction => ({
    ...(JSON.parse(row.definition) as ActionDefinition),
    createdAt: row.createdAt,
    createdBy: row.createdBy,
    updatedAt: row.updatedAt,
    updatedBy: row.updatedBy,
    ...(row.applySet ? { applySet: row.applySet } : {}),
  });

  const seal = (def: ActionDefinition, previous: SealedAction | null): SealedAction => {
    const out = copy(def);
    for (const path of secretPaths(out, deps.invokers())) {
      const value = getPath(out, path);
      if (value === undefined || value === null) continue;
      if (value === mask) {
        const kept =
          previous && previous.invoker?.type === out.invoker.type ? getPath(previous, path) : undefined;
        if (typeof kept !== 'string') {
          throw new ValidationError('the action is not valid', [
            {
              path: `/${path.join('/')}`,
              message: `"${mask}" keeps the stored secret, but none is stored here; send the secret itself`,
            },
          ]);
        }
        setPath(out, path, kept);
      } else setPath(out, path, box.encrypt(String(value)));
    }
    return out;
  };

  const row = (def: SealedAction, actor: string, now: string) => {
    const { createdAt, createdBy, updatedAt, updatedBy, applySet, ...rest } = def;
    return {
      applySet: applySet ?? null,
      identifier: def.identifier,
      blueprint: def.blueprint ?? null,
      operation: def.operation,
      title: def.title,
      definition: JSON.stringify(rest),
      createdAt: now,
      createdBy: actor,
      updatedAt: now,
      updatedBy: actor,
    };
  };

  /** The audit record of a change to an action: snapshots with their secrets masked. */
  const audited = (ctx: WriteContext, before: SealedAction | null, after: SealedAction | null) =>
    adminChange('action', (after ?? before)!.identifier, ctx, before && store.masked(before), after && store.masked(after), {
      blueprint: (after ?? before)!.blueprint ?? null,
    });

  const store: ActionStore = {
    async list(blueprint) {
      const rows = await readRows<{ action: ActionRow }>(db, loadQuery('actions/list-actions'), {
        blueprint: blueprint ?? null,
      });
      return rows.map((r) => decode(r.action));
    },
    async get(identifier) {
      const [r] = await readRows<{ action: ActionRow }>(db, loadQuery('actions/get-action'), { identifier });
      return r ? decode(r.action) : null;
    },
    create(def, ctx) {
      const sealed = seal(def, null);
      return writeAudited(db, async (tx) => {
        const [r] = await txRows<{ action: ActionRow | null }>(tx, loadQuery('actions/create-action'), {
          action: row(sealed, ctx.actor, new Date().toISOString()),
        });
        if (!r?.action)
          throw new ConflictError(
            `action "${def.identifier}" already exists; PUT /api/v1/actions/${def.identifier} replaces it`,
            [{ path: '/identifier', message: 'already used' }],
          );
        const created = decode(r.action);
        return { result: created, events: audited(ctx, null, created) };
      });
    },
    replace(def, ctx, previous) {
      const sealed = seal(def, previous);
      return writeAudited(db, async (tx) => {
        const [r] = await txRows<{ action: ActionRow }>(tx, loadQuery('actions/replace-action'), {
          action: row(sealed, ctx.actor, new Date().toISOString()),
          createdAt: previous.createdAt ?? null,
          createdBy: previous.createdBy ?? null,
        });
        if (!r) throw new NotFoundError(`action "${def.identifier}" does not exist`);
        const after = decode(r.action);
        return { result: after, events: audited(ctx, previous, after) };
      });
    },
    delete(previous, ctx) {
      return writeAudited(db, async (tx) => {
        const [r] = await txRows<{ deleted: number }>(tx, loadQuery('actions/delete-action'), {
          identifier: previous.identifier,
        });
        const deleted = (r?.deleted ?? 0) > 0;
        return { result: deleted, events: deleted ? audited(ctx, previous, null) : [] };
      });
    },
    masked(def) {
      const out = copy(def);
      for (const path of secretPaths(out, deps.invokers()))
        if (getPath(out, path) !== undefined) setPath(out, path, mask);
      return out;
    },
    reveal(def) {
      const out = copy(def);
      for (const path of secretPaths(out, deps.invokers())) {
        const v = getPath(out, path);
        if (typeof v === 'string') setPath(out, path, box.decrypt(v));
      }
      return out;
    },
    secretValues(def) {
      const out: string[] = [];
      for (const path of secretPaths(def, deps.invokers())) {
        const v = getPath(def, path);
        if (typeof v === 'string') {
          try {
            out.push(box.decrypt(v));
          } catch {}
        }
      }
      return out;
    },
  };
  return store;
}
