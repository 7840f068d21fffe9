import type { Catalog } from '../catalog/catalog.ts';
import { type Db, readRows } from '../db/driver.ts';
import type { Logger } from '../log.ts';
import type { BlueprintStore } from '../model/blueprint-store.ts';
import { mergePackBlueprints, readPack } from '../model/packs.ts';
import { libraryRule, readRuleLibrary, type ScorecardService } from '../scorecards/index.ts';
import { generateDemoBatches } from './demo-organisation.ts';

/**
 * Loads the demo organisation through the normal write path when the catalog is empty: the sdlc
 * pack, a generated organisation of `services` services with their teams, resources, incidents
 * and vulnerabilities with the Order example woven into it (one model: see `demoEntities`), and
 * the "production readiness" scorecard over its services (rules from cypher/rules).
 * Returns the number of entities written, or 0 when the catalog already had entities.
 */
export async function loadDemo(
  deps: { db: Db; models: BlueprintStore; catalog: Catalog; logger: Logger; scorecards?: ScorecardService },
  options: { services?: number } = {},
): Promise<number> {
  const { db, logger } = deps;
  const [row] = await readRows<{ any: boolean }>(db, 'MATCH (n:Entity) RETURN count(n) > 0 AS any');
  if (row.any) return 0;
  const total = await writeDemo(deps, options);
  logger.info('demo organisation loaded', { entities: total });
  return total;
}

/**
 * Writes the demo (the sdlc pack, the generated organisation of `services` services with the Order
 * example in it, the production readiness scorecard unless it exists) through the normal write
 * path, whatever the catalog holds already: tests seed a shared database with it. The pack is
 * merged into the stored model as `POST /api/v1/packs/sdlc` does, so a catalog that also holds the
 * backstage pack keeps it. Returns the entities written.
 */
export async function writeDemo(
  deps: { models: BlueprintStore; catalog: Catalog; scorecards?: ScorecardService },
  options: { services?: number } = {},
): Promise<number> {
  const { models, catalog } = deps;
  const ctx = { actor: 'demo', source: 'demo' };
  await models.refresh();
  await models.save(mergePackBlueprints(readPack('sdlc'), models.current()), { ctx, mode: 'upsert' });
  let total = 0;
  for (const batch of generateDemoBatches({ services: options.services ?? 300, seed: 7 }, 2000)) {
    total += (await catalog.upsertEntities(batch, ctx)).upserted;
  }
  if (deps.scorecards) {
    const card = productionReadiness();
    const exists = (await deps.scorecards.list()).some((sc) => sc.identifier === card.identifier);
    if (!exists) await deps.scorecards.save(card, { actor: 'demo', mode: 'create', ctx });
  }
  return total;
}

/** The demo's scorecard: sdlc services, rules from the library in cypher/rules plus two simple ones. */
export function productionReadiness(): Record<string, unknown> {
  const library = readRuleLibrary();
  return {
    identifier: 'production-readiness',
    title: 'Production readiness',
    description:
      'What a service needs before it carries production traffic, from an owner up to recent deployments.',
    blueprint: 'service',
    filter: { rules: [{ property: 'lifecycle', operator: '!=', value: 'deprecated' }] },
    levels: ['Basic', 'Bronze', 'Silver', 'Gold'],
    rules: [
      libraryRule(library, 'has-owner'),
      {
        identifier: 'has-repository',
        title: 'Has a repository link',
        level: 'Bronze',
        property: 'repositoryUrl',
        operator: 'isNotEmpty',
      },
      libraryRule(library, 'has-on-call'),
      libraryRule(library, 'has-runbook'),
      libraryRule(library, 'no-critical-vulnerabilities'),
      libraryRule(library, 'has-passing-pipeline'),
      libraryRule(library, 'deployed-recently'),
      libraryRule(library, 'no-deprecated-dependencies'),
      libraryRule(library, 'no-open-major-incidents'),
      {
        identifier: 'has-slo',
        title: 'Has an availability SLO',
        level: 'Gold',
        property: 'sloTarget',
        operator: 'isNotEmpty',
        weight: 2,
      },
    ],
  };
}
