// Whether the entity $$Var$$ is readable, from the read scope of authorize.ts as parameters:
// readable in full by blueprint, or through an owner relation pointing at one of the teams.
($$Var$$._blueprint IN $authReadAll
 OR ($$Var$$._blueprint IN keys($authReadOwned)
     AND EXISTS { MATCH ($$Var$$)-[authOwner]->(authTeam:Entity)
                  WHERE type(authOwner) = $authReadOwned[$$Var$$._blueprint] AND authTeam.identifier IN $authTeams }))
