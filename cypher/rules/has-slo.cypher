// title: Has an availability SLO
// description: An availability target makes reliability a number the team can be held to.
// blueprints: service
// level: Gold
e.sloTarget IS NOT NULL
