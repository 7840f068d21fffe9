import neo4j from 'neo4j-driver';
import { toLuceneQuery } from '../server/src/search/fulltext.ts';
import { type BenchClient, createClient } from './client.ts';
import type { Benchmark, BenchContext } from './harness.ts';
import { formatNumber, percentiles } from './harness.ts';
import { loadOrganisation } from './organisation.ts';
import { createViewer, withReadGrant } from './viewers.ts';

/**
 * Issue 5: impact to depth 5, full-text and structured search on a 100k-entity /
 * ~300k-relationship organisation, each beside the same question written by hand in Cypher
 * and run through the raw driver in the same process.
 */
const services = Number(process.env.BENCH_SERVICES ?? 25_000);
const samples = Number(process.env.BENCH_SAMPLES ?? 500);
/** Requests before the clock starts: plans cached, pages hot, and the server's code optimised by V8 (a few hundred requests). */
const warmup = Number(process.env.BENCH_WARMUP ?? 200);

async function ensureOrganisation(
  ctx: BenchContext,
  api: BenchClient,
  plexus: Awaited<ReturnType<BenchContext['startPlexus']>>,
): Promise<void> {
  const [row] = (await ctx.driver.executeQuery('MATCH (s:Service) RETURN count(s) AS n')).records.map((r) => r.toObject());
  if (Number(row.n) >= services) return;
  await loadOrganisation(ctx, api, plexus, services, 'search');
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

const bench: Benchmark = {
  name: 'search',
  title: 'Search and impact on a 100k-entity graph (issue 5)',
  async run(ctx) {
    const plexus = await ctx.startPlexus();
    // Plexus over the benchmarks' HTTP client (one keep-alive connection), as the admin and, below, as restricted viewers.
    const api = createClient(plexus.url, plexus.token);
    try {
      await ensureOrganisation(ctx, api, plexus);
      const get = (path: string) => api.send('GET', path);
      const post = (path: string, body: unknown) => api.post(path, body);
      const raw = (q: string, p: Record<string, unknown>) => ctx.driver.executeQuery(q, p);
      // Databases with dependents, to make the blast radius real.
      const dbs = (
        await raw(
          "MATCH (c:CloudResource {type: 'database'})<-[:DEPENDS_ON_STORAGE]-() WITH c, count(*) AS n ORDER BY n DESC LIMIT 50 RETURN c.identifier AS id",
          {},
        )
      ).records.map((r) => r.get('id') as string);
      const rels = ['dependsOn', 'dependsOnRuntime', 'dependsOnStorage'];
      const types = ['DEPENDS_ON', 'DEPENDS_ON_RUNTIME', 'DEPENDS_ON_STORAGE'];
      const [size] = (
        await raw('MATCH (n:Entity) WITH count(n) AS entities MATCH ()-[r]->() RETURN entities, count(r) AS relationships', {})
      ).records.map((r) => r.toObject());
      const rows: (string | number)[][] = [];
      const add = (name: string, api: number[], hand: number[]) => {
        const a = percentiles(api);
        const h = percentiles(hand);
        rows.push([name, a.p50.toFixed(1), a.p95.toFixed(1), h.p50.toFixed(1), h.p95.toFixed(1), (a.p95 / h.p95).toFixed(2)]);
      };

      ctx.log('search: impact depth 5');
      const impactApi = await timeEach(samples, (i) =>
        get(`/api/v1/blueprints/cloudResource/entities/${encodeURIComponent(dbs[i % dbs.length])}/impact?direction=downstream&depth=5&relations=${rels.join(',')}`),
      );
      // The same answer as the API's: reached entities with distance and title, and the edges
      // among them (each node's outgoing relationships of the chosen types).
      const impactSizes: number[] = [];
      const impactRaw = await timeEach(samples, async (i) => {
        const res = await raw(
          `MATCH (root:Entity {_blueprint: 'cloudResource', identifier: $id})
           MATCH p = ANY SHORTEST (root)<-[r WHERE type(r) IN $types]-{1,5}(n:Entity)
           WITH root, n, length(p) AS distance ORDER BY distance LIMIT 5001
           RETURN root {.identifier, .title, blueprint: root._blueprint} AS root,
                  collect({identifier: n.identifier, blueprint: n._blueprint, title: n.title, distance: distance,
                           out: [(n)-[r]->(m:Entity) WHERE type(r) IN $types | [type(r), m._blueprint, m.identifier]]}) AS nodes`,
          { id: dbs[i % dbs.length], types },
        );
        impactSizes.push((res.records[0]?.get('nodes') as unknown[] | undefined)?.length ?? 0);
      });
      add('impact, downstream, depth 5 (REST)', impactApi, impactRaw);

      // The same walk for viewers whose read scope is restricted: every step then carries the
      // visibility check (server/src/auth/read-scope-cypher.ts) that callers who may read everything skip.
      const scopedImpact = (blueprint: string, read: unknown, teams: string[]) =>
        withReadGrant(api, plexus, blueprint, read, async () => {
          const sizes: number[] = [];
          const viewer = await createViewer(api, plexus, `bench-reader-${blueprint}`, teams);
          try {
            const times = await timeEach(samples, async (i) => {
              const r = (await viewer.send(
                'GET',
                `/api/v1/blueprints/cloudResource/entities/${encodeURIComponent(dbs[i % dbs.length])}/impact?direction=downstream&depth=5&relations=${rels.join(',')}`,
              )) as { nodes: unknown[] };
              sizes.push(r.nodes.length);
            });
            return { times, sizes };
          } finally {
            viewer.close();
          }
        });
      ctx.log('search: impact depth 5 by restricted viewers');
      const noIncidents = await scopedImpact('incident', { roles: ['member'] }, []);
      add('impact as above, by a viewer who may not read incidents (REST; hand Cypher: the unrestricted query)', noIncidents.times, impactRaw);
      // The team owning most of the services next to those databases, so some answers keep a few.
      const ownerTeam = (
        await raw(
          `MATCH (c:CloudResource) WHERE c.identifier IN $dbs
           MATCH (c)<-[:DEPENDS_ON_STORAGE]-(s:Service)-[:OWNED_BY]->(t:Team)
           RETURN t.identifier AS team, count(*) AS n ORDER BY n DESC LIMIT 1`,
          { dbs },
        )
      ).records[0].get('team') as string;
      const ownedOnly = await scopedImpact('service', { roles: ['member'], owners: true }, [ownerTeam]);
      add('impact as above, by a viewer reading services only where their team owns them (REST; hand Cypher: the unrestricted query)', ownedOnly.times, impactRaw);

      ctx.log('search: full text');
      const words = ['payments', 'checkout', 'cart', 'search', 'billing', 'ledger', 'gateway', 'orders', 'inventory', 'catalog'];
      const ftApi = await timeEach(samples, (i) => get(`/api/v1/search?q=${words[i % words.length]}&limit=20`));
      const ftRaw = await timeEach(samples, (i) =>
        raw(
          "CALL db.index.fulltext.queryNodes('plexus_entity_search', $q) YIELD node, score RETURN node {.identifier, .title, blueprint: node._blueprint} AS entity, score ORDER BY score DESC, node.identifier LIMIT 20",
          { q: toLuceneQuery(words[i % words.length]) },
        ),
      );
      add('full-text search, 20 hits (REST)', ftApi, ftRaw);

      ctx.log('search: structured');
      const structured = (i: number) => ({
        blueprint: 'service',
        rules: [
          { property: 'tier', operator: '=', value: 1 + (i % 3) },
          { relation: 'affects', direction: 'incoming', blueprint: 'incident', rules: [{ property: 'status', operator: 'in', value: ['triggered', 'acknowledged'] }] },
        ],
        limit: 50,
      });
      const stApi = await timeEach(samples, (i) => post('/api/v1/search', structured(i)));
      const stRaw = await timeEach(samples, (i) =>
        raw(
          `MATCH (n:Service) WHERE n.tier = $tier AND EXISTS { MATCH (n)<-[:AFFECTS]-(m:Incident) WHERE m.status IN $statuses }
           WITH n ORDER BY n._blueprint, n.identifier LIMIT 51
           RETURN properties(n) AS props, [(n)-[r]->(t:Entity) | [type(r), t._blueprint, t.identifier]] AS rels`,
          { tier: neo4j.int(1 + (i % 3)), statuses: ['triggered', 'acknowledged'] },
        ),
      );
      add('structured search, services with open incidents by tier (REST)', stApi, stRaw);

      // The audit trail holds an event per entity loaded (100k): the entity page's history panel
      // and the audit page's first page must not read them all.
      ctx.log('search: audit trail');
      const svc = (await raw('MATCH (s:Service) RETURN s.identifier AS id ORDER BY id LIMIT 50', {})).records.map((r) => r.get('id') as string);
      const auditEvents = Number((await raw('MATCH (a:_AuditEvent) RETURN count(a) AS n', {})).records[0].get('n'));
      const historyApi = await timeEach(samples, (i) => get(`/api/v1/audit?entity=service:${encodeURIComponent(svc[i % svc.length])}&limit=25`));
      const historyRaw = await timeEach(samples, (i) =>
        // Hinted as Plexus's query is: left to itself the planner walks the (at) index for the order and filters (~46 ms here).
        raw(
          "MATCH (a:_AuditEvent {subject: $subject}) USING INDEX a:_AuditEvent(subject, at) WHERE a.at > '' RETURN a {.*} AS event ORDER BY a.subject DESC, a.at DESC, a.id DESC LIMIT 26",
          { subject: `service:${svc[i % svc.length]}` },
        ),
      );
      add("an entity's history: its 25 newest audit events (REST)", historyApi, historyRaw);
      const latestApi = await timeEach(samples, () => get('/api/v1/audit?limit=50'));
      const latestRaw = await timeEach(samples, () =>
        raw("MATCH (a:_AuditEvent) WHERE a.at > '' RETURN a {.*} AS event ORDER BY a.at DESC, a.id DESC LIMIT 51", {}),
      );
      add('audit trail: the 50 newest events (REST)', latestApi, latestRaw);
      return {
        title: bench.title,
        table: { columns: ['question', 'Plexus p50 ms', 'Plexus p95 ms', 'hand Cypher p50 ms', 'hand Cypher p95 ms', 'p95 ratio'], rows },
        notes: [
          `${samples} sequential requests per question after ${warmup} warm-up requests (with 20, the server's code is still being optimised by V8 and Plexus's p50 doubles); Plexus over HTTP on 127.0.0.1 (bench/client.ts: node:http, one keep-alive connection; JSON, auth, validation), hand-written Cypher through the raw driver in the same process.`,
          `Graph: ${formatNumber(Number(size.entities))} entities, ${formatNumber(Number(size.relationships))} relationships (the sdlc organisation of ${formatNumber(services)} services, seed 1, loaded through the API).`,
          `Impact: the 50 cloud resources of type database with the most dependents, in turn, downstream over ${rels.join(', ')} to depth 5; an answer holds ${formatNumber(percentiles(impactSizes).p50)} entities at the median, ${formatNumber(Math.max(...impactSizes))} at most, each with its outgoing edges. The hand-written query computes the same answer (ANY SHORTEST per entity, distance, title, edges) without the read-permission checks and the JSON response.`,
          `Restricted viewers: for each of these rows one blueprint's read grant is changed (restored after) and a viewer asks the same 50 questions; only entities they may read are walked through or returned, so every step checks the next entity against their read scope (server/src/auth/read-scope-cypher.ts), which callers who may read everything skip. "May not read incidents": the incident blueprint readable by members only; nothing on the walk is hidden, answers hold ${formatNumber(percentiles(noIncidents.sizes).p50)} entities at the median (as above) and the check is a test of the blueprint against a list. "Services only where their team owns them": the service blueprint readable by members and owners, the viewer in ${ownerTeam} (the team owning most services next to those databases); each service reached is checked for an owner relation to that team (a subquery per service), and answers hold ${formatNumber(percentiles(ownedOnly.sizes).p50)} entities at the median, ${formatNumber(Math.max(...ownedOnly.sizes))} at most.`,
          'Full text: the hand-written query sends the same Lucene query the API builds from the words (exact, prefix and, from four letters, one-edit fuzzy terms; server/src/search/fulltext.ts) and returns the same fields.',
          `Audit: ${formatNumber(auditEvents)} events (one per entity the load created, and the grant changes above). The history of 50 services in turn, and the newest page of the whole trail, each through its (subject, at) or (at) index (cypher/audit/list-events*.cypher); until 2026-11-29 every listing scanned and sorted all events: 268 ms p50 for one entity's history, 118 ms for the newest page, on this organisation. The hand-written queries return the same rows without the read-permission filter and JSON.`,
          'Targets (issue 5): impact depth 5 p95 < 50 ms, full-text p95 < 50 ms.',
        ],
      };
    } finally {
      api.close();
      await plexus.close();
    }
  },
};

export default bench;
