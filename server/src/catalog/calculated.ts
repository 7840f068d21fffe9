import Cypher from '@neo4j/cypher-builder';
import type { Blueprint } from '@plexus/contract';
import neo4j, { type Integer } from 'neo4j-driver';
import { type Db, openSession } from '../db/driver.ts';
import type { Logger } from '../log.ts';
import { calculatedValue } from '../model/blueprint-store.ts';

/**
 * Evaluates a blueprint's calculated properties for some of its entities in one read query
 * (built with cypher-builder: property names quoted by it, the expressions bound by `calculatedValue`).
 * The expressions were checked to be read-only when the blueprint was saved; they run here in
 * a READ transaction with a timeout. A failing expression yields nulls and a warning, not an error.
 */
export async function readCalculated(
  db: Db,
  bp: Blueprint,
  identifiers: string[],
  logger: Logger,
  timeoutMs = 5000,
): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>();
  const entries = Object.entries(bp.calculated ?? {});
  if (entries.length === 0 || identifiers.length === 0) return out;
  const id = new Cypher.NamedVariable('id');
  const n = new Cypher.Node();
  const fields = new Cypher.Map(Object.fromEntries(entries.map(([name, calc]) => [name, calculatedValue(n, calc.cypher)])));
  const { cypher: query, params } = new Cypher.Unwind([new Cypher.Param(identifiers), id])
    .match(new Cypher.Pattern(n, { labels: ['Entity'], properties: { identifier: id } }))
    .where(Cypher.eq(n.property('_blueprint'), new Cypher.Param(bp.identifier)))
    .return(id, [fields, 'calc'])
    .build();
  const session = openSession(db, 'READ');
  try {
    const res = await session.executeRead((tx) => tx.run(query, params), { timeout: timeoutMs });
    for (const r of res.records) {
      const calc = r.get('calc') as Record<string, unknown>;
      for (const [k, v] of Object.entries(calc)) if (neo4j.isInt(v)) calc[k] = (v as Integer).toNumber();
      out.set(r.get('id') as string, calc);
    }
  } catch (err) {
    logger.warn('calculated properties failed', { blueprint: bp.identifier, err });
    for (const id of identifiers) out.set(id, Object.fromEntries(entries.map(([name]) => [name, null])));
  } finally {
    await session.close();
  }
  return out;
}
