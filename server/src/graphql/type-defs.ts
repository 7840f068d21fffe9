import {
  type Blueprint,
  inverseFieldOf,
  labelOf,
  type Model,
  type PropertySchema,
  pluralFieldOf,
  relTypeOf,
  targetsOf,
} from '@plexus/contract';
import { authorizationDirective, readsClaimOf, relationFilterDirective } from '../auth/graphql-rules.ts';
import { calculatedExpression } from '../model/blueprint-store.ts';

const scalarOf: Record<string, string> = {
  string: 'String',
  number: 'Float',
  integer: 'Int',
  boolean: 'Boolean',
};

function fieldType(p: PropertySchema): string {
  if (p.type === 'array') return `[${scalarOf[p.items?.type ?? 'string']}!]`;
  // Objects are stored as JSON strings: GraphQL returns the string.
  if (p.type === 'object') return 'String';
  return scalarOf[p.type];
}

/**
 * The fields every blueprint's type has that are node properties of the same name, with their
 * GraphQL types (the blueprint's properties are too, typed by `fieldType`).
 */
const storedEntityFields: Readonly<Record<string, string>> = {
  identifier: 'String!',
  title: 'String',
  _blueprint: 'String!',
  _createdAt: 'String',
  _updatedAt: 'String',
  _sources: '[String!]',
};

/**
 * The fields of a blueprint's type that read a node property of the same name, each with
 * whether it is a list: what compiled list reads (compiled-lists.ts) may read straight from the
 * node. Calculated, relation and custom fields are not among them.
 */
export function storedFieldsOf(bp: Blueprint): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const [name, type] of Object.entries(storedEntityFields)) out.set(name, type.startsWith('['));
  for (const [name, p] of Object.entries(bp.schema.properties)) out.set(name, fieldType(p).startsWith('['));
  return out;
}

function describe(text: string | undefined): string {
  return text ? `${JSON.stringify(text)}\n` : '';
}

/** Name of the union type of a polymorphic relation. */
function unionName(source: Blueprint, relation: string): string {
  return `${labelOf(source.identifier)}${labelOf(relation)}Target`;
}

