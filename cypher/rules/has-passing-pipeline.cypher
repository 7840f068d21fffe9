// title: Has a passing pipeline
// description: A CI/CD pipeline builds it and its last run passed.
// blueprints: service
// level: Silver
EXISTS { (e)<-[:BUILDS]-(p:Pipeline) WHERE p.status = 'passing' }
