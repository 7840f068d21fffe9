// title: Deployed in the last 30 days
// description: A successful deployment in the last 30 days shows the delivery pipeline still works.
// blueprints: service
// level: Gold
EXISTS {
  MATCH (e)<-[:DEPLOYS]-(d:Deployment)
  WHERE d.status = 'succeeded' AND datetime(d.startedAt) >= datetime() - duration('P30D')
}
