#!/usr/bin/env bash
# Starts the embedded Neo4j (Community 5.26 + APOC core) on Bolt, without Docker.
# The first run resolves the jars from Maven Central into neo4j/target (a few minutes);
# later runs reuse them. Settings (environment): NEO4J_BOLT_HOST (127.0.0.1),
# NEO4J_BOLT_PORT (7687), NEO4J_DATA_DIR (.data/neo4j), NEO4J_HEAP (1g),
# NEO4J_PAGECACHE (256m). Prints "PLEXUS_NEO4J_READY bolt://host:port" when ready.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
target="$here/target"
stamp="$target/.built-from"
want="$(sha256sum "$here/pom.xml" "$here/src/main/java/dev/plexus/neo4j/Launcher.java" | sha256sum | cut -c1-16)"

if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" || ! -d "$target/lib" || ! -d "$target/plugins" ]]; then
  command -v mvn >/dev/null || { echo "Maven (mvn) is required to build the embedded Neo4j: apt-get install maven, or set NEO4J_URI to an existing Neo4j" >&2; exit 3; }
  command -v java >/dev/null || { echo "Java 17+ is required for the embedded Neo4j, or set NEO4J_URI to an existing Neo4j" >&2; exit 3; }
  echo "neo4j: resolving Neo4j and APOC jars with Maven (first run only)..." >&2
  rm -rf "$target/lib" "$target/plugins"
  mvn -q -B -f "$here/pom.xml" package -DskipTests >&2
  echo "$want" > "$stamp"
fi

[[ "${1:-}" == "--build-only" ]] && exit 0

export NEO4J_PLUGINS_DIR="${NEO4J_PLUGINS_DIR:-$target/plugins}"
heap="${NEO4J_HEAP:-1g}"
exec java -Xms256m -Xmx"$heap" -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError \
  -Dfile.encoding=UTF-8 \
  -cp "$target/classes:$target/lib/*" dev.plexus.neo4j.Launcher
