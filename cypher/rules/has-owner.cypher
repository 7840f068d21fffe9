// title: Has an owner
// description: A team owns it, so someone answers for it when it breaks.
// blueprints: service, library, cloudResource
// level: Bronze
EXISTS { (e)-[:OWNED_BY]->(:Team) }
