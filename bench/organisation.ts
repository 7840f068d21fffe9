/**
 * The synthetic organisation of server/src/demo as benchmarks use it: generated once,
 * serialised before any clock starts (so a run measures the server, not the client), and
 * loaded through the REST API.
 */
import { countRelationships, type Entity, generateOrganisationBatches } from '../server/src/demo/index.ts';
import type { BenchClient } from './client.ts';
import type { BenchContext } from './harness.ts';

/** An organisation in request-sized batches. */
export interface Organisation {
  services: number;
  batches: Entity[][];
  entities: number;
  relationships: number;
}

/**
 * Generates the sdlc organisation for `services` services (seed 1) in batches of `batchSize`.
 * @example const org = makeOrganisation(25_000) // 100,211 entities, 305,669 relationships
 */
export function makeOrganisation(services: number, batchSize = 5000): Organisation {
  const batches = [...generateOrganisationBatches({ services, seed: 1 }, batchSize)];
  let entities = 0;
  let relationships = 0;
  for (const b of batches) {
    entities += b.length;
    relationships += countRelationships(b);
  }
  return { services, batches, entities, relationships };
}

/** Loads the sdlc pack and waits until the GraphQL schema for it is built (off the clock). */
export async function loadSdlcPack(
  api: BenchClient,
  plexus: Awaited<ReturnType<BenchContext['startPlexus']>>,
): Promise<void> {
  await api.post('/api/v1/packs/sdlc', {});
  // The rebuild runs on the server's event loop; a load timed while it runs would pay for it.
  await plexus.services.schemas.ready(plexus.services.models.version());
}

/**
 * Loads the sdlc organisation of `services` services through the API: the pack (schema rebuilt
 * off the clock), then the entities in bulk requests, logging progress under `label`.
 */
export async function loadOrganisation(
  ctx: BenchContext,
  api: BenchClient,
  plexus: Awaited<ReturnType<BenchContext['startPlexus']>>,
  services: number,
  label: string,
): Promise<Organisation> {
  const org = makeOrganisation(services);
  ctx.log(
    `${label}: loading an organisation of ${services.toLocaleString('en-US')} services (${org.entities.toLocaleString('en-US')} entities) through the API`,
  );
  await loadSdlcPack(api, plexus);
  const bodies = org.batches.map((entities) => JSON.stringify({ entities }));
  await postBulk(api, bodies, 'application/json', (sent, total) => {
    if (sent % 4 === 0 || sent === total) ctx.log(`${label}: ${sent}/${total} batches loaded`);
  });
  return org;
}

/**
 * Sends pre-serialised JSON bulk bodies one after the other; returns the summed counts.
 * `onBatch` gets the number of entities sent so far (progress).
 */
export async function postBulk(
  api: BenchClient,
  bodies: string[],
  contentType: 'application/json' | 'application/x-ndjson',
  onBatch?: (sent: number, total: number) => void,
): Promise<{ upserted: number; created: number; updated: number; unchanged: number }> {
  const sum = { upserted: 0, created: 0, updated: 0, unchanged: 0 };
  for (const [i, body] of bodies.entries()) {
    const r = (await api.send('POST', '/api/v1/entities/bulk', body, contentType)) as typeof sum;
    sum.upserted += r.upserted;
    sum.created += r.created;
    sum.updated += r.updated;
    sum.unchanged += r.unchanged;
    onBatch?.(i + 1, bodies.length);
  }
  return sum;
}

/**
 * Counts what the catalog holds, whoever wrote it (Plexus or the raw loader): nodes and
 * relationships outside Plexus's own system labels and types, which all start with `_`.
 */
export async function countCatalog(ctx: BenchContext): Promise<{ nodes: number; relationships: number }> {
  const one = async (q: string) => Number((await ctx.driver.executeQuery(q)).records[0].get('n'));
  return {
    nodes: await one("MATCH (n) WHERE NOT any(l IN labels(n) WHERE l STARTS WITH '_') RETURN count(n) AS n"),
    relationships: await one("MATCH ()-[r]->() WHERE NOT type(r) STARTS WITH '_' RETURN count(r) AS n"),
  };
}
