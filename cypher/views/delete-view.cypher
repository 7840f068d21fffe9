MATCH (v:_View {id: $id})
DELETE v
RETURN count(*) AS deleted
