MATCH (t:_Token {id: $id}) DELETE t RETURN count(t) AS deleted
