/**
 * Compiled GraphQL lists: the most common GraphQL read — one blueprint's list, filtered by
 * equality, sorted, paged, with its fields and its relations' fields — answered by one Cypher
 * statement that Plexus compiles itself, instead of @neo4j/graphql's translation and
 * graphql-yoga's execution (issue 15: a list cost about twice the CPU of the same hand-written
 * query, half of all the CPU of the mixed load).
 *
 * Correctness comes first, by construction: a request takes this path only when every part of it
 * is understood here, and otherwise goes to graphql-yoga and @neo4j/graphql unchanged.
 * - The document is parsed and validated by graphql-js against the served schema once (plans are
 *   cached per document and schema); the GraphQL limits are checked, the variables coerced and
 *   the arguments read by graphql-js on every request, as for any other request.
 * - Only a query with one root field, a blueprint's list (`services`), without fragments or
 *   directives; its arguments `where` (a property `eq` or `in` a non-null value, AND-ed), `sort`
 *   (one property per entry), `limit` and `offset`; stored fields (identifier, title, the
 *   blueprint's properties, `_blueprint`, `_createdAt`, `_updatedAt`, `_sources`), `__typename`,
 *   and relation fields (outgoing to one blueprint, or inverse) without arguments, recursively.
 * - Only for a caller who may read every blueprint the query touches in full (the `reads<Label>`
 *   claim @neo4j/graphql's `@authorization` rules test on every row): nothing is filtered, so
 *   there is no per-row rule to evaluate. Callers with a narrower scope take the library path.
 * - Values are serialized by the schema's own scalars; anything they refuse (a null in a
 *   non-null field, a value of the wrong type), or any database error, sends the request to the
 *   library path, which answers it as before.
 * Labels, relationship types and property names come from the validated model, never from the
 * request; values are parameters (@neo4j/cypher-builder).
 */
import { createRequire } from 'node:module';
import Cypher from '@neo4j/cypher-builder';
import {
  type Blueprint,
  inverseFieldOf,
  labelOf,
  type Model,
  pluralFieldOf,
  relTypeOf,
  targetsOf,
} from '@plexus/contract';
import type {
  DocumentNode,
  FieldNode,
  GraphQLField,
  GraphQLObjectType,
  GraphQLOutputType,
  GraphQLSchema,
  OperationDefinitionNode,
  SelectionSetNode,
} from 'graphql';
import neo4j from 'neo4j-driver';
import { readsClaimOf } from '../auth/graphql-rules.ts';
import { type Db, runStatement } from '../db/driver.ts';
import type { ExecutionContext } from './build-schema.ts';
import { checkGraphqlLimits, type GraphqlLimits } from './limits.ts';
import { storedFieldsOf } from './type-defs.ts';

// @neo4j/graphql's schema holds the CommonJS copy of graphql: its types and helpers must match.
const gql = createRequire(import.meta.url)('graphql') as typeof import('graphql');

/** A selected field: a stored scalar, `__typename`, or a relation with its own selection. */
type Selected =
  | { kind: 'scalar'; key: string; property: string; type: GraphQLOutputType }
  | { kind: 'typename'; key: string; value: string }
  | {
      kind: 'relation';
      key: string;
      relType: string;
      direction: 'out' | 'in';
      label: string;
      fields: Selected[];
    };

/** What a document compiles to: enough to answer it for any variables. */
interface Plan {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  field: FieldNode;
  fieldDef: GraphQLField<unknown, unknown>;
  /** The response key of the root field (its alias or name). */
  key: string;
  label: string;
  /** Stored non-list scalar fields of the root type, by GraphQL field name: what `where` and `sort` may name. */
  comparable: Set<string>;
  fields: Selected[];
  /** The `reads<Label>` claims of every blueprint the query reads. */
  claims: string[];
  /** Statements by request shape (filters, order, paging), built on first use. */
  statements: Map<string, string>;
}

