import type {
  Contribution,
  LedgerItem,
  RemoveOutcome,
  SyncStore,
  SyncWriteContext,
  WriteOutcome,
} from '@plexus/connector-sdk';
import { type StoredEntity, targetsOf } from '@plexus/contract';
import type { Catalog } from '../catalog/catalog.ts';
import type { TargetRef } from '../catalog/entity-codec.ts';
import { type Db, readRows, writeRows } from '../db/driver.ts';
import { loadQuery } from '../db/query-loader.ts';
import { ValidationError } from '../errors.ts';
import type { BlueprintStore } from '../model/blueprint-store.ts';

interface OtherPart {
  properties: Set<string>;
  relations: Set<string>;
}

const keyOf = (r: { blueprint: string; identifier: string }) => `${r.blueprint}:${r.identifier}`;
const toList = (v: unknown): string[] =>
  v === null || v === undefined ? [] : Array.isArray(v) ? (v as string[]) : [v as string];

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The sync engine's database side, in-process: contributions are written through the catalog's
 * `upsertEntities` (validation, hash skip, provenance, audit, change events) and remembered in a
 * per-source ledger of `(:_SourceItem)` nodes.
 *
 * An entity only this source wrote gets exactly what the source maps (replace). An entity that
 * another source or a person also wrote is merged: its current content, minus what this source
 * contributed before and no longer does (unless another source's ledger claims it too), plus
 * what it contributes now.
 */
export function createCatalogSyncStore(deps: {
  db: Db;
  catalog: Catalog;
  models: BlueprintStore;
  batchSize?: number;
}): SyncStore {
  const { db, catalog, models } = deps;
  const batchSize = deps.batchSize ?? 5000;

  /** Relation values in the API's form for comparison: `id` for one-target relations, `blueprint:id` otherwise. */
  function normaliseTarget(blueprint: string, relation: string, value: string): string {
    const def = models.current().get(blueprint)?.relations?.[relation];
    if (!def) return value;
    const targets = targetsOf(def);
    if (targets.length === 1 && value.startsWith(`${targets[0]}:`)) return value.slice(targets[0].length + 1);
    return value;
  }

  async function otherParts(source: string, keys: string[]): Promise<Map<string, OtherPart>> {
    const out = new Map<string, OtherPart>();
    for (const chunk of chunks(keys, batchSize)) {
      const rows = await readRows<{ key: string; properties: string[]; relations: string[] }>(
        db,
        loadQuery('sources/load-other-ledgers'),
        { keys: chunk, source },
      );
      for (const r of rows) {
        const part = out.get(r.key) ?? { properties: new Set(), relations: new Set() };
        for (const p of r.properties ?? []) part.properties.add(p);
        for (const x of r.relations ?? []) part.relations.add(x);
        out.set(r.key, part);
      }
    }
    return out;
  }

  /** The full entity to write: `current` − (previous − others) + next. */
  function merge(
    current: StoredEntity,
    previous: LedgerItem | undefined,
    next: Contribution['entity'] | null,
    others: OtherPart | undefined,
  ): Record<string, unknown> {
    const bp = current.blueprint;
    const mine = new Set(previous?.properties ?? []);
    const kept = others?.properties ?? new Set<string>();
    const properties: Record<string, unknown> = { ...current.properties };
    for (const p of mine)
      if (p !== 'title' && !kept.has(p) && !(next && p in next.properties)) delete properties[p];
    Object.assign(properties, next?.properties ?? {});
    let title = current.title ?? null;
    if (next?.title !== undefined && next.title !== null) title = next.title;
    else if (mine.has('title') && !kept.has('title')) title = null;
    const relations: Record<string, string | string[] | null> = {};
    const prevRels = new Set(
      (previous?.relations ?? []).map((x) => {
        const i = x.indexOf('|');
        return `${x.slice(0, i)}|${normaliseTarget(bp, x.slice(0, i), x.slice(i + 1))}`;
      }),
    );
    const otherRels = new Set(
      [...(others?.relations ?? [])].map((x) => {
        const i = x.indexOf('|');
        return `${x.slice(0, i)}|${normaliseTarget(bp, x.slice(0, i), x.slice(i + 1))}`;
      }),
    );
    for (const [name, value] of Object.entries(current.relations)) {
      const many = Array.isArray(value) || models.current().get(bp)?.relations?.[name]?.many === true;
      const incoming =
        next && name in next.relations
          ? toList(next.relations[name]).map((v) => normaliseTarget(bp, name, v))
          : [];
      const remaining = toList(value).filter(
        (t) => !prevRels.has(`${name}|${t}`) || otherRels.has(`${name}|${t}`) || incoming.includes(t),
      );
      if (many) relations[name] = [...new Set([...remaining, ...incoming])];
      else relations[name] = incoming[0] ?? remaining[0] ?? null;
    }
    return { blueprint: bp, identifier: current.identifier, title, properties, relations };
  }

  async function currentEntities(refs: TargetRef[]): Promise<Map<string, StoredEntity>> {
    const byBlueprint = new Map<string, string[]>();
    for (const r of refs)
      byBlueprint.set(r.blueprint, [...(byBlueprint.get(r.blueprint) ?? []), r.identifier]);
    const out = new Map<string, StoredEntity>();
    for (const [blueprint, ids] of byBlueprint) {
      for (const e of await catalog.getEntities(blueprint, ids)) out.set(keyOf(e), e);
    }
    return out;
  }

  /**
   * Upserts records; a record the catalog refuses is set aside (with its message) and the rest
   * are written, so one bad record never blocks a batch.
   */
  async function upsertTolerant(
    records: { key: string; record: Record<string, unknown> }[],
    ctx: SyncWriteContext,
  ) {
    let todo = records;
    const rejected: WriteOutcome['rejected'] = [];
    for (;;) {
      if (todo.length === 0)
        return { created: 0, updated: 0, unchanged: 0, rejected, written: [] as string[] };
      try {
        const res = await catalog.upsertEntities(
          todo.map((t) => t.record),
          { actor: ctx.actor, source: ctx.source, runId: ctx.runId },
        );
        return {
          created: res.created,
          updated: res.updated,
          unchanged: res.unchanged,
          rejected,
          written: todo.map((t) => t.key),
        };
      } catch (err) {
        if (
          !(err instanceof ValidationError) ||
          err.details.length === 0 ||
          err.details.some((d) => d.index === undefined)
        )
          throw err;
        const bad = new Map<number, string[]>();
        for (const d of err.details)
          bad.set(d.index!, [...(bad.get(d.index!) ?? []), d.path ? `${d.path}: ${d.message}` : d.message]);
        for (const [i, messages] of bad) rejected.push({ key: todo[i].key, message: messages.join('; ') });
        todo = todo.filter((_, i) => !bad.has(i));
      }
    }
  }

  return {
    async loadLedger(source, keys) {
      const rows = keys
        ? (
            await Promise.all(
              chunks(keys, batchSize).map((k) =>
                readRows<LedgerItem>(db, loadQuery('sources/load-ledger-keys'), { source, keys: k }),
              ),
            )
          ).flat()
        : await readRows<LedgerItem>(db, loadQuery('sources/load-ledger'), { source });
      return new Map(
        rows.map((r) => [keyOf(r), { ...r, properties: r.properties ?? [], relations: r.relations ?? [] }]),
      );
    },

    async writeContributions(items, ctx): Promise<WriteOutcome> {
      const refs = items.map((c) => ({ blueprint: c.entity.blueprint, identifier: c.entity.identifier }));
      // Unknown blueprints would fail the provenance read's model check; the catalog reports them per record.
      const known = refs.filter((r) => models.current().has(r.blueprint));
      const sources = await catalog.readSources(known);
      const shared = items.filter((c) => (sources.get(c.key) ?? []).some((s) => s !== ctx.source));
      const current =
        shared.length > 0
          ? await currentEntities(shared.map((c) => c.entity))
          : new Map<string, StoredEntity>();
      const others =
        shared.length > 0
          ? await otherParts(
              ctx.source,
              shared.map((c) => c.key),
            )
          : new Map<string, OtherPart>();
      const records = items.map((c) => {
        const cur = current.get(c.key);
        const record = cur ? merge(cur, c.previous, c.entity, others.get(c.key)) : { ...c.entity };
        return { key: c.key, record };
      });
      const out = await upsertTolerant(records, ctx);
      const byKey = new Map(items.map((c) => [c.key, c]));
      const unstamped = out.written
        .filter((k) => sources.has(k) && !sources.get(k)!.includes(ctx.source))
        .map((k) => ({
          blueprint: byKey.get(k)!.entity.blueprint,
          identifier: byKey.get(k)!.entity.identifier,
        }));
      if (unstamped.length > 0)
        await catalog.addSource(unstamped, { actor: ctx.actor, source: ctx.source, runId: ctx.runId });
      const changed = out.written.map((k) => byKey.get(k)!).filter((c) => c.previous?.hash !== c.hash);
      for (const chunk of chunks(changed, batchSize)) {
        await writeRows(db, loadQuery('sources/save-ledger'), {
          source: ctx.source,
          runId: ctx.runId,
          items: chunk.map((c) => {
            const relations: string[] = [];
            for (const [name, v] of Object.entries(c.entity.relations))
              for (const t of toList(v)) relations.push(`${name}|${t}`);
            const properties = Object.keys(c.entity.properties);
            if (c.entity.title !== undefined && c.entity.title !== null) properties.push('title');
            return {
              key: c.key,
              blueprint: c.entity.blueprint,
              identifier: c.entity.identifier,
              hash: c.hash,
              properties: properties.sort(),
              relations: relations.sort(),
            };
          }),
        });
      }
      return { created: out.created, updated: out.updated, unchanged: out.unchanged, rejected: out.rejected };
    },

    async removeContributions(items, ctx): Promise<RemoveOutcome> {
      const known = items.filter((i) => models.current().has(i.blueprint));
      const sources = await catalog.readSources(
        known.map((i) => ({ blueprint: i.blueprint, identifier: i.identifier })),
      );
      const exclusive: TargetRef[] = [];
      const shared: LedgerItem[] = [];
      for (const item of known) {
        const s = sources.get(keyOf(item));
        // Not in the graph any more, or this source never actually wrote it: nothing to take back.
        if (!s || !s.includes(ctx.source)) continue;
        if (s.every((x) => x === ctx.source))
          exclusive.push({ blueprint: item.blueprint, identifier: item.identifier });
        else shared.push(item);
      }
      let deleted = 0;
      if (exclusive.length > 0)
        deleted = (
          await catalog.deleteEntities(exclusive, { actor: ctx.actor, source: ctx.source, runId: ctx.runId })
        ).deleted;
      let detached = 0;
      if (shared.length > 0) {
        const current = await currentEntities(shared);
        const others = await otherParts(ctx.source, shared.map(keyOf));
        const records = shared
          .filter((i) => current.has(keyOf(i)))
          .map((i) => ({
            key: keyOf(i),
            record: merge(current.get(keyOf(i))!, i, null, others.get(keyOf(i))),
          }));
        // An entity that would be invalid without this source's part (a required property) keeps
        // its content; it only stops naming this source.
        await upsertTolerant(records, ctx);
        detached = await catalog.forgetSource(shared, ctx.source);
      }
      for (const chunk of chunks(items.map(keyOf), batchSize)) {
        await writeRows(db, loadQuery('sources/delete-ledger'), { source: ctx.source, keys: chunk });
      }
      return { deleted, detached };
    },
  };
}
