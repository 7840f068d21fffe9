/**
 * What the server and the UI share, in one copy: the REST/GraphQL data shapes (model, actions and
 * runs, scorecards, change and audit events, the home summary), the rules language's shapes, the
 * GraphQL naming rules and the action form rules (isomorphic: no Node imports, the browser runs
 * them too). Nothing here may import from server/, web/ or connectors/
 * (scripts/import-boundaries.test.ts keeps it so).
 */

export * from './actions.ts';
export * from './canonical.ts';
export * from './events.ts';
export * from './form-rules.ts';
export * from './home.ts';
export * from './jsonata.ts';
export * from './model.ts';
export * from './names.ts';
export * from './scorecards.ts';
export * from './search-rules.ts';
