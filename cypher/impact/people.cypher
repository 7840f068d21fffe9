// The people side of an impact result, for a batch of affected entities ($keys: [blueprint, identifier]):
// each entity's owners (relations of role ownership: entity -> owner) and on-call people (role
// oncall, either direction), and for each distinct owner its members (role membership, either
// direction) and its on-call people. Only entities the caller may read are returned
// ($$visibleO$$, $$visibleP$$: the read scope of server/src/auth/read-scope-cypher.ts).
UNWIND $keys AS key
MATCH (e:Entity {identifier: key[1]}) WHERE e._blueprint = key[0]
WITH key,
     [(e)-[r]->(o:Entity) WHERE type(r) IN $ownership AND $$visibleO$$ | o] AS owners,
     [(e)-[r]-(p:Entity) WHERE type(r) IN $oncall AND $$visibleP$$ | p] AS onCall
WITH collect({key: key, owners: owners, onCall: onCall}) AS rows
CALL (rows) {
  UNWIND rows AS row
  UNWIND row.owners AS t
  WITH DISTINCT t
  RETURN collect({
    team: [t._blueprint, t.identifier],
    members: CASE WHEN $members THEN [(t)-[r]-(p:Entity) WHERE type(r) IN $membership AND $$visibleP$$ | p {.identifier, .title, blueprint: p._blueprint}] ELSE [] END,
    onCall: CASE WHEN $withOnCall THEN [(t)-[r]-(p:Entity) WHERE type(r) IN $oncall AND $$visibleP$$ | p {.identifier, .title, blueprint: p._blueprint}] ELSE [] END
  }) AS teams
}
RETURN [row IN rows | {
         key: row.key,
         owners: [o IN row.owners | o {.identifier, .title, blueprint: o._blueprint}],
         onCall: CASE WHEN $withOnCall THEN [p IN row.onCall | p {.identifier, .title, blueprint: p._blueprint}] ELSE [] END
       }] AS entities,
       teams
