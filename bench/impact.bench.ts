import { type BenchClient, createClient } from './client.ts';
import type { Benchmark, BenchContext } from './harness.ts';
import { formatNumber, percentiles } from './harness.ts';
import { loadOrganisation } from './organisation.ts';

/**
 * Issue 17: impact to people (dependency walk to depth 4, then owners, their members and
 * on-call) and an aggregation ("teams by number of services depending on a library") on the
 * generated organisation, each beside the same question written by hand in Cypher and run
 * through the raw driver in the same process.
 */
const services = Number(process.env.BENCH_SERVICES ?? 25_000);
const samples = Number(process.env.BENCH_SAMPLES ?? 200);
const warmup = Number(process.env.BENCH_WARMUP ?? 50);

async function ensureOrganisation(ctx: BenchContext, api: BenchClient, plexus: Awaited<ReturnType<BenchContext['startPlexus']>>): Promise<void> {
  const [row] = (await ctx.driver.executeQuery('MATCH (s:Service) RETURN count(s) AS n')).records.map((r) => r.toObject());
  // The on-call relation came with issue 17: an organisation loaded before it has none.
  const [onCall] = (await ctx.driver.executeQuery('MATCH ()-[r:ON_CALL_FOR]->() RETURN count(r) AS n')).records.map((r) => r.toObject());
  if (Number(row.n) >= services && Number(onCall.n) > 0) return;
  await loadOrganisation(ctx, api, plexus, services, 'impact');
}

async function timeEach(n: number, run: (i: number) => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await run(i);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await run(i);
    out.push(performance.now() - t);
  }
  return out;
}

/** The walk and people of the REST answer, by hand: dependants within 4 hops, owners, members, on-call. */
const handImpact = `
MATCH (root:Entity {_blueprint: 'library', identifier: $id})
MATCH p = ANY SHORTEST (root)<-[r WHERE type(r) IN ['DEPENDS_ON', 'DEPENDS_ON_RUNTIME', 'DEPENDS_ON_STORAGE']]-{1,4}(n:Entity)
WITH n, length(p) AS distance ORDER BY distance LIMIT 5001
WITH collect({n: n, distance: distance, owners: [(n)-[:OWNED_BY]->(t) | t]}) AS rows
CALL (rows) {
  UNWIND rows AS row UNWIND row.owners AS t WITH DISTINCT t
  RETURN collect({team: t.identifier,
                  members: [(t)<-[:MEMBER_OF]-(p) | p {.identifier, .title}],
                  onCall: [(t)<-[:ON_CALL_FOR]-(p) | p {.identifier, .title}]}) AS teams
}
RETURN [row IN rows | {identifier: row.n.identifier, blueprint: row.n._blueprint, title: row.n.title, distance: row.distance,
                       owners: [o IN row.owners | o.identifier]}] AS nodes, teams`;

/** Teams by number of services depending (within 4 hops) on the library, by hand. */
const handTeams = `
MATCH (root:Entity {_blueprint: 'library', identifier: $id})
MATCH p = ANY SHORTEST (root)<-[r WHERE type(r) IN ['DEPENDS_ON', 'DEPENDS_ON_RUNTIME', 'DEPENDS_ON_STORAGE']]-{1,4}(n:Service)
WITH DISTINCT n
OPTIONAL MATCH (n)-[:OWNED_BY]->(t:Team)
RETURN t.identifier AS key, t.title AS title, count(DISTINCT n) AS count ORDER BY count DESC, key LIMIT 10`;

