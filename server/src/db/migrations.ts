import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Db, readRows, writeRows } from './driver.ts';
import { cypherDir } from './query-loader.ts';

/**
 * Applies `cypher/migrations/NNNN-name.cypher` in order, each once, recording applied ones as
 * `(:_Migration {id})`. Statements are separated by `;` at the end of a line. Every statement
 * is written to be idempotent, so two replicas starting at once do no harm (see `applyMigrationStatement`).
 */
export async function runMigrations(db: Db): Promise<string[]> {
  const dir = join(cypherDir, 'migrations');
  const files = readdirSync(dir)
    .filter((f) => /^\d{4}-.+\.cypher$/.test(f))
    .sort();
  const done = new Set(
    (await readRows<{ id: string }>(db, 'MATCH (m:_Migration) RETURN m.id AS id')).map((r) => r.id),
  );
  const applied: string[] = [];
  for (const file of files) {
    const id = file.replace(/\.cypher$/, '');
    if (done.has(id)) continue;
    for (const statement of migrationStatements(file)) await applyMigrationStatement(db, statement);
    await writeRows(db, 'MERGE (m:_Migration {id: $id}) ON CREATE SET m.appliedAt = datetime()', { id });
    applied.push(id);
  }
  return applied;
}

/**
 * Schema errors that mean another replica, migrating at the same moment, made the change first:
 * `IF NOT EXISTS` and `IF EXISTS` are checked when the statement runs, so of two concurrent
 * `CREATE INDEX ... IF NOT EXISTS` the second to commit still fails with "an equivalent index
 * already exists".
 */
const raceCodes = {
  create: ['Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists', 'Neo.ClientError.Schema.IndexAlreadyExists', 'Neo.ClientError.Schema.ConstraintAlreadyExists'],
  drop: ['Neo.ClientError.Schema.IndexDropFailed', 'Neo.ClientError.Schema.ConstraintDropFailed', 'Neo.ClientError.Schema.IndexNotFound', 'Neo.ClientError.Schema.ConstraintNotFound'],
};

/** Runs one migration statement; a schema change another replica made concurrently counts as done. */
export async function applyMigrationStatement(db: Db, statement: string): Promise<void> {
  try {
    await writeRows(db, statement);
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    const guarded = /\bIF\s+NOT\s+EXISTS\b/i.test(statement) ? raceCodes.create : /\bIF\s+EXISTS\b/i.test(statement) ? raceCodes.drop : [];
    if (!guarded.includes(code)) throw err;
  }
}

/**
 * The statements of one migration file (`cypher/migrations/NNNN-name.cypher`): split at `;` ending
 * a line, comment lines dropped. The one multi-statement format; other queries are one per file.
 */
export function migrationStatements(file: string): string[] {
  return readFileSync(join(cypherDir, 'migrations', file), 'utf8')
    .split(/;\s*$/m)
    .map((s) =>
      s
        .split('\n')
        .filter((l) => !l.trimStart().startsWith('//'))
        .join('\n')
        .trim(),
    )
    .filter(Boolean);
}
