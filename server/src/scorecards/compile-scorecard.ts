import Cypher from '@neo4j/cypher-builder';
import {
  defaultLevels,
  labelOf,
  type Model,
  type Rule,
  relTypeOf,
  type Scorecard,
  type ScorecardFilter,
  type ScorecardRule,
} from '@plexus/contract';
import { escapeName } from '../db/cypher-names.ts';
import type { ErrorDetail } from '../errors.ts';
import { compileFilter } from '../search/rules.ts';
import { levelIndexOf } from './levels.ts';
import { reachOf, relationshipTypesOf, type Steps, scanRuleText, stepsOf } from './rule-text.ts';

const idPattern = /^[a-z0-9][a-z0-9-]{0,62}$/;
const metaKeys = new Set(['identifier', 'title', 'description', 'level', 'weight', 'allowUnknown']);
const maxRules = 100;
const maxRuleLength = 5000;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Checks the shape of a scorecard definition (no database needed) and fills defaults: levels,
 * titles. Returns the normalised scorecard and every problem found, with a JSON path each.
 */
export function normalizeScorecard(
  input: unknown,
  identifier?: string,
): { scorecard: Scorecard; details: ErrorDetail[] } {
  const details: ErrorDetail[] = [];
  const s = isObject(input) ? input : {};
  if (!isObject(input)) details.push({ path: '/', message: 'a scorecard must be a JSON object' });
  const id = identifier ?? s.identifier;
  if (identifier !== undefined && s.identifier !== undefined && s.identifier !== identifier) {
    details.push({
      path: '/identifier',
      message: `identifier "${String(s.identifier)}" does not match the URL's "${identifier}"`,
    });
  }
  if (typeof id !== 'string' || !idPattern.test(id))
    details.push({
      path: '/identifier',
      message: 'identifier must be lower-case letters, digits and dashes (at most 63)',
    });
  if (s.title !== undefined && typeof s.title !== 'string')
    details.push({ path: '/title', message: 'title must be a string' });
  if (s.description !== undefined && s.description !== null && typeof s.description !== 'string')
    details.push({ path: '/description', message: 'description must be a string' });
  if (typeof s.blueprint !== 'string' || s.blueprint === '')
    details.push({
      path: '/blueprint',
      message: 'blueprint is required: the blueprint whose entities are scored',
    });

  let levels = [...defaultLevels];
  if (s.levels !== undefined) {
    const ok =
      Array.isArray(s.levels) &&
      s.levels.length >= 2 &&
      s.levels.length <= 10 &&
      s.levels.every((l) => typeof l === 'string' && l.trim() !== '' && l.length <= 40);
    if (!ok)
      details.push({
        path: '/levels',
        message: 'levels must be 2 to 10 names, lowest first (the first is the base every entity has)',
      });
    else if (new Set((s.levels as string[]).map((l) => l.toLowerCase())).size !== (s.levels as string[]).length)
      details.push({ path: '/levels', message: 'level names must be unique, ignoring case (levels are matched case-insensitively)' });
    else levels = s.levels as string[];
  }

  let filter: ScorecardFilter | null = null;
  if (s.filter !== undefined && s.filter !== null) {
    if (!isObject(s.filter) || !Array.isArray(s.filter.rules))
      details.push({
        path: '/filter',
        message:
          'filter must be {"combinator"?, "rules": [...]} in the rules language of POST /api/v1/search',
      });
    else
      filter = {
        combinator: s.filter.combinator as ScorecardFilter['combinator'],
        rules: s.filter.rules as Rule[],
      };
  }

  const rules: ScorecardRule[] = [];
  if (!Array.isArray(s.rules) || s.rules.length > maxRules)
    details.push({ path: '/rules', message: `rules must be a list of at most ${maxRules} rules` });
  else {
    const seen = new Set<string>();
    s.rules.forEach((raw, i) => {
      const path = `/rules/${i}`;
      if (!isObject(raw)) {
        details.push({ path, message: 'a rule must be an object' });
        return;
      }
      const r = raw as Record<string, unknown>;
      if (typeof r.identifier !== 'string' || !idPattern.test(r.identifier))
        details.push({
          path: `${path}/identifier`,
          message: 'identifier must be lower-case letters, digits and dashes',
        });
      else if (seen.has(r.identifier))
        details.push({ path: `${path}/identifier`, message: `rule "${r.identifier}" appears twice` });
      else seen.add(r.identifier);
      if (r.title !== undefined && typeof r.title !== 'string')
        details.push({ path: `${path}/title`, message: 'title must be a string' });
      // A rule's level is matched ignoring case and stored in the scorecard's own spelling.
      const levelIndex = typeof r.level === 'string' ? levelIndexOf(levels, r.level) : -1;
      if (levelIndex > 0) r.level = levels[levelIndex];
      if (typeof r.level !== 'string' || levelIndex <= 0) {
        details.push({
          path: `${path}/level`,
          message: `level must be one of ${levels.slice(1).join(', ')} (${levels[0]} is the base every entity has)`,
        });
      }
      if (r.allowUnknown !== undefined && typeof r.allowUnknown !== 'boolean')
        details.push({ path: `${path}/allowUnknown`, message: 'allowUnknown must be true or false' });
      if (
        r.weight !== undefined &&
        !(typeof r.weight === 'number' && Number.isFinite(r.weight) && r.weight >= 0)
      )
        details.push({ path: `${path}/weight`, message: 'weight must be a number of 0 or more' });
      const simple = Object.keys(r).some((k) => !metaKeys.has(k) && k !== 'cypher');
      if (r.cypher !== undefined) {
        if (typeof r.cypher !== 'string' || r.cypher.trim() === '' || r.cypher.length > maxRuleLength)
          details.push({
            path: `${path}/cypher`,
            message: `cypher must be a non-empty boolean expression over e (at most ${maxRuleLength} characters)`,
          });
        if (simple)
          details.push({
            path,
            message: 'a rule has either "cypher" or the simple form (property, operator, value), not both',
          });
      } else if (!('property' in r || 'relation' in r || 'rules' in r)) {
        details.push({
          path,
          message: 'a rule needs "cypher" (a boolean expression over e) or "property" and "operator"',
        });
      }
      rules.push({
        ...(r as unknown as ScorecardRule),
        title: typeof r.title === 'string' ? r.title : String(r.identifier),
      });
    });
  }
  const scorecard: Scorecard = {
    identifier: id as string,
    title: typeof s.title === 'string' && s.title.trim() !== '' ? s.title : String(id),
    description: (s.description as string | undefined) ?? null,
    blueprint: s.blueprint as string,
    filter,
    levels,
    rules,
  };
  return { scorecard, details };
}

