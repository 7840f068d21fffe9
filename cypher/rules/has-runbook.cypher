// title: Has a runbook
// description: A runbook link tells the person on call what to do first.
// blueprints: service
// level: Silver
coalesce(e.runbookUrl, '') <> ''
