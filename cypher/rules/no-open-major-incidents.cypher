// title: No open major incident
// description: No sev1 or sev2 incident affecting it is still open.
// blueprints: service
// level: Gold
NOT EXISTS { (e)<-[:AFFECTS]-(i:Incident) WHERE i.severity IN ['sev1', 'sev2'] AND i.status <> 'resolved' }
