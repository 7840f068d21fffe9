// The latest webhook delivery of a source (counts, time), shown in GET /api/v1/sources.
MATCH (s:_Source {identifier: $identifier})
SET s.lastWebhook = $summary
RETURN s.identifier AS identifier
