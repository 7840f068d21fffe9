import { readFileSync } from 'node:fs';
import type { Model } from '@plexus/contract';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { mergePackBlueprints, readPack } from '../model/packs.ts';
import { demoEntities } from './demo-organisation.ts';
import { generateOrganisation } from './generate-organisation.ts';
import { orderExampleEntities } from './order-example.ts';
import type { Entity } from './types.ts';

interface PropertyDef {
  type: string;
  format?: string;
  enum?: unknown[];
  default?: unknown;
  items?: { type: string };
  [keyword: string]: unknown;
}

interface RelationDef {
  title?: string;
  target: string | string[];
  many?: boolean;
  required?: boolean;
  inverse?: string;
}

interface BlueprintDef {
  identifier: string;
  title: string;
  schema: { properties: Record<string, PropertyDef>; required?: string[] };
  relations?: Record<string, RelationDef>;
}

interface Pack {
  identifier: string;
  title: string;
  description: string;
  blueprints: BlueprintDef[];
}

const identifierPattern = /^[a-z][a-zA-Z0-9]{0,63}$/;
const reservedNames = ['identifier', 'title', 'blueprint', 'properties', 'relations', 'id'];
const propertyTypes = ['string', 'number', 'integer', 'boolean', 'array', 'object'];
const itemTypes = ['string', 'number', 'integer', 'boolean'];
const stringFormats = ['date-time', 'url', 'email', 'markdown', 'yaml'];
const keywords = [
  'type',
  'title',
  'description',
  'format',
  'enum',
  'default',
  'pattern',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'items',
  'minItems',
  'maxItems',
  'uniqueItems',
];

function loadPack(name: string): Pack {
  return parse(readFileSync(new URL(`../../../packs/${name}.yaml`, import.meta.url), 'utf8')) as Pack;
}

const packs = { backstage: loadPack('backstage'), sdlc: loadPack('sdlc') };

const targetsOf = (rel: RelationDef) => (Array.isArray(rel.target) ? rel.target : [rel.target]);

function blueprintOf(pack: Pack, identifier: string): BlueprintDef {
  const bp = pack.blueprints.find((b) => b.identifier === identifier);
  if (!bp) throw new Error(`pack ${pack.identifier} has no blueprint ${identifier}`);
  return bp;
}

const ajv = new Ajv({ allErrors: true, strict: true });
addFormats(ajv, ['date-time', 'uri', 'email']);

/** Our `url` is JSON Schema's `uri`; markdown and yaml are plain strings to a validator. */
function toJsonSchema(p: PropertyDef): Record<string, unknown> {
  const { format, ...rest } = p;
  if (format === 'url') return { ...rest, format: 'uri' };
  if (format === 'date-time' || format === 'email') return { ...rest, format };
  return rest;
}

function propertiesValidator(bp: BlueprintDef): ValidateFunction {
  const properties = Object.fromEntries(
    Object.entries(bp.schema.properties).map(([n, p]) => [n, toJsonSchema(p)]),
  );
  return ajv.compile({
    type: 'object',
    properties,
    required: bp.schema.required ?? [],
    additionalProperties: false,
  });
}

