// System nodes: blueprints, the model version replicas poll, tokens, pending relations.
CREATE CONSTRAINT plexus_blueprint_identifier IF NOT EXISTS FOR (b:_Blueprint) REQUIRE b.identifier IS UNIQUE;
CREATE CONSTRAINT plexus_model_version IF NOT EXISTS FOR (v:_ModelVersion) REQUIRE v.id IS UNIQUE;
CREATE CONSTRAINT plexus_token_id IF NOT EXISTS FOR (t:_Token) REQUIRE t.id IS UNIQUE;
CREATE INDEX plexus_token_hash IF NOT EXISTS FOR (t:_Token) ON (t.hash);
CREATE INDEX plexus_pending_target IF NOT EXISTS FOR (p:_Pending) ON (p.targetBlueprint, p.targetIdentifier);
CREATE INDEX plexus_entity_identifier IF NOT EXISTS FOR (e:Entity) ON (e.identifier);
CREATE FULLTEXT INDEX plexus_entity_text IF NOT EXISTS FOR (e:Entity) ON EACH [e.identifier, e.title];
