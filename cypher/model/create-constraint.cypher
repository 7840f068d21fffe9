CREATE CONSTRAINT $$constraint$$ IF NOT EXISTS FOR (n:$$label$$) REQUIRE n.identifier IS UNIQUE
