// Identities: users and service accounts, teams, and which user a token belongs to.
CREATE CONSTRAINT plexus_user_id IF NOT EXISTS FOR (u:_User) REQUIRE u.id IS UNIQUE;
CREATE CONSTRAINT plexus_team_identifier IF NOT EXISTS FOR (t:_Team) REQUIRE t.identifier IS UNIQUE;
CREATE INDEX plexus_token_user IF NOT EXISTS FOR (t:_Token) ON (t.userId);
