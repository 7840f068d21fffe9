import { createRequire } from 'node:module';
import type {
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  GraphQLError as GraphQLErrorType,
  GraphQLSchema,
  OperationDefinitionNode,
  SelectionSetNode,
  ValueNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

// The schema comes from @neo4j/graphql, which loads graphql as CommonJS: errors and type checks
// must come from that same copy (see queries/saved-queries.ts).
const {
  GraphQLError,
  Kind,
  getNamedType,
  isListType,
  isNonNullType,
  isCompositeType,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
} = createRequire(import.meta.url)('graphql') as typeof import('graphql');

/** How much one GraphQL request may ask for (config.ts `graphqlLimits`). */
export interface GraphqlLimits {
  /** Deepest field nesting outside introspection (a root field is depth 1). */
  maxDepth: number;
  /** Aliased fields in the operation, fragments expanded. */
  maxAliases: number;
  /** Fields selected at the root of the operation, fragments expanded. */
  maxRootFields: number;
  /** Estimated cost (see `estimateCost`). */
  maxCost: number;
  /** Neo4j transaction timeout of the request's queries; the response is abandoned shortly after. */
  timeoutMs: number;
  /** GraphQL, search, impact and saved-query requests in flight per caller (429 above). */
  maxConcurrent: number;
}

export const defaultGraphqlLimits: GraphqlLimits = {
  maxDepth: 10,
  maxAliases: 100,
  maxRootFields: 100,
  maxCost: 50_000,
  timeoutMs: 30_000,
  maxConcurrent: 4,
};

/** Rows a list field is assumed to return when no `limit`/`first` says: at the root, and nested. */
const rootListSize = 100;
const nestedListSize = 10;
/** Cost of one impact walk per hop of `depth` (a variable-length match that fans out). */
const impactCostPerHop = 100;
const defaultImpactDepth = 3;
/** Cost of one `__schema` or `__type`: introspection runs in memory but its answer is large. */
const introspectionCost = 1_000;
/** Introspection may nest deeper (GraphiQL's TypeRef fragment), but not lists within lists within lists. */
const maxIntrospectionDepth = 15;
const maxIntrospectionListNesting = 3;
/** Fields visited before the analysis itself gives up (fragments spread into each other many times). */
const maxVisits = 100_000;

/** What `analyseOperation` measured; `exceeded` names the first limit passed. */
export interface GraphqlCostReport {
  depth: number;
  aliases: number;
  rootFields: number;
  cost: number;
  exceeded: string | null;
}

class Exceeded extends Error {}

type NamedType = ReturnType<typeof getNamedType>;

/**
 * Measures one operation of a parsed document against `schema`: depth, aliases, root fields and
 * the estimated cost — every object a field returns costs 1 (scalars are free), a list field
 * multiplies what is below it by its `limit`/`first` argument (or 100 at the root, 10 nested),
 * and `impact` adds 100 per hop of its depth. Fragments are expanded where they are spread; a
 * fragment cycle is refused; the walk stops at the first limit passed, so a hostile document
 * costs the server no more than that.
 */
export function analyseOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  limits: Pick<GraphqlLimits, 'maxDepth' | 'maxAliases' | 'maxRootFields' | 'maxCost'>,
  options: { operationName?: string | null; variables?: Record<string, unknown> | null } = {},
): GraphqlCostReport {
  const fragments = new Map<string, FragmentDefinitionNode>();
  const operations: OperationDefinitionNode[] = [];
  for (const d of document.definitions) {
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
    else if (d.kind === Kind.OPERATION_DEFINITION) operations.push(d);
  }
  const report: GraphqlCostReport = { depth: 0, aliases: 0, rootFields: 0, cost: 0, exceeded: null };
  const op = options.operationName
    ? operations.find((o) => o.name?.value === options.operationName)
    : operations.length === 1
      ? operations[0]
      : undefined;
  // Several operations and none chosen: measure the worst of them.
  const chosen = op ? [op] : operations;
  const variables = options.variables ?? {};
  let visits = 0;
  const fail = (what: string): never => {
    report.exceeded = what;
    throw new Exceeded(what);
  };

  const intArg = (field: FieldNode, names: string[], defaults: Map<string, unknown>): number | null => {
    for (const a of field.arguments ?? []) {
      if (!names.includes(a.name.value)) continue;
      const v = literalValue(a.value, variables, defaults);
      if (typeof v === 'number' && Number.isFinite(v)) return Math.max(0, v);
    }
    return null;
  };

  /** Cost of a selection set under `parent`; `size` is the row count a list directly below takes when it says none. */
  const walk = (
    set: SelectionSetNode,
    parent: NamedType | undefined,
    depth: number,
    inherited: number | null,
    onPath: Set<string>,
    introspection: { depth: number; lists: number } | null,
    root: boolean,
    defaults: Map<string, unknown>,
  ): number => {
    let total = 0;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FRAGMENT_SPREAD) {
        const name = sel.name.value;
        const frag = fragments.get(name);
        if (!frag) continue; // graphql's own validation names the unknown fragment
        if (onPath.has(name)) fail(`fragment "${name}" spreads itself`);
        onPath.add(name);
        total += walk(
          frag.selectionSet,
          schema.getType(frag.typeCondition.name.value) ?? parent,
          depth,
          inherited,
          onPath,
          introspection,
          root,
          defaults,
        );
        onPath.delete(name);
        continue;
      }
      if (sel.kind === Kind.INLINE_FRAGMENT) {
        const type = sel.typeCondition ? (schema.getType(sel.typeCondition.name.value) ?? parent) : parent;
        total += walk(sel.selectionSet, type, depth, inherited, onPath, introspection, root, defaults);
        continue;
      }
      if (++visits > maxVisits)
        fail(`the query has more than ${maxVisits} fields once its fragments are expanded`);
      const name = sel.name.value;
      if (sel.alias) {
        report.aliases++;
        if (report.aliases > limits.maxAliases)
          fail(`the query has more than ${limits.maxAliases} aliases (PLEXUS_GRAPHQL_MAX_ALIASES)`);
      }
      if (root) {
        report.rootFields++;
        if (report.rootFields > limits.maxRootFields)
          fail(
            `the query selects more than ${limits.maxRootFields} root fields (PLEXUS_GRAPHQL_MAX_ROOT_FIELDS)`,
          );
      }
      if (name === '__typename') continue;
      const isIntrospection = name === '__schema' || name === '__type';
      const def =
        name === '__schema' && root
          ? SchemaMetaFieldDef
          : name === '__type' && root
            ? TypeMetaFieldDef
            : name === '__typename'
              ? TypeNameMetaFieldDef
              : parent && 'getFields' in parent
                ? parent.getFields()[name]
                : undefined;
      const inIntro = introspection ?? (isIntrospection ? { depth: 0, lists: 0 } : null);
      const list = def ? listDepth(def.type) > 0 : false;
      if (inIntro) {
        const here = { depth: inIntro.depth + 1, lists: inIntro.lists + (list ? 1 : 0) };
        if (here.depth > maxIntrospectionDepth)
          fail(`introspection nests deeper than ${maxIntrospectionDepth} fields`);
        if (here.lists > maxIntrospectionListNesting)
          fail(`introspection nests lists more than ${maxIntrospectionListNesting} deep`);
        if (isIntrospection) total += introspectionCost;
        if (sel.selectionSet && def)
          walk(sel.selectionSet, getNamedType(def.type), depth, null, onPath, here, false, defaults);
        if (report.cost + total > limits.maxCost)
          fail(`the query's estimated cost exceeds ${limits.maxCost} (PLEXUS_GRAPHQL_MAX_COST)`);
        continue;
      }
      const d = depth + 1;
      if (d > report.depth) report.depth = d;
      if (d > limits.maxDepth)
        fail(`the query nests deeper than ${limits.maxDepth} fields (PLEXUS_GRAPHQL_MAX_DEPTH)`);
      const named = def ? getNamedType(def.type) : undefined;
      let cost = 0;
      if (named?.name === 'ImpactResult') {
        const hops = intArg(sel, ['depth'], defaults) ?? defaultImpactDepth;
        cost += impactCostPerHop * Math.max(1, hops);
      }
      if (sel.selectionSet && (!named || isCompositeType(named))) {
        const limit = intArg(sel, ['limit', 'first'], defaults) ?? identifierRows(sel, variables, defaults);
        // A list field takes its own limit, or the one of the non-list field above it (connections).
        const rows = list ? (limit ?? inherited ?? (depth === 0 ? rootListSize : nestedListSize)) : 1;
        const below = walk(sel.selectionSet, named, d, list ? null : limit, onPath, null, false, defaults);
        cost += rows * (1 + below);
      }
      total += cost;
      if (root && report.cost + total > limits.maxCost)
        fail(`the query's estimated cost exceeds ${limits.maxCost} (PLEXUS_GRAPHQL_MAX_COST)`);
      if (total > limits.maxCost)
        fail(`the query's estimated cost exceeds ${limits.maxCost} (PLEXUS_GRAPHQL_MAX_COST)`);
    }
    return total;
  };

  try {
    for (const o of chosen) {
      const defaults = new Map<string, unknown>();
      for (const v of o.variableDefinitions ?? [])
        if (v.defaultValue) defaults.set(v.variable.name.value, literalValue(v.defaultValue, {}, new Map()));
      const rootType =
        o.operation === 'query'
          ? schema.getQueryType()
          : o.operation === 'mutation'
            ? schema.getMutationType()
            : schema.getSubscriptionType();
      const before = { rootFields: report.rootFields, aliases: report.aliases };
      report.rootFields = 0;
      report.aliases = 0;
      report.cost += walk(o.selectionSet, rootType ?? undefined, 0, null, new Set(), null, true, defaults);
      report.rootFields = Math.max(before.rootFields, report.rootFields);
      report.aliases = Math.max(before.aliases, report.aliases);
    }
  } catch (err) {
    if (!(err instanceof Exceeded)) throw err;
  }
  return report;
}

