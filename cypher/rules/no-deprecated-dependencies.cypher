// title: No dependency on deprecated components
// description: Nothing it depends on directly is deprecated.
// blueprints: service, library
// level: Gold
NOT EXISTS { (e)-[:DEPENDS_ON]->(d) WHERE d.lifecycle = 'deprecated' }
