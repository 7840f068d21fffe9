// Saved catalog views: one id each, listed per blueprint.
CREATE CONSTRAINT plexus_view_id IF NOT EXISTS FOR (v:_View) REQUIRE v.id IS UNIQUE;
CREATE INDEX plexus_view_blueprint IF NOT EXISTS FOR (v:_View) ON (v.blueprint);
