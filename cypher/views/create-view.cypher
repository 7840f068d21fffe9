// Refuses a second view of the same name on a blueprint in the same statement, so two
// concurrent saves cannot both pass a check made beforehand.
OPTIONAL MATCH (same:_View {blueprint: $view.blueprint})
WHERE toLower(same.name) = toLower($view.name)
WITH count(same) AS clashes
CALL (clashes) {
  WITH clashes WHERE clashes = 0
  CREATE (v:_View)
  SET v = $view
  RETURN v {.*} AS view
}
RETURN view