/** One rule compiled: `simple` ones are a predicate over `n` (the search compiler's), `cypher` ones user text over `e`. */
type CompiledRule = { kind: 'simple'; predicate: Cypher.Predicate } | { kind: 'cypher'; text: string };

/**
 * A scorecard compiled for evaluation. `query()` builds the one read query that scores all
 * targets (or only `$ids` when `partial`: the caller adds `ids` to the parameters), returning
 * `entity` and `passed`, a list of booleans in rule order, with its parameters. `rules` picks a
 * subset, used to find which rule fails when the whole query does.
 */
export interface CompiledScorecard {
  scorecard: Scorecard;
  label: string;
  /** How many hops from a target entity its rules (or filter) can look; see `reach`. */
  hops: number;
  /** True when some rule has a pattern without an upper bound (`hops` is then the default). */
  unbounded: boolean;
  /** Relationship types the rules and filter walk; null when some pattern allows any type. */
  relationshipTypes: string[] | null;
  /** How a change reaches back to a target (rule-text.ts `stepsOf`); null: any relationship, both ways. */
  steps: Steps | null;
  query(options?: { partial?: boolean; rules?: number[] }): { query: string; params: Record<string, unknown> };
  /** The query a Cypher rule is checked with (EXPLAIN) before it is saved, and where the rule starts in it. */
  probe(index: number): { query: string; offset: number };
}

/**
 * Compiles rules of the search language to the search compiler's predicate over `n`; its
 * values are `Cypher.Param`s, named when the scorecard's query is built, so the filter and
 * every rule share one query without renaming. Problems are added to `details` at `pathOf`.
 */
function compileRules(
  model: Model,
  blueprint: string,
  combinator: 'and' | 'or' | undefined,
  rules: Rule[],
  pathOf: (searchPath: string) => string,
  details: ErrorDetail[],
): Cypher.Predicate {
  const filter = compileFilter(model, { blueprint, combinator, rules });
  for (const d of filter.details) details.push({ ...d, path: pathOf(String(d.path ?? '')) });
  return filter.details.length > 0 ? Cypher.false : filter.predicate;
}

