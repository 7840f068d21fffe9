import { randomUUID } from 'node:crypto';
import type { WriteContext } from '@plexus/contract';
import { adminChange, writeAudited } from '../audit/audit.ts';
import { type Db, readRows, txRows } from '../db/driver.ts';
import { loadQuery } from '../db/query-loader.ts';
import { ConflictError, type ErrorDetail, NotFoundError, ValidationError } from '../errors.ts';
import type { BlueprintStore } from '../model/blueprint-store.ts';

/**
 * A saved catalog view: which columns, filters, sort and page size a table of one blueprint
 * shows. The definition is the UI's business (stored as JSON, opaque to the server) so the
 * table can grow options without a server change.
 */
export interface SavedView {
  id: string;
  blueprint: string;
  name: string;
  definition: Record<string, unknown>;
  createdBy: string;
  createdAt: string;
  updatedBy?: string;
  updatedAt?: string;
}

/**
 * Stores saved views as `(:_View)` nodes, shared by everyone who can read the blueprint. Each
 * change is audited in its own transaction, with the view's blueprint (whoever may see the view
 * may see its history) and `ctx.actor` as the author or editor.
 */
export interface ViewStore {
  list(options?: { blueprint?: string }): Promise<SavedView[]>;
  get(id: string): Promise<SavedView>;
  create(input: unknown, ctx: WriteContext): Promise<SavedView>;
  update(id: string, input: unknown, ctx: WriteContext): Promise<SavedView>;
  delete(id: string, ctx: WriteContext): Promise<void>;
}

/** Largest definition kept, as JSON text: a view is a handful of columns and filters, not data. */
export const maxDefinitionBytes = 32_768;
const maxNameLength = 120;

type StoredView = Omit<SavedView, 'definition'> & { definition: string };

function decode(row: StoredView): SavedView {
  let definition: Record<string, unknown> = {};
  try {
    definition = JSON.parse(row.definition) as Record<string, unknown>;
  } catch {
    // A definition written by hand in the database is shown empty rather than breaking the list.
  }
  return { ...row, definition };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkName(value: unknown, out: ErrorDetail[]): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') {
    out.push({ path: '/name', message: 'name is required: a short label such as "Tier 1 services"' });
    return undefined;
  }
  const name = value.trim();
  if (name.length > maxNameLength)
    out.push({ path: '/name', message: `name must be at most ${maxNameLength} characters` });
  return name;
}

function checkDefinition(value: unknown, out: ErrorDetail[]): string | undefined {
  if (!isObject(value)) {
    out.push({
      path: '/definition',
      message: 'definition must be a JSON object, e.g. {"columns": ["title"], "filters": []}',
    });
    return undefined;
  }
  const text = JSON.stringify(value);
  if (Buffer.byteLength(text) > maxDefinitionBytes) {
    out.push({ path: '/definition', message: `definition is larger than ${maxDefinitionBytes} bytes` });
    return undefined;
  }
  return text;
}

/** The audit event of a view's change, under the view's blueprint. */
function viewChange(ctx: WriteContext, before: SavedView | null, after: SavedView | null) {
  const v = (after ?? before)!;
  return adminChange('view', v.id, ctx, before, after, { blueprint: v.blueprint });
}

/** Creates the saved-view store. Each change is one query and its audit record, in one transaction. */
export function createViewStore(deps: { db: Db; models: BlueprintStore }): ViewStore {
  const { db, models } = deps;
  const store: ViewStore = {
    async list(options = {}) {
      const rows = await readRows<{ view: StoredView }>(db, loadQuery('views/list-views'), {
        blueprint: options.blueprint ?? null,
      });
      return rows.map((r) => decode(r.view));
    },

    async get(id) {
      const [row] = await readRows<{ view: StoredView }>(db, loadQuery('views/get-view'), { id });
      if (!row) throw new NotFoundError(`view "${id}" does not exist; GET /api/v1/views lists them`);
      return decode(row.view);
    },

    async create(input, ctx) {
      const details: ErrorDetail[] = [];
      if (!isObject(input)) throw new ValidationError('the body must be {"blueprint", "name", "definition"}');
      const blueprint = input.blueprint;
      if (typeof blueprint !== 'string' || !models.current().has(blueprint)) {
        details.push({
          path: '/blueprint',
          message: `blueprint ${JSON.stringify(blueprint)} does not exist`,
        });
      }
      const name = checkName(input.name, details);
      const definition = checkDefinition(input.definition ?? {}, details);
      if (details.length > 0) throw new ValidationError('the view is not valid', details);
      const view = {
        id: randomUUID(),
        blueprint,
        name,
        definition,
        createdBy: ctx.actor,
        createdAt: new Date().toISOString(),
      };
      return writeAudited(db, async (tx) => {
        const [row] = await txRows<{ view: StoredView }>(tx, loadQuery('views/create-view'), { view });
        if (!row)
          throw new ConflictError(`a view named "${name}" already exists for blueprint "${blueprint}"`, [
            { path: '/name', message: 'name already used' },
          ]);
        const created = decode(row.view);
        return { result: created, events: viewChange(ctx, null, created) };
      });
    },

    async update(id, input, ctx) {
      if (!isObject(input)) throw new ValidationError('the body must be {"name"?, "definition"?}');
      await store.get(id);
      const details: ErrorDetail[] = [];
      const name = input.name === undefined ? null : checkName(input.name, details);
      const definition = input.definition === undefined ? null : checkDefinition(input.definition, details);
      if (input.blueprint !== undefined)
        details.push({
          path: '/blueprint',
          message: 'a view cannot move to another blueprint; create a new one',
        });
      if (details.length > 0) throw new ValidationError('the view is not valid', details);
      return writeAudited(db, async (tx) => {
        const [stored] = await txRows<{ view: StoredView }>(tx, loadQuery('views/get-view'), { id });
        if (!stored) throw new NotFoundError(`view "${id}" does not exist; GET /api/v1/views lists them`);
        const [row] = await txRows<{ view: StoredView }>(tx, loadQuery('views/update-view'), {
          id,
          name: name ?? null,
          definition: definition ?? null,
          now: new Date().toISOString(),
          actor: ctx.actor,
        });
        if (!row)
          throw new ConflictError(`another view of this blueprint is already named "${name}"`, [
            { path: '/name', message: 'name already used' },
          ]);
        const after = decode(row.view);
        return { result: after, events: viewChange(ctx, decode(stored.view), after) };
      });
    },

    async delete(id, ctx) {
      await writeAudited(db, async (tx) => {
        const [stored] = await txRows<{ view: StoredView }>(tx, loadQuery('views/get-view'), { id });
        const [row] = await txRows<{ deleted: number }>(tx, loadQuery('views/delete-view'), { id });
        if (!stored || !row || row.deleted === 0) throw new NotFoundError(`view "${id}" does not exist`);
        return { result: undefined, events: viewChange(ctx, decode(stored.view), null) };
      });
    },
  };
  return store;
}