/** A /graphql request body, as yoga would read it. */
interface GraphqlBody {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

/** Thrown while answering: this request goes to the library path. */
class NotCompiled extends Error {}

const maxPlans = 500;
const maxQueryLength = 8_192;
const maxStatementsPerPlan = 64;

/** The relation behind a relation field of `bp`'s type: outgoing (one target blueprint) or inverse. */
function relationOf(
  model: Model,
  bp: Blueprint,
  field: string,
): { relType: string; direction: 'out' | 'in'; target: string } | null {
  const own = bp.relations?.[field];
  if (own) {
    const targets = targetsOf(own);
    return targets.length === 1 ? { relType: relTypeOf(field), direction: 'out', target: targets[0] } : null;
  }
  for (const source of model.values()) {
    for (const [name, rel] of Object.entries(source.relations ?? {})) {
      if (targetsOf(rel).includes(bp.identifier) && inverseFieldOf(source, name, rel) === field) {
        return { relType: relTypeOf(name), direction: 'in', target: source.identifier };
      }
    }
  }
  return null;
}

/** Compiles documents to plans and answers requests with them; one per served schema. */
export interface CompiledLists {
  /**
   * The JSON answer of a /graphql POST body, or null when the request takes the library path
   * (not a compiled shape, a narrower read scope, invalid variables, over the limits, a value
   * the schema's scalars refuse, a database error).
   */
  answer(body: unknown, ctx: ExecutionContext): Promise<string | null>;
}

export function createCompiledLists(deps: {
  schema: GraphQLSchema;
  model: Model;
  db: Db;
  limits: GraphqlLimits;
}): CompiledLists {
  const { schema, model, db, limits } = deps;
  const byField = new Map<string, Blueprint>();
  for (const bp of model.values()) byField.set(pluralFieldOf(bp.identifier), bp);
  const plans = new Map<string, Plan | null>();

  function select(
    type: GraphQLObjectType,
    bp: Blueprint,
    set: SelectionSetNode,
    claims: Set<string>,
  ): Selected[] | null {
    const stored = storedFieldsOf(bp);
    const out: Selected[] = [];
    const keys = new Set<string>();
    for (const sel of set.selections) {
      if (
        sel.kind !== gql.Kind.FIELD ||
        (sel.directives?.length ?? 0) > 0 ||
        (sel.arguments?.length ?? 0) > 0
      )
        return null;
      const key = sel.alias?.value ?? sel.name.value;
      // The same key twice is merged by GraphQL; rare enough to leave to the library.
      if (keys.has(key)) return null;
      keys.add(key);
      const name = sel.name.value;
      if (name === '__typename') {
        out.push({ kind: 'typename', key, value: type.name });
        continue;
      }
      const def = type.getFields()[name];
      if (!def) return null;
      if (stored.has(name)) {
        if (sel.selectionSet || !gql.isLeafType(gql.getNamedType(def.type))) return null;
        out.push({ kind: 'scalar', key, property: name, type: def.type });
        continue;
      }
      const rel = relationOf(model, bp, name);
      const target = rel ? model.get(rel.target) : undefined;
      const targetType = target ? schema.getType(labelOf(target.identifier)) : undefined;
      if (
        !rel ||
        !target ||
        !sel.selectionSet ||
        !gql.isObjectType(targetType) ||
        gql.getNamedType(def.type) !== targetType
      )
        return null;
      claims.add(readsClaimOf(target.identifier));
      const fields = select(targetType, target, sel.selectionSet, claims);
      if (!fields) return null;
      out.push({
        kind: 'relation',
        key,
        relType: rel.relType,
        direction: rel.direction,
        label: labelOf(target.identifier),
        fields,
      });
    }
    return out;
  }

  function compile(query: string, operationName: string | null): Plan | null {
    let document: DocumentNode;
    try {
      document = gql.parse(query);
    } catch {
      return null;
    }
    if (document.definitions.some((d) => d.kind !== gql.Kind.OPERATION_DEFINITION)) return null;
    const operations = document.definitions as OperationDefinitionNode[];
    const operation = operationName
      ? operations.find((o) => o.name?.value === operationName)
      : operations.length === 1
        ? operations[0]
        : undefined;
    if (!operation || operation.operation !== 'query' || (operation.directives?.length ?? 0) > 0) return null;
    if (operation.selectionSet.selections.length !== 1) return null;
    const field = operation.selectionSet.selections[0];
    if (field.kind !== gql.Kind.FIELD || (field.directives?.length ?? 0) > 0 || !field.selectionSet)
      return null;
    const bp = byField.get(field.name.value);
    const fieldDef = schema.getQueryType()?.getFields()[field.name.value];
    const type = bp ? schema.getType(labelOf(bp.identifier)) : undefined;
    if (!bp || !fieldDef || !gql.isObjectType(type) || gql.getNamedType(fieldDef.type) !== type) return null;
    if ((field.arguments ?? []).some((a) => !['where', 'sort', 'limit', 'offset'].includes(a.name.value)))
      return null;
    const claims = new Set([readsClaimOf(bp.identifier)]);
    const fields = select(type, bp, field.selectionSet, claims);
    if (!fields) return null;
    // Valid against the served schema, or the library answers with the errors. Checked after the
    // shape: what `select` accepts has one field per response key, so validation stays linear.
    if (gql.validate(schema, document).length > 0) return null;
    const comparable = new Set([...storedFieldsOf(bp)].filter(([, list]) => !list).map(([name]) => name));
    return {
      document,
      operation,
      field,
      fieldDef,
      key: field.alias?.value ?? field.name.value,
      label: labelOf(bp.identifier),
      comparable,
      fields,
      claims: [...claims],
      statements: new Map(),
    };
  }

  function planOf(body: GraphqlBody): Plan | null {
    const key = `${body.operationName ?? ''}\u0000${body.query}`;
    let plan = plans.get(key);
    if (plan === undefined) {
      plan = compile(body.query, body.operationName ?? null);
      // Bounded: the oldest document is forgotten first.
      if (plans.size >= maxPlans) plans.delete(plans.keys().next().value as string);
      plans.set(key, plan);
    }
    return plan;
  }

  /** The statement for one request's arguments: filter, order, page, then the rows' fields. */
  function statement(
    plan: Plan,
    args: Record<string, unknown>,
  ): { cypher: string; params: Record<string, unknown> } {
    // The request's shape (which filters, which order, whether paged) picks the statement; its
    // values are the parameters. Statements are cached per plan and shape.
    const filters: [string, 'eq' | 'in'][] = [];
    const params: Record<string, unknown> = {};
    const where = args.where;
    if (where !== undefined && where !== null) {
      if (typeof where !== 'object' || Array.isArray(where)) throw new NotCompiled();
      for (const [name, condition] of Object.entries(where)) {
        if (!plan.comparable.has(name) || !condition || typeof condition !== 'object')
          throw new NotCompiled();
        const ops = Object.entries(condition as Record<string, unknown>);
        if (ops.length !== 1) throw new NotCompiled();
        const [op, value] = ops[0];
        const scalar = (v: unknown) => v !== null && v !== undefined && typeof v !== 'object';
        if (!((op === 'eq' && scalar(value)) || (op === 'in' && Array.isArray(value) && value.every(scalar))))
          throw new NotCompiled();
        params[`w${filters.length}`] = value;
        filters.push([name, op]);
      }
    }
    const order: [string, 'ASC' | 'DESC'][] = [];
    if (args.sort !== undefined && args.sort !== null) {
      if (!Array.isArray(args.sort)) throw new NotCompiled();
      for (const entry of args.sort) {
        const keys =
          entry && typeof entry === 'object' ? Object.entries(entry as Record<string, unknown>) : [];
        if (keys.length !== 1) throw new NotCompiled();
        const [name, direction] = keys[0];
        if (!plan.comparable.has(name) || (direction !== 'ASC' && direction !== 'DESC'))
          throw new NotCompiled();
        order.push([name, direction]);
      }
    }
    for (const key of ['offset', 'limit'] as const) {
      const v = args[key];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new NotCompiled();
      params[key] = neo4j.int(v);
    }
    const shape = JSON.stringify([filters, order, 'offset' in params, 'limit' in params]);
    let cypher = plan.statements.get(shape);
    if (cypher === undefined) {
      cypher = build(plan, filters, order, 'offset' in params, 'limit' in params);
      if (plan.statements.size < maxStatementsPerPlan) plan.statements.set(shape, cypher);
    }
    return { cypher, params };
  }

  /** The statement of one shape: filter, order, page, then the rows' fields. Values are `$w<i>`, `$offset`, `$limit`. */
  function build(
    plan: Plan,
    filters: [string, 'eq' | 'in'][],
    order: [string, 'ASC' | 'DESC'][],
    offset: boolean,
    limit: boolean,
  ): string {
    const node = new Cypher.Node();
    const predicates = filters.map(([name, op], i) =>
      (op === 'eq' ? Cypher.eq : Cypher.in)(node.property(name), new Cypher.NamedParam(`w${i}`)),
    );
    const match = new Cypher.Match(new Cypher.Pattern(node, { labels: [plan.label] }));
    if (predicates.length > 0) match.where(Cypher.and(...predicates));
    const paged = match.with(node);
    if (order.length > 0)
      paged.orderBy(
        ...order.map(
          ([name, direction]) => [node.property(name), direction] as [Cypher.Property, 'ASC' | 'DESC'],
        ),
      );
    if (offset) paged.skip(new Cypher.NamedParam('offset'));
    if (limit) paged.limit(new Cypher.NamedParam('limit'));
    return paged.return([projection(node, plan.fields), 'row']).build().cypher;
  }

  /** The stored values a selection needs, as one list per row (relations: a list of such lists). */
  function projection(node: Cypher.Node, fields: Selected[]): Cypher.Expr {
    const items: Cypher.Expr[] = [];
    for (const f of fields) {
      if (f.kind === 'scalar') items.push(node.property(f.property));
      else if (f.kind === 'relation') {
        const target = new Cypher.Node();
        const pattern = new Cypher.Pattern(node)
          .related({ type: f.relType, direction: f.direction === 'out' ? 'right' : 'left' })
          .to(target, { labels: [f.label] });
        // DISTINCT targets, as the library's `WITH DISTINCT` does.
        items.push(
          new Cypher.Collect(
            new Cypher.Match(pattern)
              .with(target)
              .distinct()
              .return([projection(target, f.fields), 'v']),
          ),
        );
      }
    }
    return new Cypher.List(items);
  }

  /** A value completed as graphql-js would: the schema's scalars, nulls only where allowed. */
  function complete(type: GraphQLOutputType, value: unknown): unknown {
    if (gql.isNonNullType(type)) {
      if (value === null || value === undefined) throw new NotCompiled();
      return complete(type.ofType, value);
    }
    if (value === null || value === undefined) return null;
    if (gql.isListType(type)) {
      if (!Array.isArray(value)) throw new NotCompiled();
      return value.map((v) => complete(type.ofType, v));
    }
    if (gql.isScalarType(type) || gql.isEnumType(type)) {
      try {
        const out = type.serialize(value);
        if (out === undefined) throw new NotCompiled();
        return out;
      } catch {
        throw new NotCompiled();
      }
    }
    throw new NotCompiled();
  }

  function objectOf(fields: Selected[], row: unknown[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    let i = 0;
    for (const f of fields) {
      if (f.kind === 'typename') out[f.key] = f.value;
      else if (f.kind === 'scalar') out[f.key] = complete(f.type, row[i++]);
      else out[f.key] = (row[i++] as unknown[][]).map((r) => objectOf(f.fields, r));
    }
    return out;
  }

  return {
    async answer(raw, ctx) {
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return null;
      const { query, variables, operationName, ...rest } = raw as Record<string, unknown>;
      if (Object.values(rest).some((v) => v !== undefined && v !== null)) return null;
      if (typeof query !== 'string' || query.length > maxQueryLength) return null;
      if (operationName !== undefined && operationName !== null && typeof operationName !== 'string')
        return null;
      if (
        variables !== undefined &&
        variables !== null &&
        (typeof variables !== 'object' || Array.isArray(variables))
      )
        return null;
      const body: GraphqlBody = {
        query,
        variables: variables as GraphqlBody['variables'],
        operationName: operationName as string | null,
      };
      const plan = planOf(body);
      if (!plan) return null;
      const jwt = ctx.jwt as unknown as Record<string, unknown>;
      if (plan.claims.some((c) => jwt[c] !== true)) return null;
      if (
        checkGraphqlLimits(schema, plan.document, limits, {
          operationName: body.operationName,
          variables: body.variables,
        }).length > 0
      )
        return null;
      const coerced = gql.getVariableValues(
        schema,
        plan.operation.variableDefinitions ?? [],
        body.variables ?? {},
      );
      if (coerced.errors) return null;
      try {
        const { cypher, params } = statement(
          plan,
          gql.getArgumentValues(plan.fieldDef, plan.field, coerced.coerced),
        );
        const target: Db = { ...db, database: ctx.sessionConfig?.database ?? db.database };
        const { records } = await runStatement(target, cypher, params, {
          mode: 'READ',
          timeoutMs: ctx.transaction?.timeout,
        });
        const rows = records.map((r) => objectOf(plan.fields, r.get('row') as unknown[]));
        return JSON.stringify({ data: { [plan.key]: rows } });
      } catch {
        // Not a compiled shape after all, a refused value or a database error: the library answers.
        return null;
      }
    },
  };
}
