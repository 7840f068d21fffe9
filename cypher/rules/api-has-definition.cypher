// title: API has a definition
// description: The API publishes its specification (OpenAPI, AsyncAPI, GraphQL SDL...), so consumers can rely on it.
// blueprints: api
// level: Bronze
coalesce(trim(e.definition), '') <> ''
