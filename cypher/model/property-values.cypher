// Values of one property, to check them against a changed schema.
MATCH (n:$$label$$) WHERE n[$property] IS NOT NULL
RETURN n.identifier AS identifier, n[$property] AS value
