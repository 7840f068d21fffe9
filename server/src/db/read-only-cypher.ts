import { mapDatabaseError } from '../errors.ts';
import { type Db, openSession } from './driver.ts';

/**
 * Whether Neo4j refused the query itself: a syntax or semantic error, a missing parameter, an
 * unknown function or procedure (`Neo.ClientError.Statement.*`, `Neo.ClientError.Procedure.*`).
 */
export function isQueryRejection(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('Neo.ClientError.Statement.') || code.startsWith('Neo.ClientError.Procedure.'));
}

/**
 * Checks a piece of user-written Cypher (a calculated property, a scorecard rule, a saved query)
 * before it is stored. User Cypher is accepted by design in these places; what keeps it safe:
 * it must parse, Neo4j must plan it as read-only (`queryType` "r"), it may not call procedures,
 * load files or URLs or use administration functions, and it always runs later in a READ
 * transaction with a timeout. Returns the problems found; empty means accepted. Throws
 * `ServiceUnavailableError` when the database cannot answer (never a problem of the query).
 */
export async function checkReadOnlyCypher(db: Db, query: string, params: Record<string, unknown> = {}): Promise<string[]> {
  return (await explainUserCypher(db, query, params)).problems;
}

/** Names Neo4j's EXPLAIN says the database does not have (its UNRECOGNIZED notifications). */
export interface MissingNames {
  labels: string[];
  relationshipTypes: string[];
  properties: string[];
}

const missingNamePatterns: [string, keyof MissingNames][] = [
  ['Neo.ClientNotification.Statement.UnknownLabelWarning', 'labels'],
  ['Neo.ClientNotification.Statement.UnknownRelationshipTypeWarning', 'relationshipTypes'],
  ['Neo.ClientNotification.Statement.UnknownPropertyKeyWarning', 'properties'],
];

/**
 * checkReadOnlyCypher's one EXPLAIN, also answering the labels, relationship types and property
 * keys Neo4j reported as absent from the database (`summary.notifications`, e.g. "... (the
 * missing label name is: Foo)"). model/check-cypher-against-model.ts weighs them against the model.
 */
export async function explainUserCypher(
  db: Db,
  query: string,
  params: Record<string, unknown> = {},
): Promise<{ problems: string[]; missing: MissingNames }> {
  const missing: MissingNames = { labels: [], relationshipTypes: [], properties: [] };
  const problems: string[] = [];
  const denied: [RegExp, string][] = [
    [/\bLOAD\s+CSV\b/i, 'LOAD CSV is not allowed'],
    [/\bIN\s+TRANSACTIONS\b/i, 'CALL { } IN TRANSACTIONS is not allowed'],
    // Functions do not show in the plan: deny the families that reach outside the graph.
    [/\bapoc\.(load|import|export|periodic|cypher|trigger|systemdb|custom|config|log|util\.sleep)\b/i, 'APOC functions that load, run or administer are not allowed'],
    [/\b(dbms|db)\.[A-Za-z.]+\s*\(/i, 'db.* and dbms.* procedures and functions are not allowed'],
    [/\bCALL\s+[A-Za-z_][\w.]*\s*\(/i, 'procedure calls are not allowed'],
  ];
  for (const [pattern, message] of denied) if (pattern.test(query)) problems.push(message);
  if (problems.length > 0) return { problems, missing };
  const session = openSession(db, 'READ');
  try {
    const res = await session.executeRead((tx) => tx.run(`EXPLAIN ${query}`, params), { timeout: 15_000 });
    const type = res.summary.queryType;
    if (type !== 'r') problems.push(`the query must be read-only (Neo4j plans it as "${type}")`);
    const operators: string[] = [];
    const walk = (p: { operatorType: string; children: unknown[] } | false | undefined) => {
      if (!p) return;
      operators.push(p.operatorType);
      for (const c of p.children as { operatorType: string; children: unknown[] }[]) walk(c);
    };
    walk(res.summary.plan as never);
    for (const n of res.summary.notifications) {
      const kind = missingNamePatterns.find(([code]) => code === n.code)?.[1];
      const name = kind ? /\(the missing [a-z ]+ is: (.+)\)\s*$/.exec(n.description)?.[1] : undefined;
      if (kind && name && !missing[kind].includes(name)) missing[kind].push(name);
    }
    if (operators.some((o) => /ProcedureCall|LoadCSV|TransactionApply|TransactionForeach/.test(o))) {
      problems.push('procedure calls, LOAD CSV and transactional subqueries are not allowed');
    }
  } catch (err) {
    // Only Neo4j's verdict on the query itself is the author's problem; a timeout or a lost
    // connection is the database's (ServiceUnavailableError, 503), anything else an internal error.
    if (!isQueryRejection(err)) throw mapDatabaseError(err);
    const message = (err as Error).message.split('\n')[0];
    problems.push(`Cypher does not parse: ${message}`);
  } finally {
    await session.close();
  }
  return { problems, missing };
}