/**
 * Rows a list can return when its `where` names identifiers (`identifier: { eq: ... }` or
 * `{ in: [...] }` at its top level): identifiers are unique per blueprint, so an analyst's "this
 * entity and its impact" is not costed as a page of 100. Null when the filter says nothing.
 */
function identifierRows(
  field: FieldNode,
  variables: Record<string, unknown>,
  defaults: Map<string, unknown>,
): number | null {
  const where = field.arguments?.find((a) => a.name.value === 'where')?.value;
  if (!where) return null;
  const fromValue = (v: unknown): number | null => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
    const id = (v as Record<string, unknown>).identifier;
    if (!id || typeof id !== 'object') return null;
    const cond = id as Record<string, unknown>;
    if (typeof cond.eq === 'string') return 1;
    if (Array.isArray(cond.in)) return cond.in.length;
    return null;
  };
  if (where.kind === Kind.VARIABLE)
    return fromValue(variables[where.name.value] ?? defaults.get(where.name.value));
  if (where.kind !== Kind.OBJECT) return null;
  const id = where.fields.find((f) => f.name.value === 'identifier')?.value;
  if (!id || id.kind !== Kind.OBJECT) return null;
  for (const f of id.fields) {
    if (f.name.value === 'eq' && (f.value.kind === Kind.STRING || f.value.kind === Kind.VARIABLE)) return 1;
    if (f.name.value === 'in') {
      if (f.value.kind === Kind.LIST) return f.value.values.length;
      if (f.value.kind === Kind.VARIABLE) {
        const v = variables[f.value.name.value] ?? defaults.get(f.value.name.value);
        if (Array.isArray(v)) return v.length;
      }
    }
  }
  return null;
}

