// Every automation definition, by identifier (a handful: the consumer reads them every tick).
MATCH (a:_Automation)
RETURN a {.*} AS automation
ORDER BY a.identifier
