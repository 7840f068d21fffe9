// When the blueprint `b` was last saved: `<model version>@<updatedAt>`. The version is the model
// version its save recorded (0: saved before versions were recorded, or by an older release,
// whose saves still change updatedAt). Included by list-blueprints.cypher (what the store holds)
// and blueprint-versions.cypher (what a catalog write compares before its commit), which must agree.
toString(coalesce(b.version, 0)) + '@' + coalesce(b.updatedAt, '')
