import type { Model, Scorecard } from '@plexus/contract';
import type { Db } from '../db/driver.ts';
import { checkReadOnlyCypher } from '../db/read-only-cypher.ts';
import { type ErrorDetail, ValidationError } from '../errors.ts';
import { checkUserCypher, describeUnknownName } from '../model/check-cypher-against-model.ts';
import { type CompiledScorecard, compileScorecard, normalizeScorecard } from './compile-scorecard.ts';
import { scanRuleText, writeKeywords } from './rule-text.ts';

/** Neo4j's "(line 1, column 55 (offset: 54))", restated as a position in the rule itself. */
function positionInRule(message: string, offset: number, length: number): string {
  return message.replace(/\s*\(line \d+, column \d+ \(offset: (\d+)\)\)/, (_m, at: string) => {
    const i = Number(at) - offset;
    return i >= 0 && i <= length ? ` (at character ${i + 1} of the rule)` : '';
  });
}

/**
 * Checks a scorecard before it is saved and returns it normalised and compiled; throws one 422
 * listing every problem. Each Cypher rule must pass the text checks of rule-text.ts, use no
 * writing clause, and be planned by Neo4j (`EXPLAIN`, nothing runs) as read-only, without
 * procedure calls, `LOAD CSV` or `CALL {} IN TRANSACTIONS` (db/read-only-cypher.ts walks the
 * plan), and name no label, relationship type or property the model lacks (model/
 * check-cypher-against-model.ts, from the same EXPLAIN) unless the rule says `allowUnknown: true`.
 * Evaluation later runs in a READ transaction with a timeout, so even a rule that slipped
 * through could neither write nor run for ever.
 */
export async function checkScorecard(
  db: Db,
  model: Model,
  input: unknown,
  options: { identifier?: string; defaultHops?: number } = {},
): Promise<{ scorecard: Scorecard; compiled: CompiledScorecard }> {
  const { scorecard, details } = normalizeScorecard(input, options.identifier);
  const compiled =
    details.length === 0
      ? compileScorecard(model, scorecard, details, { defaultHops: options.defaultHops })
      : null;
  if (compiled) {
    const checks = scorecard.rules.map(async (rule, i): Promise<ErrorDetail[]> => {
      if (rule.cypher === undefined) return [];
      const path = `/rules/${i}/cypher`;
      const scanned = scanRuleText(rule.cypher);
      if (scanned.problems.length > 0) return []; // compileScorecard reported them
      const writes = writeKeywords(scanned.code);
      if (writes.length > 0) {
        return [
          {
            path,
            identifier: rule.identifier,
            message: `rule "${rule.identifier}" is not read-only: ${writes.join(', ')} ${writes.includes('LOAD CSV') ? 'reads files or URLs' : 'writes to the graph'}; a rule may only read the graph`,
          },
        ];
      }
      const probe = compiled.probe(i);
      const { problems, unknown } = await checkUserCypher(db, model, probe.query, {
        text: rule.cypher,
        entity: scorecard.blueprint,
        allowUnknown: rule.allowUnknown === true,
      });
      // Neo4j counts offsets in the text checkReadOnlyCypher sent: "EXPLAIN " + the probe query.
      const offset = 'EXPLAIN '.length + probe.offset;
      return [
        ...problems.map((message) => ({
          path,
          identifier: rule.identifier,
          message: `rule "${rule.identifier}": ${positionInRule(message, offset, rule.cypher!.length)}`,
        })),
        ...unknown.map((u) => ({
          path,
          identifier: rule.identifier,
          message: `rule "${rule.identifier}": ${describeUnknownName(u)}`,
          unknown: u,
        })),
      ];
    });
    for (const found of await Promise.all(checks)) details.push(...found);
    if (details.length === 0) {
      // The whole evaluation query (filter and simple rules compiled by us) gets the same check.
      const whole = compiled.query();
      for (const message of await checkReadOnlyCypher(db, whole.query, whole.params))
        details.push({ path: '/', message: `the evaluation query is refused: ${message}` });
    }
  }
  if (details.length > 0)
    throw new ValidationError(
      `the scorecard has ${details.length} problem${details.length > 1 ? 's' : ''}`,
      details,
    );
  return { scorecard, compiled: compiled! };
}