function listDepth(type: unknown): number {
  let t = type as { ofType?: unknown } | undefined;
  let n = 0;
  while (t) {
    if (isListType(t)) n++;
    else if (!isNonNullType(t)) break;
    t = t.ofType as { ofType?: unknown } | undefined;
  }
  return n;
}

function literalValue(
  v: ValueNode,
  variables: Record<string, unknown>,
  defaults: Map<string, unknown>,
): unknown {
  switch (v.kind) {
    case Kind.INT:
    case Kind.FLOAT:
      return Number(v.value);
    case Kind.VARIABLE:
      return variables[v.name.value] ?? defaults.get(v.name.value);
    default:
      return undefined;
  }
}

/**
 * The errors to answer instead of running the query (empty when it is within the limits):
 * a 400 naming the limit, in GraphQL's error shape.
 */
export function checkGraphqlLimits(
  schema: GraphQLSchema,
  document: DocumentNode,
  limits: GraphqlLimits,
  options: { operationName?: string | null; variables?: Record<string, unknown> | null } = {},
): GraphQLErrorType[] {
  const report = analyseOperation(schema, document, limits, options);
  if (!report.exceeded) return [];
  return [
    new GraphQLError(
      `query refused: ${report.exceeded}; ask for less (fewer fields, aliases or rows, a smaller depth) or split it into several requests`,
      {
        // `spec: false`: a 400 even for `application/json` clients, where yoga answers GraphQL
        // validation errors with 200 as the GraphQL-over-HTTP spec says; this is a refusal, not a typo.
        extensions: { code: 'QUERY_TOO_EXPENSIVE', http: { status: 400, spec: false } },
      },
    ),
  ];
}

/**
 * A yoga plugin that refuses documents over the limits before graphql-js's own validation (whose
 * overlapping-fields rule is quadratic in the number of aliases) and long before any Cypher runs.
 */
export function graphqlLimitsPlugin(limits: GraphqlLimits): Plugin {
  return {
    onValidate({ params, context, setResult }) {
      const request = (
        context as { params?: { operationName?: string | null; variables?: Record<string, unknown> | null } }
      ).params;
      const errors = checkGraphqlLimits(params.schema, params.documentAST, limits, {
        operationName: request?.operationName,
        variables: request?.variables,
      });
      if (errors.length > 0) setResult(errors);
    },
  };
}
