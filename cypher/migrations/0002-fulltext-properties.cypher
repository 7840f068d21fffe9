// Full-text search covers string properties too, through the `_text` digest the catalog keeps.
DROP INDEX plexus_entity_text IF EXISTS;
CREATE FULLTEXT INDEX plexus_entity_search IF NOT EXISTS FOR (e:Entity) ON EACH [e.identifier, e.title, e._text];