/** Plexus's own schema parts: the Entity interface, JSON scalar and the write-path mutations. */
export const baseTypeDefs = /* GraphQL */ `
  scalar JSON

  "Every catalog entity, whatever its blueprint."
  interface Entity {
    identifier: String!
    title: String
    _blueprint: String!
    _createdAt: String
    _updatedAt: String
    _sources: [String!]
  }

  input EntityInput {
    identifier: String!
    blueprint: String!
    title: String
    properties: JSON
    relations: JSON
  }

  input EntityRefInput {
    blueprint: String!
    identifier: String!
  }

  type UpsertedEntity {
    blueprint: String!
    identifier: String!
    status: String!
  }

  type UpsertEntitiesResult {
    upserted: Int!
    created: Int!
    updated: Int!
    unchanged: Int!
    results: [UpsertedEntity!]!
  }

  type DeleteEntitiesResult {
    deleted: Int!
  }

  enum ImpactDirection {
    UPSTREAM
    DOWNSTREAM
    BOTH
  }

  type EntityRef {
    identifier: String!
    blueprint: String!
    title: String
  }

  type ImpactNode {
    identifier: String!
    blueprint: String!
    title: String
    distance: Int!
    "upstream, downstream or both"
    direction: String!
    "blueprint:identifier keys from the root to this entity (a shortest path)."
    path: [String!]!
    "The affected entity itself, typed: select its fields with ... on Service { ownedBy { ... } }. Null when not readable."
    entity: Entity
    "With include owners (or members, oncall): its owners (ownership relations)."
    owners: [EntityRef!]
    "With include members: the members of its owners (membership relations)."
    members: [EntityRef!]
    "With include oncall: who is on call for it or for its owners (oncall relations)."
    onCall: [EntityRef!]
  }

  "An owner of affected entities and how many of them it owns."
  type ImpactTeam {
    identifier: String!
    blueprint: String!
    title: String
    entities: Int!
  }

  "A member or on-call person of the owners of affected entities."
  type ImpactPerson {
    identifier: String!
    blueprint: String!
    title: String
    member: Boolean!
    onCall: Boolean!
    entities: Int!
  }

  "Counts of an impact result; teams and people only with include."
  type ImpactSummary {
    "Affected entities per blueprint, e.g. {service: 43}."
    byBlueprint: JSON!
    entities: Int!
    teams: [ImpactTeam!]!
    people: [ImpactPerson!]!
    onCall: [EntityRef!]!
  }

  "Which way reachable walks relations: outgoing follows the entity's own relations."
  enum ReachDirection {
    OUTGOING
    INCOMING
    BOTH
  }

  "A group of an aggregation: its key, the related entity's title and blueprint (relation groups), the count and the other metrics."
  type AggregateGroup {
    key: JSON
    title: String
    blueprint: String
    count: Int!
    "Every metric asked for, by name (count, sum:tier, ...)."
    metrics: JSON!
  }

  type AggregateResult {
    groups: [AggregateGroup!]!
    total: Int!
  }

  "An edge of an impact result; source and target are blueprint:identifier keys."
  type ImpactEdge {
    source: String!
    target: String!
    relation: String!
  }

  type ImpactResult {
    root: EntityRef!
    nodes: [ImpactNode!]!
    edges: [ImpactEdge!]!
    truncated: Boolean!
    summary: ImpactSummary!
  }

  type SearchHit {
    identifier: String!
    blueprint: String!
    title: String
    score: Float!
  }

  type FoundEntity {
    identifier: String!
    blueprint: String!
    title: String
    properties: JSON
    relations: JSON
  }

  type EntitySearchResult {
    entities: [FoundEntity!]!
    next: String
  }

  "A rule of a scorecard and whether the entity passes it."
  type EntityScorecardRule {
    identifier: String!
    title: String
    level: String!
    passed: Boolean!
  }

  "Where an entity stands on one scorecard."
  type EntityScorecard {
    identifier: String!
    title: String
    level: String!
    "The level above, null at the top."
    nextLevel: String
    levels: [String!]!
    score: Float!
    evaluatedAt: String
    rules: [EntityScorecardRule!]!
  }

  type ScorecardRuleOutcome {
    identifier: String!
    passed: Boolean!
  }

  "One entity's result on a scorecard."
  type ScorecardResultRow {
    entity: String!
    blueprint: String!
    title: String
    level: String!
    score: Float!
    rules: [ScorecardRuleOutcome!]!
    evaluatedAt: String
  }

  type ScorecardResultPage {
    results: [ScorecardResultRow!]!
    next: String
  }

  "A line of a run's log."
  type ActionRunLog {
    seq: Int!
    at: String!
    message: String!
  }

  "A run of an action (GET /api/v1/runs/{run})."
  type ActionRun {
    id: String!
    action: String!
    "blueprint:identifier of the target, null for a CREATE action."
    entity: String
    "WAITING_FOR_APPROVAL, IN_PROGRESS, SUCCESS, FAILURE, DECLINED, CANCELLED or TIMED_OUT."
    status: String!
    statusLabel: String
    "Inputs, secrets masked."
    inputs: JSON!
    "The first page of the log (GET /api/v1/runs/{run}/logs for the rest)."
    logs: [ActionRunLog!]!
    link: String
    summary: String
    affectedEntities: [String!]!
    createdBy: String!
    createdAt: String!
    updatedAt: String!
    endedAt: String
  }

  type ActionRunPage {
    runs: [ActionRun!]!
    next: String
  }

  enum ActionOperation {
    CREATE
    DAY2
    DELETE
  }

  type Query {
    "Actions the caller may see (GET /api/v1/actions): of a blueprint, or those that apply to an entity (blueprint:identifier) and the caller may run."
    actions(blueprint: String, entity: String, operation: ActionOperation): [JSON!]!
    "One action as GET /api/v1/actions/{action} returns it (secrets masked); null when it does not exist."
    action(identifier: String!): JSON
    "Runs the caller may see, newest first."
    runs(action: String, status: String, entity: String, actor: String, limit: Int, cursor: String): ActionRunPage!
    "One run; null when it does not exist or is not visible."
    run(id: String!): ActionRun
    "Every scorecard: definition and evaluation status, as GET /api/v1/scorecards lists them."
    scorecardDefinitions: [JSON!]!
    "One scorecard as GET /api/v1/scorecards/{scorecard} returns it; null when it does not exist."
    scorecardDefinition(identifier: String!): JSON
    "Results of a scorecard among readable entities: at a level, or below one (e.g. below Silver)."
    scorecardResults(scorecard: String!, level: String, below: String, limit: Int, cursor: String): ScorecardResultPage!
    "Version of the blueprint model this schema was generated from."
    plexusModelVersion: Int!
    "Ranked full-text search over identifiers, titles and string properties of every blueprint."
    search(q: String!, blueprint: String, limit: Int): [SearchHit!]!
    "Structured search: the rules language of POST /api/v1/search ({blueprint, combinator, rules, limit, cursor})."
    findEntities(search: JSON!): EntitySearchResult!
    "Entities that depend on (downstream) or are depended on by (upstream) an entity, over the given relations."
    impact(blueprint: String!, identifier: String!, direction: ImpactDirection = DOWNSTREAM, relations: [String!], depth: Int = 3, include: [String!]): ImpactResult!
    "Groups a search (or an impact result) by blueprint, property or related entity with metrics: the body of POST /api/v1/search/aggregate."
    aggregate(request: JSON!): AggregateResult!
  }

  type Mutation {
    "Creates or updates entities through the catalog's write path (validated, batched, audited)."
    upsertEntities(entities: [EntityInput!]!, merge: Boolean = false): UpsertEntitiesResult!
    "Deletes entities (and their relationships)."
    deleteEntities(entities: [EntityRefInput!]!): DeleteEntitiesResult!
    "Creates a scorecard (the body of POST /api/v1/scorecards; admin); returns it as stored. It is evaluated in the background."
    createScorecard(scorecard: JSON!): JSON!
    "Replaces a scorecard's definition (the body of PUT /api/v1/scorecards/{scorecard}; admin)."
    replaceScorecard(identifier: String!, scorecard: JSON!): JSON!
    "Deletes a scorecard with its results and history (admin)."
    deleteScorecard(identifier: String!): Boolean!
    "Evaluates a scorecard over all its target entities now (admin); returns the summary per level."
    evaluateScorecard(identifier: String!): JSON!
    "Runs an action (POST /api/v1/actions/{action}/runs): entity is blueprint:identifier for DAY-2 and DELETE actions."
    runAction(action: String!, entity: String, inputs: JSON): ActionRun!
  }
`;