/** Relationship types a rule of the search language walks (null: any, from a calculated property). */
function searchRuleTypes(model: Model, rule: unknown): string[] | null {
  if (!isObject(rule)) return [];
  const out: string[] = [];
  if (typeof rule.relation === 'string') out.push(relTypeOf(rule.relation));
  if (typeof rule.property === 'string') {
    for (const bp of model.values()) {
      const calc = bp.calculated?.[rule.property];
      if (!calc) continue;
      const types = relationshipTypesOf(scanRuleText(calc.cypher).code);
      if (types === null) return null;
      out.push(...types);
    }
  }
  for (const child of Array.isArray(rule.rules) ? rule.rules : []) {
    const types = searchRuleTypes(model, child);
    if (types === null) return null;
    out.push(...types);
  }
  return out;
}

/** Steps back towards `e` of a rule of the search language (relation rules and their nested rules). */
function searchRuleSteps(model: Model, rule: unknown): Steps | null {
  const out: Steps = { out: [], in: [] };
  if (!isObject(rule)) return out;
  if (typeof rule.relation === 'string') {
    // outgoing: (n)-[:T]->(m), walked back from m against the arrow; incoming the other way.
    if (rule.direction === 'incoming') out.out.push(relTypeOf(rule.relation));
    else out.in.push(relTypeOf(rule.relation));
  }
  const parts: (Steps | null)[] = [];
  if (typeof rule.property === 'string') {
    for (const bp of model.values()) {
      const calc = bp.calculated?.[rule.property];
      if (calc) parts.push(stepsOf(scanRuleText(calc.cypher).code));
    }
  }
  for (const child of Array.isArray(rule.rules) ? rule.rules : []) parts.push(searchRuleSteps(model, child));
  for (const p of parts) {
    if (p === null) return null;
    out.out.push(...p.out);
    out.in.push(...p.in);
  }
  return out;
}

/** Hops a rule of the search language can look across (relation depth, calculated properties). */
function searchRuleReach(model: Model, rule: unknown): { hops: number; unbounded: boolean } {
  if (!isObject(rule)) return { hops: 0, unbounded: false };
  const children = Array.isArray(rule.rules) ? rule.rules.map((r) => searchRuleReach(model, r)) : [];
  const inner = {
    hops: Math.max(0, ...children.map((c) => c.hops)),
    unbounded: children.some((c) => c.unbounded),
  };
  if (typeof rule.relation === 'string')
    return {
      hops: (typeof rule.depth === 'number' ? rule.depth : 1) + inner.hops,
      unbounded: inner.unbounded,
    };
  if (typeof rule.property === 'string') {
    // A calculated property is Cypher too, and may look across relations.
    for (const bp of model.values()) {
      const calc = bp.calculated?.[rule.property];
      if (calc) return reachOf(scanRuleText(calc.cypher).code);
    }
  }
  return inner;
}

/**
 * Compiles a normalised scorecard against the model: the filter and simple rules through the
 * search compiler (names checked and escaped, values as parameters), Cypher rules embedded as
 * they are, each as one parenthesised expression (rule-text.ts checks they cannot step out of
 * it; validate-scorecard.ts has Neo4j check they only read). Problems are added to `details`.
 */
