MATCH (v:_View {id: $id})
RETURN v {.*} AS view
