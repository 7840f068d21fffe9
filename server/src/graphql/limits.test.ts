import { createRequire } from 'node:module';
import type { Blueprint } from '@plexus/contract';
import type { GraphQLSchema } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { countsQuery } from '../../../web/src/api/counts-query.ts';
import {
  buildTableQuery,
  columnsOf,
  defaultDefinition,
  pageSizes,
} from '../../../web/src/routes/catalog/table-query.ts';
import type { AccessControl } from '../auth/access.ts';
import type { Db } from '../db/driver.ts';
import { silentLogger } from '../log.ts';
import type { BlueprintStore } from '../model/blueprint-store.ts';
import { mergePackBlueprints, readPack } from '../model/packs.ts';
import { analyseOperation, checkGraphqlLimits, defaultGraphqlLimits } from './limits.ts';
import { createSchemaService } from './schema-service.ts';

const { parse, validate } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

// The schema of a catalog holding both shipped packs (backstage, then sdlc, merged where they
// share a blueprint as loading them does), built by the server's own schema service (no database
// needed to build it).
let schema: GraphQLSchema;
const blueprints: Blueprint[] = [
  ...['backstage', 'sdlc']
    .reduce((model: Map<string, Blueprint>, pack) => {
      const next = new Map(model);
      for (const bp of mergePackBlueprints(readPack(pack), model)) next.set(bp.identifier, bp);
      return next;
    }, new Map())
    .values(),
];

beforeAll(async () => {
  const model = new Map(blueprints.map((b) => [b.identifier, b]));
  const models = {
    onChange: () => () => {},
    version: () => 1,
    current: () => model,
  } as unknown as BlueprintStore;
  const access = { options: { ownerRelation: 'ownedBy' } } as unknown as AccessControl;
  const service = createSchemaService({
    db: { driver: undefined } as unknown as Db,
    models,
    access,
    logger: silentLogger,
    eager: false,
  } as never);
  schema = (await service.build(model, 1)).schema;
}, 60_000);

const check = (query: string, variables?: Record<string, unknown>) =>
  checkGraphqlLimits(schema, parse(query), defaultGraphqlLimits, { variables });
const nest = (depth: number) => {
  // components → subcomponentOf → … → identifier: `depth` levels, one row each (cheap but deep).
  let q = 'identifier';
  for (let i = 2; i < depth; i++) q = `subcomponentOf(limit: 1) { identifier ${q} }`;
  return `{ components(limit: 1) { ${q} } }`;
};

describe("GraphQL query limits against the UI's own queries", () => {
  it('passes the catalog counts query for every demo blueprint', () => {
    const query = countsQuery(blueprints);
    expect(validate(schema, parse(query))).toEqual([]);
    expect(check(query)).toEqual([]);
  });

  it('passes every catalog table query, with every column and the largest page size', () => {
    for (const bp of blueprints) {
      const all = columnsOf(bp, blueprints).map((c) => c.key);
      for (const columns of [defaultDefinition(bp, blueprints).columns, all]) {
        const def = { ...defaultDefinition(bp, blueprints), columns, pageSize: Math.max(...pageSizes) };
        const { query, variables } = buildTableQuery(bp, blueprints, def, 3);
        expect(validate(schema, parse(query)), bp.identifier).toEqual([]);
        const report = analyseOperation(schema, parse(query), defaultGraphqlLimits, { variables });
        expect(report.exceeded, `${bp.identifier}: ${JSON.stringify(report)}`).toBeNull();
        // Margin: the heaviest table stays well under the cost limit.
        expect(report.cost, bp.identifier).toBeLessThan(defaultGraphqlLimits.maxCost / 2);
      }
    }
  });

  it("passes GraphiQL's introspection query", async () => {
    const { getIntrospectionQuery } = createRequire(import.meta.url)('graphql') as typeof import('graphql');
    expect(check(getIntrospectionQuery())).toEqual([]);
  });
});

