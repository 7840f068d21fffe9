// title: Has monitoring alerts
// description: At least one alert rule watches it.
// blueprints: service
// level: Silver
EXISTS { (e)<-[:FIRES_FOR]-(:Alert) }
