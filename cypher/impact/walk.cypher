// The impact walk, shared by impact.cypher and the aggregation over a blast radius
// (server/src/search/aggregate.ts): rows of (root, n, distance, direction), nearest first, at most
// $limit. Downstream follows relationships pointing at the root (what depends on it, its blast
// radius), upstream follows the root's own relationships (what it depends on).
// Only entities the caller may read are walked through or returned ($$visibleRoot$$, $$visibleB$$: the
// read scope of server/src/auth/read-scope-cypher.ts): a hidden entity neither shows nor links two
// visible ones. $$depth$$ is the checked maximum distance.
MATCH (root:Entity {identifier: $identifier}) WHERE root._blueprint = $blueprint AND $$visibleRoot$$
OPTIONAL CALL (root) {
  WITH root WHERE $downstream
  MATCH p = ANY SHORTEST (root)((a)<-[r WHERE type(r) IN $types]-(b:Entity WHERE $$visibleB$$)){1,$$depth$$}(n:Entity)
  RETURN n, length(p) AS distance, 'downstream' AS direction
  UNION ALL
  WITH root WHERE $upstream
  MATCH p = ANY SHORTEST (root)((a)-[r WHERE type(r) IN $types]->(b:Entity WHERE $$visibleB$$)){1,$$depth$$}(n:Entity)
  RETURN n, length(p) AS distance, 'upstream' AS direction
}
WITH root, n, distance, direction ORDER BY distance LIMIT $limit
