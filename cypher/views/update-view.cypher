// Renames and/or redefines a view; a rename that meets another view's name changes nothing.
MATCH (v:_View {id: $id})
OPTIONAL MATCH (same:_View {blueprint: v.blueprint})
WHERE same <> v AND $name IS NOT NULL AND toLower(same.name) = toLower($name)
WITH v, count(same) AS clashes
CALL (v, clashes) {
  WITH v, clashes WHERE clashes = 0
  SET v.name = coalesce($name, v.name),
      v.definition = coalesce($definition, v.definition),
      v.updatedAt = $now,
      v.updatedBy = $actor
  RETURN v {.*} AS view
}
RETURN view