/** Everything wrong with `entities` under `pack`, one message per problem; empty when they conform. */
function conformanceProblems(pack: Pack, entities: Entity[]): string[] {
  const problems: string[] = [];
  const validators = new Map(pack.blueprints.map((bp) => [bp.identifier, propertiesValidator(bp)]));
  const keys = new Set(entities.map((e) => `${e.blueprint}:${e.identifier}`));
  for (const e of entities) {
    const where = `${e.blueprint}:${e.identifier}`;
    const validate = validators.get(e.blueprint);
    if (!validate) {
      problems.push(`${where}: unknown blueprint`);
      continue;
    }
    if (!validate(e.properties)) problems.push(`${where}: ${ajv.errorsText(validate.errors)}`);
    const relations = blueprintOf(pack, e.blueprint).relations ?? {};
    for (const [name, rel] of Object.entries(relations)) {
      const value = e.relations[name];
      const empty = value === undefined || (Array.isArray(value) && value.length === 0);
      if (rel.required && empty) problems.push(`${where}: required relation ${name} is missing`);
    }
    for (const [name, value] of Object.entries(e.relations)) {
      const rel = relations[name];
      if (!rel) {
        problems.push(`${where}: relation ${name} is not defined by ${e.blueprint}`);
        continue;
      }
      if (Array.isArray(value) !== Boolean(rel.many)) {
        problems.push(`${where}: relation ${name} must be ${rel.many ? 'a list' : 'a single identifier'}`);
      }
      const targets = targetsOf(rel);
      for (const ref of Array.isArray(value) ? value : [value]) {
        let key = `${targets[0]}:${ref}`;
        // As the server reads it: `blueprint:identifier` is accepted for a single target too.
        if (targets.length === 1 && ref.startsWith(`${targets[0]}:`)) key = ref;
        else if (targets.length > 1) {
          const blueprint = ref.slice(0, ref.indexOf(':'));
          if (!targets.includes(blueprint)) {
            problems.push(
              `${where}: ${name} value ${ref} must be written blueprint:identifier with one of ${targets.join(', ')}`,
            );
            continue;
          }
          key = ref;
        }
        if (!keys.has(key)) problems.push(`${where}: ${name} points at ${key}, which is not in the set`);
      }
    }
  }
  return problems;
}

/** Every field name a blueprint's generated type has, with what put it there, clashes included. */
function fieldsOf(pack: Pack, bp: BlueprintDef): [string, string][] {
  const fields: [string, string][] = [
    ['identifier', 'built-in'],
    ['title', 'built-in'],
    ...Object.keys(bp.schema.properties).map((n): [string, string] => [n, `property ${n}`]),
    ...Object.keys(bp.relations ?? {}).map((n): [string, string] => [n, `relation ${n}`]),
  ];
  for (const source of pack.blueprints) {
    for (const [name, rel] of Object.entries(source.relations ?? {})) {
      if (rel.inverse && targetsOf(rel).includes(bp.identifier)) {
        fields.push([rel.inverse, `inverse of ${source.identifier}.${name}`]);
      }
    }
  }
  return fields;
}