export function compileScorecard(
  model: Model,
  scorecard: Scorecard,
  details: ErrorDetail[],
  options: { defaultHops?: number; maxHops?: number } = {},
): CompiledScorecard | null {
  const defaultHops = options.defaultHops ?? 3;
  const maxHops = options.maxHops ?? 10;
  if (!model.has(scorecard.blueprint)) {
    details.push({ path: '/blueprint', message: `unknown blueprint "${scorecard.blueprint}"` });
    return null;
  }
  let filter: Cypher.Predicate = Cypher.true;
  let hops = 0;
  let unbounded = false;
  let types: Set<string> | null = new Set();
  let steps: { out: Set<string>; in: Set<string> } | null = { out: new Set(), in: new Set() };
  const addSteps = (found: Steps | null) => {
    if (found === null) steps = null;
    else if (steps) {
      for (const t of found.out) steps.out.add(t);
      for (const t of found.in) steps.in.add(t);
    }
  };
  const addTypes = (found: string[] | null) => {
    if (found === null) types = null;
    else if (types) for (const t of found) types.add(t);
  };
  if (scorecard.filter && scorecard.filter.rules.length > 0) {
    filter = compileRules(
      model,
      scorecard.blueprint,
      scorecard.filter.combinator,
      scorecard.filter.rules,
      (p) => `/filter${p}`,
      details,
    );
    const reach = searchRuleReach(model, { rules: scorecard.filter.rules });
    addTypes(searchRuleTypes(model, { rules: scorecard.filter.rules }));
    addSteps(searchRuleSteps(model, { rules: scorecard.filter.rules }));
    hops = Math.max(hops, reach.hops);
    unbounded ||= reach.unbounded;
  }
  const rules: CompiledRule[] = scorecard.rules.map((rule, i) => {
    if (rule.cypher !== undefined) {
      const scanned = scanRuleText(rule.cypher);
      if (scanned.problems.length > 0) {
        for (const message of scanned.problems)
          details.push({ path: `/rules/${i}/cypher`, identifier: rule.identifier, message });
        return { kind: 'cypher', text: 'false' };
      }
      const reach = reachOf(scanned.code);
      addTypes(relationshipTypesOf(scanned.code));
      addSteps(stepsOf(scanned.code));
      hops = Math.max(hops, reach.hops);
      unbounded ||= reach.unbounded;
      return { kind: 'cypher', text: rule.cypher };
    }
    const body = Object.fromEntries(
      Object.entries(rule).filter(([k]) => !metaKeys.has(k)),
    ) as unknown as Rule;
    const predicate = compileRules(
      model,
      scorecard.blueprint,
      'and',
      [body],
      (p) => `/rules/${i}${p.replace(/^\/rules\/0(?=\/|$)/, '')}`,
      details,
    );
    const reach = searchRuleReach(model, body);
    addTypes(searchRuleTypes(model, body));
    addSteps(searchRuleSteps(model, body));
    hops = Math.max(hops, reach.hops);
    unbounded ||= reach.unbounded;
    return { kind: 'simple', predicate };
  });
  if (unbounded) hops = Math.max(hops, defaultHops);
  hops = Math.min(hops, maxHops);
  const label = labelOf(scorecard.blueprint);
  return {
    scorecard,
    label,
    hops,
    unbounded,
    relationshipTypes: types === null ? null : [...(types as Set<string>)].sort(),
    steps:
      steps === null
        ? null
        : {
            out: [...(steps as { out: Set<string> }).out].sort(),
            in: [...(steps as { in: Set<string> }).in].sort(),
          },
    query(options = {}) {
      const selected = options.rules ?? rules.map((_, i) => i);
      const simple = selected.filter((i) => rules[i].kind === 'simple');
      // Simple rules and the filter read `n`; the entity is then handed on as `e`, alone with
      // the simple rules' outcomes, so a Cypher rule sees exactly the variable it is written for.
      const n = new Cypher.NamedNode('n');
      const e = new Cypher.NamedVariable('e');
      const outcomes = new Cypher.NamedVariable('plexusSimple');
      // A partial run (live re-scoring of changed entities) finds them by the entity key, the
      // unique index on (:Entity) (_blueprint, identifier): blueprints have no index of their own.
      const where = options.partial
        ? Cypher.and(Cypher.eq(n.property('_blueprint'), new Cypher.Param(scorecard.blueprint)), Cypher.in(n.property('identifier'), new Cypher.NamedParam('ids')), filter)
        : filter;
      const simpleOutcomes: Cypher.Expr[] = [];
      for (const i of simple) {
        const rule = rules[i];
        if (rule.kind === 'simple') simpleOutcomes.push(Cypher.coalesce(rule.predicate, Cypher.false));
      }
      const passed = selected.map((i) => {
        const rule = rules[i];
        if (rule.kind === 'simple') return outcomes.index(simple.indexOf(i));
        // Rule text is user Cypher by design, and the only user text spliced here: each rule goes
        // in alone as one parenthesised boolean over `e`, never joined with other user strings.
        // That is safe because (1) rule-text.ts made sure the text cannot leave its parentheses
        // (balanced brackets, no comment, `;` or parameter), (2) validate-scorecard.ts had Neo4j
        // plan it (EXPLAIN) as read-only with no procedure call, LOAD CSV or transactional
        // subquery before it was saved, and (3) the query runs in a READ transaction with a
        // timeout (evaluate.ts), where Neo4j itself refuses writes and stops slow rules.
        return Cypher.coalesce(Cypher.eq(new Cypher.Raw(`(${rule.text})`), Cypher.true), Cypher.false);
      });
      const { cypher, params } = new Cypher.Match(new Cypher.Pattern(n, { labels: [options.partial ? 'Entity' : label] }))
        .where(where)
        .with([n, e], [new Cypher.List(simpleOutcomes), outcomes])
        .return([e.property('identifier'), 'entity'], [new Cypher.List(passed), 'passed'])
        .build();
      return { query: cypher, params };
    },
    probe(index) {
      const rule = rules[index];
      if (rule.kind !== 'cypher') throw new Error(`rule ${index} is not a Cypher rule`);
      const head = `MATCH (n:${escapeName(label)}) WITH n AS e LIMIT 1 RETURN coalesce((`;
      return { query: `${head}${rule.text}) = true, false) AS passed`, offset: head.length };
    },
  };
}
