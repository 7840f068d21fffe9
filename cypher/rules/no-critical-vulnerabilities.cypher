// title: No open critical vulnerabilities
// description: No open or triaged critical vulnerability affects it or anything it depends on, up to three dependencies away.
// blueprints: service, library
// level: Silver
NOT EXISTS {
  MATCH (e)-[:DEPENDS_ON*0..3]->(x)<-[:AFFECTS]-(v:Vulnerability)
  WHERE v.severity = 'critical' AND v.status IN ['open', 'triaged']
}