const bench: Benchmark = {
  name: 'impact',
  title: 'Impact to people and aggregations (issue 17)',
  async run(ctx) {
    const plexus = await ctx.startPlexus();
    const api = createClient(plexus.url, plexus.token);
    try {
      await ensureOrganisation(ctx, api, plexus);
      const raw = (q: string, p: Record<string, unknown>) => ctx.driver.executeQuery(q, p);
      // Core Kafka and the nine other libraries with the most direct dependants.
      const libraries = (
        await raw('MATCH (l:Library)<-[:DEPENDS_ON]-() WITH l, count(*) AS n ORDER BY n DESC, l.identifier LIMIT 10 RETURN l.identifier AS id', {})
      ).records.map((r) => r.get('id') as string);
      if (!libraries.includes('core-kafka')) libraries[0] = 'core-kafka';
      const [size] = (await raw('MATCH (n:Entity) WITH count(n) AS entities MATCH ()-[r]->() RETURN entities, count(r) AS relationships', {})).records.map((r) =>
        r.toObject(),
      );
      const rows: (string | number)[][] = [];
      const add = (name: string, plexusMs: number[], hand: number[]) => {
        const a = percentiles(plexusMs);
        const h = percentiles(hand);
        rows.push([name, a.p50.toFixed(1), a.p95.toFixed(1), h.p50.toFixed(1), h.p95.toFixed(1), (a.p95 / h.p95).toFixed(2)]);
      };

      ctx.log('impact: people of a blast radius');
      const sizes: { nodes: number; teams: number; onCall: number }[] = [];
      const impactApi = await timeEach(samples, async (i) => {
        const r = (await api.send(
          'GET',
          `/api/v1/blueprints/library/entities/${encodeURIComponent(libraries[i % libraries.length])}/impact?depth=4&include=owners,members,oncall`,
        )) as { nodes: unknown[]; summary: { teams: unknown[]; onCall: unknown[] } };
        sizes.push({ nodes: r.nodes.length, teams: r.summary.teams.length, onCall: r.summary.onCall.length });
      });
      const impactHand = await timeEach(samples, (i) => raw(handImpact, { id: libraries[i % libraries.length] }));
      add('impact of a library, depth 4, include=owners,members,oncall (REST)', impactApi, impactHand);

      ctx.log('impact: teams by number of dependent services');
      const aggregateApi = await timeEach(samples, (i) =>
        api.post('/api/v1/search/aggregate', {
          impact: { blueprint: 'library', identifier: libraries[i % libraries.length], depth: 4 },
          blueprint: 'service',
          groupBy: 'relation:ownedBy',
          limit: 10,
        }),
      );
      const aggregateHand = await timeEach(samples, (i) => raw(handTeams, { id: libraries[i % libraries.length] }));
      add('teams by number of services depending on a library within 4 hops (REST aggregate)', aggregateApi, aggregateHand);

      ctx.log('impact: services by tier, whole catalog');
      const tiersApi = await timeEach(samples, () => api.post('/api/v1/search/aggregate', { blueprint: 'service', groupBy: 'property:tier', metrics: ['count'] }));
      const tiersHand = await timeEach(samples, () => raw('MATCH (n:Service) RETURN n.tier AS key, count(n) AS count ORDER BY count DESC, key LIMIT 50', {}));
      add('services by tier, all services (REST aggregate)', tiersApi, tiersHand);

      const median = (k: 'nodes' | 'teams' | 'onCall') => formatNumber(percentiles(sizes.map((s) => s[k])).p50);
      return {
        title: bench.title,
        table: { columns: ['question', 'Plexus p50 ms', 'Plexus p95 ms', 'hand Cypher p50 ms', 'hand Cypher p95 ms', 'p95 ratio'], rows },
        notes: [
          `${samples} sequential requests per question after ${warmup} warm-up requests; Plexus over HTTP on 127.0.0.1 (bench/client.ts), hand-written Cypher through the raw driver in the same process.`,
          `Graph: ${formatNumber(Number(size.entities))} entities, ${formatNumber(Number(size.relationships))} relationships (the sdlc organisation of ${formatNumber(services)} services, loaded through the API).`,
          `Roots: core-kafka and the libraries with the most direct dependants (${libraries.length}), in turn. An impact answer holds ${median('nodes')} entities, ${median('teams')} teams and ${median('onCall')} on-call people at the median. Plexus runs two queries (the walk, cypher/impact/impact.cypher, and the people, cypher/impact/people.cypher) plus paths and the summary in TypeScript; the hand-written query does the walk and people in one, without paths, summary, read-permission checks or JSON.`,
          'The aggregation over an impact is one query: the impact walk (cypher/impact/walk.cypher, with read-permission checks) continued by the grouping (server/src/search/aggregate.ts).',
        ],
      };
    } finally {
      api.close();
      await plexus.close();
    }
  },
};

export default bench;