/**
 * Generates @neo4j/graphql type definitions from the model: one `@node` type per blueprint
 * (its label and `Entity`, which lets lookups by identifier use the entity key's index; compiled
 * list reads, compiled-lists.ts, match the blueprint's label alone), a field per property, a field per relation and, on each target,
 * an inverse field; generated mutations are switched off (`@mutation(operations: [])`); reads
 * are filtered per request by the `@authorization` rules of auth/graphql-rules.ts.
 */
export function generateTypeDefs(model: Model, options: { ownerRelation?: string } = {}): string {
  const ownerRelation = options.ownerRelation ?? 'ownedBy';
  // The claims the @authorization rules read (AccessControl.graphqlJwt): one flag per blueprint
  // readable in full, so a rule compares one value instead of searching a list on every row.
  const jwt = [
    '"Claims of a request\'s JWT that the @authorization rules read (AccessControl.graphqlJwt)."',
    'type JWT @jwt {',
    ...[...model.keys()].map((bp) => `  "The caller may read every ${bp}."\n  ${readsClaimOf(bp)}: Boolean`),
    '  "Blueprints the caller may read where a team of theirs owns the entity."',
    '  owning: [String!]',
    '  "The caller\'s teams."',
    '  teams: [String!]',
    '}',
  ].join('\n');
  const inverse = new Map<string, string[]>();
  const unions: string[] = [];
  for (const source of model.values()) {
    for (const [name, rel] of Object.entries(source.relations ?? {})) {
      const field = inverseFieldOf(source, name, rel);
      for (const target of targetsOf(rel)) {
        const list = inverse.get(target) ?? [];
        list.push(
          `  ${describe(`Entities whose "${name}" relation points here (inverse of ${source.identifier}.${name}).`)}  ${field}: [${labelOf(source.identifier)}!]! @relationship(type: "${relTypeOf(name)}", direction: IN)${relationFilterDirective([source])}`,
        );
        inverse.set(target, list);
      }
      if (targetsOf(rel).length > 1) {
        unions.push(`union ${unionName(source, name)} = ${targetsOf(rel).map(labelOf).join(' | ')}`);
      }
    }
  }
  const types = [...model.values()].map((bp) => {
    const label = labelOf(bp.identifier);
    const lines = [
      '  "Impact of this entity (see Query.impact)."',
      '  impact(direction: ImpactDirection = DOWNSTREAM, relations: [String!], depth: Int = 3, include: [String!]): ImpactResult! @customResolver(requires: "identifier _blueprint")',
      '  "Entities within depth hops (at most 6) over relations (default: those of role dependency), nearest first; where takes rules of the search language."',
      '  reachable(relations: [String!], direction: ReachDirection = OUTGOING, depth: Int = 1, blueprint: String, where: JSON, limit: Int = 100): [Entity!]! @customResolver(requires: "identifier _blueprint")',
      '  "Where this entity stands on each scorecard that scores it."',
      '  scorecards: [EntityScorecard!]! @customResolver(requires: "identifier _blueprint")',
      '  "The latest action runs on this entity, newest first."',
      '  runs(limit: Int = 10): [ActionRun!]! @customResolver(requires: "identifier _blueprint")',
      ...Object.entries(storedEntityFields).map(([name, type]) => `  ${name}: ${type}`),
    ];
    for (const [name, p] of Object.entries(bp.schema.properties)) {
      lines.push(`  ${describe(p.description ?? p.title)}  ${name}: ${fieldType(p)}`);
    }
    for (const [name, calc] of Object.entries(bp.calculated ?? {})) {
      // The expression was checked read-only on save; JSON string escaping is valid GraphQL string escaping.
      const statement = JSON.stringify(`RETURN ${calculatedExpression('this', calc.cypher)} AS value`);
      lines.push(
        `  ${describe(calc.description ?? calc.title)}  ${name}: ${scalarOf[calc.type]} @cypher(statement: ${statement}, columnName: "value")`,
      );
    }
    for (const [name, rel] of Object.entries(bp.relations ?? {})) {
      const targets = targetsOf(rel);
      const type = targets.length > 1 ? unionName(bp, name) : labelOf(targets[0]);
      lines.push(
        `  ${describe(rel.description ?? rel.title)}  ${name}: [${type}!]! @relationship(type: "${relTypeOf(name)}", direction: OUT)${relationFilterDirective(targets.map((t) => model.get(t)))}`,
      );
    }
    lines.push(...(inverse.get(bp.identifier) ?? []));
    return `${describe(bp.description ?? bp.title)}type ${label} implements Entity @node(labels: ["${label}", "Entity"]) @mutation(operations: []) @plural(value: "${pluralFieldOf(bp.identifier)}") ${authorizationDirective(bp, ownerRelation)} {\n${lines.join('\n')}\n}`;
  });
  return [jwt, ...types, ...unions].join('\n\n');
}