describe('GraphQL query limits against hostile queries', () => {
  it('refuses depth 12 and accepts depth 10, naming the limit', () => {
    expect(check(nest(10))).toEqual([]);
    const [err] = check(nest(12));
    expect(err.message).toMatch(/deeper than 10 fields \(PLEXUS_GRAPHQL_MAX_DEPTH\)/);
    expect(err.extensions).toMatchObject({ code: 'QUERY_TOO_EXPENSIVE', http: { status: 400, spec: false } });
  });

  it('refuses 1,000 aliases', () => {
    const query = `{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: components(limit: 300) { identifier }`).join(' ')} }`;
    expect(check(query)[0].message).toMatch(/more than 100 aliases/);
  });

  it('refuses 300 aliases of impact(depth: 10) by cost, and one of them passes', () => {
    const one = (i: number) =>
      `a${i}: impact(blueprint: "component", identifier: "x", depth: 10) { nodes { identifier } }`;
    expect(check(`{ ${one(0)} }`)).toEqual([]);
    const limits = { ...defaultGraphqlLimits, maxAliases: 1000, maxRootFields: 1000 };
    const [err] = checkGraphqlLimits(
      schema,
      parse(`{ ${Array.from({ length: 300 }, (_, i) => one(i)).join(' ')} }`),
      limits,
    );
    expect(err.message).toMatch(/estimated cost exceeds 50000 \(PLEXUS_GRAPHQL_MAX_COST\)/);
  });

  it('multiplies nested lists by their limits, also when given as variables', () => {
    const q =
      'query($n: Int) { components(limit: $n) { identifier subcomponentOf(limit: $n) { identifier } } }';
    expect(analyseOperation(schema, parse(q), defaultGraphqlLimits, { variables: { n: 10 } }).cost).toBe(
      10 * (1 + 10),
    );
    expect(check(q, { n: 1000 })[0].message).toMatch(/estimated cost/);
    // Without a value, the variable's default counts; without either, the default page size.
    expect(
      analyseOperation(
        schema,
        parse('query($n: Int = 7) { components(limit: $n) { identifier } }'),
        defaultGraphqlLimits,
      ).cost,
    ).toBe(7);
    expect(analyseOperation(schema, parse('{ components { identifier } }'), defaultGraphqlLimits).cost).toBe(
      100,
    );
  });

  it('counts a list filtered to named identifiers as that many rows', () => {
    const deep = '{ impact(depth: 5) { nodes { identifier } } }';
    const cost = (q: string, variables?: Record<string, unknown>) =>
      analyseOperation(schema, parse(q), defaultGraphqlLimits, { variables }).cost;
    expect(cost(`{ components(where: { identifier: { eq: "cart" } }) ${deep} }`)).toBe(512);
    expect(cost(`{ components(where: { identifier: { in: ["a", "b"] } }) ${deep} }`)).toBe(2 * 512);
    expect(
      cost(`query($id: String!) { components(where: { identifier: { eq: $id } }) ${deep} }`, { id: 'x' }),
    ).toBe(512);
    expect(
      cost(`query($w: ComponentWhere) { components(where: $w) ${deep} }`, {
        w: { identifier: { in: ['a', 'b', 'c'] } },
      }),
    ).toBe(3 * 512);
    // Any other filter may match a whole page: the default page size counts.
    expect(check(`{ components(where: { title: { eq: "Cart" } }) ${deep} }`)[0].message).toMatch(
      /estimated cost/,
    );
  });

  it('expands fragments where they are spread, and refuses a fragment cycle without looping', () => {
    const frag =
      'fragment F on Component { subcomponentOf { subcomponentOf { subcomponentOf { identifier } } } }';
    const deep = `{ components { subcomponentOf { subcomponentOf { subcomponentOf { subcomponentOf { subcomponentOf { subcomponentOf { ...F } } } } } } } } ${frag}`;
    expect(check(deep)[0].message).toMatch(/deeper than 10/);
    const aliases = `{ ${Array.from({ length: 30 }, (_, i) => `x${i}: components(limit: 1) { ...G }`).join(' ')} } fragment G on Component { ${Array.from({ length: 5 }, (_, i) => `y${i}: identifier`).join(' ')} }`;
    expect(check(aliases)[0].message).toMatch(/more than 100 aliases/);
    const cycle =
      '{ components { ...A } } fragment A on Component { subcomponentOf { ...B } } fragment B on Component { subcomponentOf { ...A } }';
    expect(check(cycle)[0].message).toMatch(/spreads itself/);
  });

  it('bounds introspection: nested type expansions are refused', () => {
    const bomb = '{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }';
    expect(check(bomb)[0].message).toMatch(/introspection nests lists/);
    expect(
      check(
        `{ ${Array.from({ length: 60 }, (_, i) => `s${i}: __schema { queryType { name } }`).join(' ')} }`,
      )[0].message,
    ).toMatch(/estimated cost/);
  });
});
