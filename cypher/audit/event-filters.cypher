// The filters of an audit listing, for the variable `a`: whichever parameters are set. Included
// by audit/list-events*.cypher ($$include(audit/event-filters)$$); $lower/$upper bound `at`
// (since, and the cursor's time, with $beforeId breaking ties), so the index range is narrow.
a.at >= $lower AND a.at <= $upper
AND ($beforeId IS NULL OR a.at < $upper OR a.id < $beforeId)
AND ($kind IS NULL OR a.kind = $kind)
AND ($subject IS NULL OR a.subject = $subject)
AND ($blueprint IS NULL OR a.blueprint = $blueprint)
AND ($identifier IS NULL OR a.identifier = $identifier)
AND ($actor IS NULL OR a.actor = $actor)
