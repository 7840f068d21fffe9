/**
 * The `load` mix's database work without Plexus: for each kind of request, the hand-written
 * Cypher a developer would send for the same answer, through the raw driver (one driver, a
 * connection per client). Run with the same clients, weights and seed as the Plexus run, it gives
 * the ceiling of this machine for the mix, and the ratio that says what Plexus costs on top.
 * Labels and relationship types are fixed here (the load catalog's), never taken from input.
 */
import neo4j, { type Driver } from 'neo4j-driver';
import { labelOf } from '@plexus/contract';

/** The Bolt address and credentials of the database the Plexus run used. */
export interface RawTarget {
  uri: string;
  user: string;
  password: string;
  database?: string;
}

/** Opens the driver the raw clients share, sized like Plexus's pool. */
export function openRawDriver(target: RawTarget): Driver {
  return neo4j.driver(target.uri, neo4j.auth.basic(target.user, target.password), {
    maxConnectionPoolSize: 50,
    disableLosslessIntegers: true,
  });
}

/** A service as the bulk write sends it (the same shape as the Plexus request's entities). */
export interface RawService {
  identifier: string;
  title: string;
  properties: Record<string, unknown>;
  relations: { ownedBy: string; dependsOn: string[] };
}

/**
 * The hand-written queries, for the load catalog's `loadService`/`loadTeam` blueprints. Entities
 * are found by their key, the uniqueness constraint on (:Entity) (_blueprint, identifier): the
 * queries take `$service` and `$team`, the two blueprints' identifiers.
 */
export function rawQueries(service: string, team: string) {
  const S = labelOf(service);
  const T = labelOf(team);
  return {
    // An entity with its outgoing relationships (what GET .../entities/{id} answers).
    entityRead: `MATCH (n:Entity {_blueprint: $service, identifier: $id}) RETURN properties(n) AS props, [(n)-[r]->(t) | [type(r), t.identifier]] AS rels`,
    // Full-text search over identifier and title, best first.
    search: `CALL db.index.fulltext.queryNodes('plexus_entity_search', $q) YIELD node, score
             RETURN node {.identifier, .title} AS entity, score ORDER BY score DESC LIMIT 20`,
    // Upstream impact to depth 3: what the service depends on, nearest first.
    impact: `MATCH (root:Entity {_blueprint: $service, identifier: $id})
             MATCH p = ANY SHORTEST (root)-[:DEPENDS_ON]->{1,3}(n)
             WITH n, length(p) AS distance ORDER BY distance LIMIT 200
             RETURN collect({identifier: n.identifier, title: n.title, distance: distance}) AS nodes`,
    // The GraphQL page: filter, order and limit, then owner and dependencies per row.
    list: `MATCH (n:${S}) WHERE n.tier = $tier
           WITH n ORDER BY n.identifier ASC LIMIT 20
           RETURN n.identifier AS identifier, n.title AS title, n.tier AS tier,
                  [(n)-[:OWNED_BY]->(t:${T}) | {identifier: t.identifier, title: t.title}] AS ownedBy,
                  [(n)-[:DEPENDS_ON]->(d:${S}) | {identifier: d.identifier}] AS dependsOn`,
    // An upsert of a batch: properties set, relations replaced by the batch's.
    bulk: `UNWIND $rows AS row
           MERGE (n:Entity {_blueprint: $service, identifier: row.identifier})
           ON CREATE SET n:${S}
           SET n += row.properties, n.title = row.title
           WITH n, row
           CALL (n, row) {
             OPTIONAL MATCH (n)-[old:OWNED_BY|DEPENDS_ON]->()
             DELETE old
           }
           WITH n, row
           CALL (n, row) {
             MATCH (t:Entity {_blueprint: $team, identifier: row.relations.ownedBy})
             MERGE (n)-[:OWNED_BY]->(t)
           }
           WITH n, row
           CALL (n, row) {
             UNWIND row.relations.dependsOn AS dep
             MATCH (d:Entity {_blueprint: $service, identifier: dep})
             MERGE (n)-[:DEPENDS_ON]->(d)
           }`,
  };
}
