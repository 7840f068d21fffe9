// title: Has on-call
// description: The owning team publishes an on-call schedule, so an alert reaches a person.
// blueprints: service, cloudResource
// level: Silver
EXISTS { (e)-[:OWNED_BY]->(t:Team) WHERE coalesce(t.onCallUrl, '') <> '' }
