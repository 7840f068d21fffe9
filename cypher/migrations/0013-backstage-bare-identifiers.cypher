// Backstage entities of the `default` namespace are identified by their bare name (`cart`, not
// `default/cart`), like every other entity in Plexus (connectors/backstage/entity-ref.ts). This
// renames what Backstage sources imported before, keeping every relationship (they hang on the
// node, not on its identifier), and moves the sources' ledgers along so the next sync finds its
// entities instead of seeing them stale. An entity is left as it is, and recorded as a
// (:_MigrationConflict), when its bare identifier is already taken in its blueprint or when a
// source of another type also writes it (it would write `default/<name>` again): nothing is
// merged silently. docs/operations.md shows how to list the conflicts.
// 1. Conflicts, recorded before anything is renamed.
MATCH (src:_Source)
WITH collect('connector:' + src.identifier) AS sources,
     collect(CASE WHEN src.type = 'backstage' THEN 'connector:' + src.identifier END) AS backstage
MATCH (n:Entity)
WHERE n.identifier STARTS WITH 'default/' AND any(s IN coalesce(n._sources, []) WHERE s IN backstage)
WITH n, backstage, sources, substring(n.identifier, 8) AS bare
OPTIONAL MATCH (o:Entity {identifier: bare}) WHERE o._blueprint = n._blueprint
WITH n, bare, o, [s IN n._sources WHERE s IN sources AND NOT s IN backstage] AS others
WHERE o IS NOT NULL OR size(others) > 0
MERGE (c:_MigrationConflict {migration: '0013-backstage-bare-identifiers', blueprint: n._blueprint, identifier: n.identifier})
SET c.bare = bare,
    c.at = toString(datetime()),
    c.message = CASE WHEN o IS NOT NULL
      THEN n._blueprint + ' "' + n.identifier + '" was not renamed: "' + bare + '" exists already; both are kept, merge them by hand (move relations, delete one)'
      ELSE n._blueprint + ' "' + n.identifier + '" was not renamed: ' + reduce(t = '', s IN others | t + CASE WHEN t = '' THEN '' ELSE ', ' END + s) + ' also writes it'
    END;
// 2. The entities without a conflict get their bare identifier.
MATCH (src:_Source)
WITH collect('connector:' + src.identifier) AS sources,
     collect(CASE WHEN src.type = 'backstage' THEN 'connector:' + src.identifier END) AS backstage
MATCH (n:Entity)
WHERE n.identifier STARTS WITH 'default/' AND any(s IN coalesce(n._sources, []) WHERE s IN backstage)
  AND none(s IN n._sources WHERE s IN sources AND NOT s IN backstage)
  AND NOT EXISTS { MATCH (:_MigrationConflict {migration: '0013-backstage-bare-identifiers', blueprint: n._blueprint, identifier: n.identifier}) }
WITH n, substring(n.identifier, 8) AS bare
WHERE NOT EXISTS { MATCH (o:Entity {identifier: bare}) WHERE o._blueprint = n._blueprint }
SET n.identifier = bare;
// 3. The Backstage sources' ledgers follow the renamed entities; relation targets are rewritten
// the same way (`group:default/team` → `group:team`).
MATCH (src:_Source {type: 'backstage'})
MATCH (i:_SourceItem {source: 'connector:' + src.identifier})
WITH i, CASE
    WHEN i.identifier STARTS WITH 'default/'
      AND EXISTS { MATCH (n:Entity {identifier: substring(i.identifier, 8)}) WHERE n._blueprint = i.blueprint AND i.source IN n._sources }
      AND NOT EXISTS { MATCH (:_MigrationConflict {migration: '0013-backstage-bare-identifiers', blueprint: i.blueprint, identifier: i.identifier}) }
    THEN substring(i.identifier, 8) ELSE i.identifier END AS identifier
SET i.identifier = identifier,
    i.key = i.blueprint + ':' + identifier,
    i.id = i.source + '|' + i.blueprint + ':' + identifier,
    i.relations = [r IN coalesce(i.relations, []) | replace(replace(r, '|default/', '|'), ':default/', ':')];
// 4. Relations waiting for a target (catalog/create-pending.cypher) wait for the bare identifier.
MATCH (src:_Source {type: 'backstage'})
MATCH (pd:_Pending)
WHERE 'connector:' + src.identifier IN coalesce(pd._sources, []) AND pd.targetIdentifier STARTS WITH 'default/'
SET pd.targetIdentifier = substring(pd.targetIdentifier, 8);