for (const [name, pack] of Object.entries(packs)) {
  describe(`${name} pack`, () => {
    it('names itself and describes itself', () => {
      expect(pack.identifier).toBe(name);
      expect(pack.title).toEqual(expect.any(String));
      expect(pack.description).toEqual(expect.any(String));
    });

    it('gives every blueprint a unique camelCase identifier', () => {
      const ids = pack.blueprints.map((bp) => bp.identifier);
      expect(ids.filter((id) => !identifierPattern.test(id))).toEqual([]);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('gives every blueprint a title', () => {
      expect(pack.blueprints.filter((bp) => typeof bp.title !== 'string').map((bp) => bp.identifier)).toEqual(
        [],
      );
    });

    it('gives every property and relation a camelCase name', () => {
      const bad = pack.blueprints.flatMap((bp) =>
        [...Object.keys(bp.schema.properties), ...Object.keys(bp.relations ?? {})]
          .filter((n) => !identifierPattern.test(n))
          .map((n) => `${bp.identifier}.${n}`),
      );
      expect(bad).toEqual([]);
    });

    it('uses no reserved property or relation names', () => {
      const bad = pack.blueprints.flatMap((bp) =>
        [...Object.keys(bp.schema.properties), ...Object.keys(bp.relations ?? {})]
          .filter((n) => reservedNames.includes(n) || n.startsWith('_'))
          .map((n) => `${bp.identifier}.${n}`),
      );
      expect(bad).toEqual([]);
    });

    it('uses only the supported property types, formats and keywords', () => {
      const bad: string[] = [];
      for (const bp of pack.blueprints) {
        for (const [n, p] of Object.entries(bp.schema.properties)) {
          const where = `${bp.identifier}.${n}`;
          if (!propertyTypes.includes(p.type)) bad.push(`${where}: type ${p.type}`);
          if (p.format !== undefined && (p.type !== 'string' || !stringFormats.includes(p.format))) {
            bad.push(`${where}: format ${p.format}`);
          }
          if (p.type === 'array' && !itemTypes.includes(p.items?.type ?? '')) bad.push(`${where}: items`);
          for (const k of Object.keys(p)) if (!keywords.includes(k)) bad.push(`${where}: keyword ${k}`);
        }
      }
      expect(bad).toEqual([]);
    });

    it('gives enum values and defaults that satisfy their own property schema', () => {
      const bad: string[] = [];
      for (const bp of pack.blueprints) {
        for (const [n, p] of Object.entries(bp.schema.properties)) {
          const { enum: values, default: fallback, ...rest } = toJsonSchema(p);
          const validate = ajv.compile(rest);
          for (const v of (values as unknown[] | undefined) ?? []) {
            if (!validate(v)) bad.push(`${bp.identifier}.${n}: enum value ${JSON.stringify(v)}`);
          }
          if (fallback !== undefined && !validate(fallback)) bad.push(`${bp.identifier}.${n}: default`);
          if (fallback !== undefined && values && !(values as unknown[]).includes(fallback)) {
            bad.push(`${bp.identifier}.${n}: default outside enum`);
          }
        }
      }
      expect(bad).toEqual([]);
    });

    it('requires only properties it defines', () => {
      const bad = pack.blueprints.flatMap((bp) =>
        (bp.schema.required ?? [])
          .filter((r) => !(r in bp.schema.properties))
          .map((r) => `${bp.identifier}.${r}`),
      );
      expect(bad).toEqual([]);
    });

    it('compiles every blueprint schema with Ajv', () => {
      for (const bp of pack.blueprints) expect(() => propertiesValidator(bp), bp.identifier).not.toThrow();
    });

    it('points every relation at blueprints of the same pack', () => {
      const ids = new Set(pack.blueprints.map((bp) => bp.identifier));
      const bad = pack.blueprints.flatMap((bp) =>
        Object.entries(bp.relations ?? {}).flatMap(([n, rel]) =>
          targetsOf(rel)
            .filter((t) => !ids.has(t))
            .map((t) => `${bp.identifier}.${n} → ${t}`),
        ),
      );
      expect(bad).toEqual([]);
    });

    it('says whether every relation holds one target or many', () => {
      const bad = pack.blueprints.flatMap((bp) =>
        Object.entries(bp.relations ?? {})
          .filter(([, rel]) => typeof rel.many !== 'boolean')
          .map(([n]) => `${bp.identifier}.${n}`),
      );
      expect(bad).toEqual([]);
    });

    it('gives every relation a camelCase inverse name', () => {
      const bad = pack.blueprints.flatMap((bp) =>
        Object.entries(bp.relations ?? {})
          .filter(([, rel]) => typeof rel.inverse !== 'string' || !identifierPattern.test(rel.inverse))
          .map(([n]) => `${bp.identifier}.${n}`),
      );
      expect(bad).toEqual([]);
    });

    it('never uses one name for two fields of a blueprint, inverse fields included', () => {
      const clashes = pack.blueprints.flatMap((bp) => {
        const seen = new Map<string, string>();
        const out: string[] = [];
        for (const [field, origin] of fieldsOf(pack, bp)) {
          const before = seen.get(field);
          if (before) out.push(`${bp.identifier}.${field}: ${before} and ${origin}`);
          seen.set(field, origin);
        }
        return out;
      });
      expect(clashes).toEqual([]);
    });
  });
}

describe('backstage pack relations', () => {
  const pack = packs.backstage;
  const relation = (bp: string, rel: string) => blueprintOf(pack, bp).relations?.[rel];

  it('has the Backstage kinds', () => {
    expect(pack.blueprints.map((bp) => bp.identifier).sort()).toEqual([
      'api',
      'component',
      'domain',
      'group',
      'location',
      'resource',
      'system',
      'user',
    ]);
  });

  it('lets a group or a user own components, APIs, resources, systems and domains', () => {
    for (const bp of ['component', 'api', 'resource', 'system', 'domain']) {
      expect(relation(bp, 'ownedBy'), bp).toMatchObject({ target: ['group', 'user'], many: false });
      expect(relation(bp, 'ownedBy')?.inverse, bp).toMatch(/^ownerOf/);
    }
  });

  it('puts components, APIs and resources in systems and systems in domains', () => {
    expect(relation('component', 'partOf')).toMatchObject({ target: 'system', many: false });
    expect(relation('api', 'partOf')).toMatchObject({ target: 'system', many: false });
    expect(relation('resource', 'partOf')).toMatchObject({ target: 'system', many: false });
    expect(relation('system', 'partOf')).toMatchObject({ target: 'domain', many: false });
    expect(relation('domain', 'subdomainOf')).toMatchObject({ target: 'domain', many: false });
  });

  it('lets components depend on components and resources', () => {
    expect(relation('component', 'dependsOn')).toMatchObject({
      target: ['component', 'resource'],
      many: true,
      inverse: 'dependencyOf',
    });
  });

  it('links components to the APIs they provide and consume', () => {
    expect(relation('component', 'providesApis')).toMatchObject({
      target: 'api',
      many: true,
      inverse: 'apiProvidedBy',
    });
    expect(relation('component', 'consumesApis')).toMatchObject({
      target: 'api',
      many: true,
      inverse: 'apiConsumedBy',
    });
  });

  it('models group membership, the group tree and subcomponents', () => {
    expect(relation('group', 'hasMember')).toMatchObject({ target: 'user', many: true, inverse: 'memberOf' });
    expect(relation('group', 'childOf')).toMatchObject({ target: 'group', many: false, inverse: 'parentOf' });
    expect(relation('component', 'subcomponentOf')).toMatchObject({ target: 'component', many: false });
  });

  it('stores an API definition as YAML', () => {
    expect(blueprintOf(pack, 'api').schema.properties.definition).toMatchObject({
      type: 'string',
      format: 'yaml',
    });
  });
});

describe('sdlc pack relations', () => {
  const pack = packs.sdlc;
  const relation = (bp: string, rel: string) => blueprintOf(pack, bp).relations?.[rel];

  it('has two distinct relations from service to cloudResource', () => {
    expect(relation('service', 'dependsOnRuntime')).toMatchObject({ target: 'cloudResource', many: true });
    expect(relation('service', 'dependsOnStorage')).toMatchObject({ target: 'cloudResource', many: true });
    expect(relation('service', 'dependsOnRuntime')?.inverse).not.toBe(
      relation('service', 'dependsOnStorage')?.inverse,
    );
  });

  it('lets a service depend on services and libraries', () => {
    expect(relation('service', 'dependsOn')).toMatchObject({ target: ['service', 'library'], many: true });
    expect(relation('library', 'dependsOn')).toMatchObject({ target: 'library', many: true });
  });

  it('lets a vulnerability affect services and libraries', () => {
    expect(relation('vulnerability', 'affects')).toMatchObject({
      target: ['service', 'library'],
      many: true,
    });
  });

  it('puts services in systems, systems in domains, and lets services provide and consume APIs', () => {
    expect(relation('service', 'partOf')).toMatchObject({ target: 'system', many: false });
    expect(relation('system', 'partOf')).toMatchObject({ target: 'domain', many: false });
    expect(relation('api', 'partOf')).toMatchObject({ target: 'system', many: false });
    expect(relation('service', 'providesApis')).toMatchObject({ target: 'api', many: true });
    // Consuming an API is a dependency: impact from an API reaches its consumers.
    expect(relation('service', 'consumesApis')).toMatchObject({ target: 'api', many: true, role: 'dependency' });
  });

  it('lets a team own domains, systems and APIs', () => {
    for (const bp of ['domain', 'system', 'api']) {
      expect(relation(bp, 'ownedBy'), bp).toMatchObject({ target: 'team', many: false, role: 'ownership' });
    }
  });

  it('stores an API definition as YAML', () => {
    expect(blueprintOf(pack, 'api').schema.properties.definition).toMatchObject({ type: 'string', format: 'yaml' });
    expect(blueprintOf(pack, 'api').schema.properties.type).toMatchObject({ type: 'string' });
  });

  it('marks a critical vulnerability with the severity scorecard rules look for', () => {
    expect(blueprintOf(pack, 'vulnerability').schema.properties.severity.enum).toContain('critical');
  });
});

describe('entities against their pack', () => {
  it('the sdlc pack accepts every entity of a generated organisation', () => {
    for (const seed of [1, 2, 3]) {
      const { entities } = generateOrganisation({ seed, services: 300 });
      expect(conformanceProblems(packs.sdlc, entities).slice(0, 10), `seed ${seed}`).toEqual([]);
    }
  });

  it('the sdlc pack accepts every entity of the demo, the Order example included', () => {
    const entities = [...demoEntities({ seed: 7, services: 300 })];
    expect(conformanceProblems(packs.sdlc, entities).slice(0, 10)).toEqual([]);
  });

  it('reports an entity whose property breaks its blueprint schema', () => {
    const [service] = generateOrganisation({ services: 1 }).entities.filter((e) => e.blueprint === 'service');
    const broken = { ...service, properties: { ...service.properties, tier: 7 } };
    expect(conformanceProblems(packs.sdlc, [broken])).toContainEqual(expect.stringContaining('tier'));
  });

  it('reports a relation that points at a missing entity', () => {
    const entities = [...demoEntities({ services: 12 })].filter((e) => e.identifier !== 'cart-db');
    expect(conformanceProblems(packs.sdlc, entities)).toContainEqual(
      expect.stringContaining('cloudResource:cart-db, which is not in the set'),
    );
  });
});

describe('order example', () => {
  const entities = orderExampleEntities();
  const find = (blueprint: string, identifier: string) => {
    const e = entities.find((x) => x.blueprint === blueprint && x.identifier === identifier);
    if (!e) throw new Error(`no ${blueprint} ${identifier}`);
    return e;
  };

  it('is written in the sdlc pack, like the rest of the demo', () => {
    const sdlc = new Set(packs.sdlc.blueprints.map((bp) => bp.identifier));
    expect(entities.filter((e) => !sdlc.has(e.blueprint)).map((e) => `${e.blueprint}:${e.identifier}`)).toEqual([]);
  });

  it('has an Order domain with the Cart and Products systems in it', () => {
    expect(find('domain', 'order').title).toBe('Order');
    expect(find('system', 'cart').relations.partOf).toBe('order');
    expect(find('system', 'products').relations.partOf).toBe('order');
  });

  it('keeps the cart data in the cart-db database, a storage dependency of the Cart service', () => {
    expect(find('cloudResource', 'cart-db').properties.type).toBe('database');
    expect(find('service', 'cart-service').relations.dependsOnStorage).toEqual(['cart-db']);
  });

  it('has Core Payment as a library and names Core Kafka without creating it', () => {
    expect(find('library', 'core-payment').properties.lifecycle).toBe('production');
    expect(entities.filter((e) => e.identifier === 'core-kafka')).toEqual([]);
  });

  it('has the Cart and Products services in their systems, depending on the core libraries', () => {
    expect(find('service', 'cart-service')).toMatchObject({ relations: { partOf: 'cart', ownedBy: 'order-team' } });
    expect(find('service', 'products-service')).toMatchObject({ relations: { partOf: 'products' } });
    expect(find('service', 'cart-service').relations.dependsOn).toEqual(
      expect.arrayContaining(['library:core-kafka', 'library:core-payment']),
    );
  });

  it('has the Cart service provide the Cart API and the Products service consume it', () => {
    expect(find('api', 'cart-api').relations.partOf).toBe('cart');
    expect(find('service', 'cart-service').relations.providesApis).toEqual(['cart-api']);
    expect(find('service', 'products-service').relations.consumesApis).toEqual(['cart-api']);
  });

  it('gives every service, library, database, API, system and domain an owning team of the example', () => {
    const teams = new Set(entities.filter((e) => e.blueprint === 'team').map((e) => e.identifier));
    const owned = entities.filter((e) => !['team', 'person'].includes(e.blueprint));
    expect(owned).toHaveLength(8);
    const owner = (e: Entity) => String(e.relations.ownedBy).replace(/^team:/, '');
    expect(owned.filter((e) => !teams.has(owner(e))).map((e) => e.identifier)).toEqual([]);
  });

  it('has two teams whose members are people of the example, one of them on call for each', () => {
    const teams = entities.filter((e) => e.blueprint === 'team').map((e) => e.identifier);
    const people = entities.filter((e) => e.blueprint === 'person');
    expect(teams).toEqual(['order-team', 'platform-team']);
    for (const t of teams) {
      expect(people.filter((p) => (p.relations.memberOf as string[]).includes(t)), t).not.toHaveLength(0);
      expect(people.filter((p) => p.relations.onCallFor === t), t).toHaveLength(1);
    }
  });
});

describe('the sdlc and backstage packs in one catalog', () => {
  const load = (model: Model, name: string): Model => {
    const next = new Map(model);
    for (const bp of mergePackBlueprints(readPack(name), model)) next.set(bp.identifier, bp);
    return next;
  };

  for (const order of [
    ['sdlc', 'backstage'],
    ['backstage', 'sdlc'],
  ]) {
    it(`keeps both packs' owners of domains, systems and APIs, loaded ${order.join(' then ')}`, () => {
      const model = order.reduce(load, new Map() as Model);
      for (const bp of ['domain', 'system', 'api']) {
        expect(targetsOf(model.get(bp)?.relations?.ownedBy as RelationDef).sort(), bp).toEqual(['group', 'team', 'user']);
      }
      // The backstage-only properties stay whichever pack came last.
      expect(Object.keys(model.get('api')?.schema.properties ?? {})).toEqual(
        expect.arrayContaining(['namespace', 'annotations', 'definition', 'type', 'lifecycle']),
      );
      const merged = { identifier: 'both', title: '', description: '', blueprints: [...model.values()] } as unknown as Pack;
      const clashes = merged.blueprints.flatMap((bp) => {
        const seen = new Map<string, string>();
        return fieldsOf(merged, bp).flatMap(([field, origin]) => {
          const before = seen.get(field);
          seen.set(field, origin);
          return before ? [`${bp.identifier}.${field}: ${before} and ${origin}`] : [];
        });
      });
      expect(clashes).toEqual([]);
    });
  }

  it('gives the shared blueprints the same property schemas in both packs, apart from texts', () => {
    const plain = (p: PropertyDef) => {
      const { title, description, ...rest } = p;
      return rest;
    };
    for (const id of ['domain', 'system', 'api']) {
      const sdlc = blueprintOf(packs.sdlc, id).schema.properties;
      const backstage = blueprintOf(packs.backstage, id).schema.properties;
      for (const [name, p] of Object.entries(sdlc)) {
        if (backstage[name]) expect(plain(p), `${id}.${name}`).toEqual(plain(backstage[name]));
      }
    }
  });
});
