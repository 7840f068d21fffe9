/**
 * The rules language of search (`POST /api/v1/search`), also used by scorecard filters, action
 * conditions and entity pickers: its shapes, shared by the server (which compiles them to Cypher
 * in server/src/search/rules.ts) and the UI (which builds them).
 */
export const operators = ['=', '!=', '>', '>=', '<', '<=', 'in', 'notIn', 'contains', 'beginsWith', 'endsWith', 'isEmpty', 'isNotEmpty', 'between'] as const;
export type Operator = (typeof operators)[number];

export interface PropertyRule {
  property: string;
  operator: Operator;
  value?: unknown;
}
export interface RelationRule {
  relation: string;
  direction?: 'outgoing' | 'incoming';
  blueprint?: string;
  identifier?: string;
  depth?: number;
  combinator?: 'and' | 'or';
  rules?: Rule[];
}
export interface GroupRule {
  combinator: 'and' | 'or';
  rules: Rule[];
}
/**
 * Some entity within `depth` hops over any of `relations` (default: those of role
 * `dependency`) matches: the k-hop question as one rule.
 */
export interface ReachableRule {
  reachable: {
    relations?: string[];
    direction?: 'outgoing' | 'incoming' | 'both';
    depth?: number;
    blueprint?: string;
    identifier?: string;
    combinator?: 'and' | 'or';
    rules?: Rule[];
  };
}

/**
 * Entities by their level on a scorecard (its stored results): `level` exactly, `below` a level
 * or `atLeast` one; level names in any case. An unknown scorecard or level matches nothing.
 */
export interface ScorecardLevelRule {
  scorecard: string;
  level?: string;
  below?: string;
  atLeast?: string;
}
export type Rule = PropertyRule | RelationRule | GroupRule | ReachableRule | ScorecardLevelRule;
