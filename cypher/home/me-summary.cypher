// The caller's home page in one read: their teams ($teams, team identifiers from their identity),
// what those teams own (entities whose owner relation, one of $ownerTypes, points at a team),
// the most recently changed of them, their scorecard levels and most-failed rules, and the open
// incidents and vulnerabilities ($signalBlueprints entities whose status is not in $closed) that
// point at them. Only entities the caller may read are counted or listed ($$visibleTeam$$,
// $$visibleO$$, $$visibleX$$: the read scope of server/src/auth/read-scope-cypher.ts).
// With no team (or none readable) every list is empty: the aggregation still returns one row.
MATCH (team:Entity) WHERE team.identifier IN $teams AND $$visibleTeam$$
CALL (team) {
  MATCH (team)<-[r]-(o:Entity) WHERE type(r) IN $ownerTypes AND $$visibleO$$
  RETURN collect(DISTINCT o) AS teamOwned
}
WITH collect(team {.identifier, .title, blueprint: team._blueprint, owned: size(teamOwned)}) AS teams,
     collect(teamOwned) AS ownedLists
CALL (ownedLists) {
  UNWIND ownedLists AS list
  UNWIND list AS o
  RETURN collect(DISTINCT o) AS owned
}
CALL (owned) {
  UNWIND owned AS o
  WITH o._blueprint AS blueprint, count(*) AS n ORDER BY n DESC, blueprint
  RETURN collect({blueprint: blueprint, count: n}) AS kinds
}
CALL (owned) {
  UNWIND owned AS o
  WITH o ORDER BY o._updatedAt DESC LIMIT $recentLimit
  RETURN collect(o {.identifier, .title, blueprint: o._blueprint, updatedAt: o._updatedAt, updatedBy: o._updatedBy}) AS recent
}
CALL (owned) {
  UNWIND owned AS o
  MATCH (o)<-[:_SCORES]-(s:_ScoreResult)
  WITH s.scorecard AS scorecard, s.level AS level, count(*) AS n ORDER BY scorecard, level
  RETURN collect({scorecard: scorecard, level: level, count: n}) AS levels
}
CALL (owned) {
  UNWIND owned AS o
  MATCH (o)<-[:_SCORES]-(s:_ScoreResult)
  UNWIND s.failed AS rule
  WITH s.scorecard AS scorecard, rule, count(*) AS n ORDER BY n DESC, scorecard, rule LIMIT $rulesLimit
  RETURN collect({scorecard: scorecard, rule: rule, failing: n}) AS failingRules
}
CALL (owned) {
  UNWIND owned AS o
  MATCH (o)<--(x:Entity)
  WHERE x._blueprint IN $signalBlueprints AND NOT coalesce(toString(x.status), '') IN $closed AND $$visibleX$$
  WITH DISTINCT x
  WITH x, [i IN range(0, size($severities) - 1) WHERE $severities[i] = x.severity][0] AS rank
  WITH x ORDER BY x._blueprint, coalesce(rank, size($severities)), x._updatedAt DESC
  WITH x._blueprint AS blueprint, collect(x) AS open
  RETURN collect({blueprint: blueprint, count: size(open),
                  top: [y IN open[0..$signalLimit] | y {.identifier, .title, .severity, .status, blueprint: y._blueprint}]}) AS signals
}
RETURN teams, size(owned) AS ownedTotal, kinds, recent, levels, failingRules, signals
