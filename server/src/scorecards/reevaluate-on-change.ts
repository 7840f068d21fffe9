/**
 * Re-evaluation on change: from each changed entity (and the entities its relations pointed to
 * before and after the change), the walk goes back up to `hops` relationships towards the
 * entities whose rules can see it, and re-scores the targets it meets. `hops` is the longest
 * reach of the scorecard's rules and filter as read from their patterns (rule-text.ts `reachOf`;
 * `defaultHops` when a pattern has no upper bound); only the relationship types they name are
 * walked, in the direction that leads back to `e` (`stepsOf`; both ways when that cannot be
 * read, and any type when a pattern names none). This over-approximates: it may re-score a few
 * entities whose outcome cannot have changed, never miss one the patterns can reach. A deleted
 * entity takes its incoming relationships with it, so nothing is left to walk from: a deletion
 * near a scorecard whose rules look across relations re-runs it in full. A rule that reads
 * entities not connected to `e` (e.g. "a team named x exists") is only caught up by the schedule
 * (scheduled-runs.ts).
 */
import type { ChangeEvent, EntityChangeEvent } from '@plexus/contract';
import type { EventBus } from '../catalog/events.ts';
import { type Db, readRows } from '../db/driver.ts';
import { cypherName, loadQuery } from '../db/query-loader.ts';
import type { Logger } from '../log.ts';
import type { BlueprintStore } from '../model/blueprint-store.ts';
import { relTypeOf, targetsOf } from '@plexus/contract';
import type { Model } from '@plexus/contract';
import type { ScorecardCompiler } from './evaluate.ts';
import type { EvaluationQueue, Seed } from './evaluation-queue.ts';
import type { ScorecardStore } from './scorecard-store.ts';
import type { Scorecard } from '@plexus/contract';

/**
 * Blueprints within `hops` relations of `start` in the model, either direction: relationships
 * exist only where the model has relations, so a change elsewhere cannot reach a rule's entity.
 */
function blueprintsInReach(model: Model, start: string, hops: number, types: string[] | null): Set<string> {
  const seen = new Set([start]);
  let frontier = [start];
  for (let i = 0; i < hops && frontier.length > 0; i++) {
    const next: string[] = [];
    for (const bp of model.values()) {
      for (const [name, def] of Object.entries(bp.relations ?? {})) {
        if (types && !types.includes(relTypeOf(name))) continue;
        const targets = targetsOf(def);
        const linked = frontier.includes(bp.identifier)
          ? targets
          : targets.some((t) => frontier.includes(t))
            ? [bp.identifier]
            : [];
        for (const t of linked) {
          if (!seen.has(t)) {
            seen.add(t);
            next.push(t);
          }
        }
      }
    }
    frontier = next;
  }
  return seen;
}

/** Entities an entity pointed at, before and after a change (relation values → refs). */
function neighbours(model: Model, e: EntityChangeEvent): Seed[] {
  const bp = model.get(e.blueprint);
  const out: Seed[] = [];
  for (const side of [e.before, e.after]) {
    if (!side) continue;
    for (const [name, value] of Object.entries(side.relations ?? {})) {
      const def = bp?.relations?.[name];
      const targets = def ? targetsOf(def) : [];
      for (const v of Array.isArray(value) ? value : value ? [value] : []) {
        const i = v.indexOf(':');
        if (targets.length > 1 && i > 0) out.push({ blueprint: v.slice(0, i), identifier: v.slice(i + 1) });
        else out.push({ blueprint: targets[0] ?? null, identifier: v });
      }
    }
  }
  return out;
}

/** Targets of `sc` within reach of the seeds: a breadth-first walk, one query per hop. */
export async function affectedTargets(
  deps: { db: Db; models: BlueprintStore; compiler: ScorecardCompiler },
  sc: Scorecard,
  seeds: Seed[],
): Promise<string[]> {
  const { db, models, compiler } = deps;
  const compiled = compiler.compiledOf(sc).compiled;
  if (!compiled || seeds.length === 0) return [];
  // Relationships exist only where the model has relations: "any" is every relation's type, both ways.
  const model = models.current();
  const all = [
    ...new Set([...model.values()].flatMap((bp) => Object.keys(bp.relations ?? {}).map(relTypeOf))),
  ];
  const steps = compiled.steps ?? { out: all, in: all };
  type Reached = { id: string; identifier: string; target: boolean };
  const names = { label: cypherName(compiled.label) };
  let frontier = await readRows<Reached>(db, loadQuery('scorecards/seed-nodes', names), { seeds });
  const seen = new Set(frontier.map((r) => r.id));
  const targets = new Set(frontier.filter((r) => r.target).map((r) => r.identifier));
  // One query per hop, breadth first, each node once: the walk never enumerates paths.
  for (let hop = 0; hop < compiled.hops && frontier.length > 0; hop++) {
    const next = await readRows<Reached>(db, loadQuery('scorecards/expand-frontier', names), {
      frontier: frontier.map((r) => r.id),
      out: steps.out,
      in: steps.in,
    });
    frontier = next.filter((r) => !seen.has(r.id));
    for (const r of frontier) {
      seen.add(r.id);
      if (r.target) targets.add(r.identifier);
    }
  }
  return [...targets];
}

/**
 * Listens to entity change events and queues, per scorecard, the changed targets and the seeds
 * to walk from (or a full run after a deletion in reach). Returns the unsubscribe function.
 */
export function reevaluateOnChange(deps: {
  events: EventBus;
  logger: Logger;
  models: BlueprintStore;
  store: ScorecardStore;
  compiler: ScorecardCompiler;
  queue: EvaluationQueue;
}): () => void {
  const { events, logger, models, store, compiler, queue } = deps;

  async function onChanges(evts: readonly ChangeEvent[]): Promise<void> {
    const changed = evts.filter((e): e is EntityChangeEvent => e.type.startsWith('entity.'));
    if (changed.length === 0 || queue.stopped()) return;
    const model = models.current();
    for (const sc of await store.list()) {
      const compiled = compiler.compiledOf(sc).compiled;
      if (!compiled) continue;
      const own = changed.filter((e) => e.blueprint === sc.blueprint).map((e) => e.identifier);
      if (compiled.hops === 0) {
        if (own.length > 0) queue.enqueue(sc.identifier, { ids: own });
        continue;
      }
      const reach = blueprintsInReach(model, sc.blueprint, compiled.hops, compiled.relationshipTypes);
      const near = changed.filter((e) => reach.has(e.blueprint));
      if (near.length === 0) continue;
      if (near.some((e) => e.type === 'entity.deleted')) {
        queue.enqueue(sc.identifier, { full: true });
        continue;
      }
      const seeds = near.flatMap((e) => [
        { blueprint: e.blueprint, identifier: e.identifier },
        ...neighbours(models.current(), e),
      ]);
      queue.enqueue(sc.identifier, { ids: own, seeds });
    }
  }

  return events.on((evts) => {
    const p = onChanges(evts).catch((err) => logger.error('scorecard change handling failed', { err }));
    queue.track(p);
    return p;
  });
}
