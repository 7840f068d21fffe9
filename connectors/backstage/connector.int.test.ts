import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connector } from '@plexus/connector-sdk';
import { type PlexusUnderTest, runConnectorContract, startPlexus, uniqueId } from '@plexus/connector-sdk/testing';
import { pluralFieldOf, relTypeOf } from '@plexus/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml, stringify } from 'yaml';
import type { BackstageConfig } from './config.ts';
import { backstageConnector } from './connector.ts';

const fixtures = new URL('./__fixtures__/', import.meta.url);
const scratch: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'plexus-backstage-test-'));
  scratch.push(d);
  return d;
};
afterAll(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

/** Copies a fixture folder, renaming the `acme` namespace family so concurrent tests never meet. */
function copyFixture(name: string, prefix: string): string {
  const dir = tempDir();
  cpSync(new URL(name, fixtures), dir, { recursive: true });
  const rename = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) rename(p);
      else writeFileSync(p, readFileSync(p, 'utf8').replace(/\bacme\b/g, prefix));
    }
  };
  rename(dir);
  return dir;
}

const contractDocs = parseAllDocuments(readFileSync(new URL('contract-catalog.yaml', fixtures), 'utf8')).map(
  (d) => d.toJSON() as Record<string, any>,
);

runConnectorContract<Record<string, any>, BackstageConfig>({
  name: 'backstage',
  startPlexus,
  fixtures: contractDocs,
  async prepare(plexus) {
    expect((await plexus.call('POST', '/api/v1/packs/backstage')).status).toBe(200);
  },
  async create(state, { prefix }) {
    const root = join(tempDir(), 'catalog');
    // The fake source is a folder written from the state before each read: one file per record,
    // all in a namespace of their own.
    const materialise = () => {
      rmSync(root, { recursive: true, force: true });
      if (state.failure === 'at-start') return;
      mkdirSync(root, { recursive: true });
      state.items.forEach((doc, i) => {
        const dir = join(root, String(i).padStart(3, '0'));
        mkdirSync(dir, { recursive: true });
        const text = stringify({ ...doc, metadata: { ...doc.metadata, namespace: prefix } });
        writeFileSync(
          join(dir, 'catalog-info.yaml'),
          state.failure === 'midway' && i === 1 ? 'kind: [unterminated' : text,
        );
      });
    };
    const connector: Connector<BackstageConfig> = {
      ...backstageConnector,
      async *fetch(config, ctx) {
        materialise();
        yield* backstageConnector.fetch!(config, ctx);
      },
    };
    return { connector, config: { paths: [root] } };
  },
});

interface Expected {
  from: string;
  relation: string;
  to: string;
}

describe('backstage connector', () => {
  let plexus: PlexusUnderTest;
  const pack = parseYaml(readFileSync(new URL('../../packs/backstage.yaml', import.meta.url), 'utf8')) as {
    blueprints: { identifier: string; relations?: Record<string, { inverse?: string }> }[];
  };
  const inverseOf = (blueprint: string, relation: string) =>
    pack.blueprints.find((b) => b.identifier === blueprint)?.relations?.[relation]?.inverse as string;
  const sources: string[] = [];

  beforeAll(async () => {
    plexus = await startPlexus();
    plexus.services.sources.registerConnector(backstageConnector);
    expect((await plexus.call('POST', '/api/v1/packs/backstage')).status).toBe(200);
  });
  afterAll(async () => {
    for (const id of sources) await plexus.call('DELETE', `/api/v1/sources/${id}?purge=true`);
    await plexus.close();
  });

  async function syncFolder(config: Record<string, unknown>) {
    const id = uniqueId('backstage-');
    const created = await plexus.call('POST', '/api/v1/sources', {
      identifier: id,
      type: 'backstage',
      config,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    sources.push(id);
    const started = await plexus.call('POST', `/api/v1/sources/${id}/sync`);
    await plexus.services.sources.waitForRun(started.body.run);
    return { id, run: (await plexus.call('GET', `/api/v1/sources/${id}/runs/${started.body.run}`)).body };
  }

  const entity = async (blueprint: string, identifier: string) =>
    (await plexus.call('GET', `/api/v1/blueprints/${blueprint}/entities/${encodeURIComponent(identifier)}`))
      .body;

  it('imports a folder covering every kind, following Location targets and globs', async () => {
    const ns = uniqueId('acme');
    const { id, run } = await syncFolder({ paths: [copyFixture('acme', ns)] });
    expect(run.status, run.message).toBe('succeeded');
    expect(run.errorDetails).toEqual([]);
    const owned = (await plexus.call('GET', `/api/v1/sources/${id}/entities`)).body.entities.map(
      (e: { blueprint: string; identifier: string }) => `${e.blueprint}:${e.identifier}`,
    );
    expect(owned.sort()).toEqual(
      [
        `api:${ns}/cart-api`,
        `api:${ns}/pricing-api`,
        `component:${ns}/cart`,
        `component:${ns}/cart-ui`,
        `component:${ns}/checkout-web`,
        `component:${ns}/pricing`,
        `domain:${ns}/commerce`,
        `domain:${ns}/payments`,
        `group:${ns}/payments-team`,
        `group:${ns}/platform`,
        `location:${ns}/${ns}-root`,
        `resource:${ns}-infra/storage-cluster`,
        `resource:${ns}/cart-db`,
        `system:${ns}/checkout`,
        `user:${ns}-people/carol`,
        `user:${ns}/alice`,
        `user:${ns}/bob`,
      ].sort(),
    );
  });

  it('keeps every field: metadata, annotations, labels, tags, links, profiles, spec and $text definitions', async () => {
    const ns = uniqueId('acme');
    await syncFolder({ paths: [copyFixture('acme', ns)] });
    expect(await entity('component', `${ns}/cart`)).toMatchObject({
      title: 'Cart Service',
      properties: {
        namespace: ns,
        description: 'Holds what customers are about to buy.',
        type: 'service',
        lifecycle: 'production',
        tags: ['typescript', 'grpc'],
        labels: { tier: '1' },
        annotations: { 'github.com/project-slug': `${ns}/cart`, 'backstage.io/techdocs-ref': 'dir:.' },
        links: {
          Dashboard: 'https://grafana.example.com/d/cart',
          'https://runbooks.example.com/cart': 'https://runbooks.example.com/cart',
        },
      },
    });
    expect((await entity('api', `${ns}/cart-api`)).properties.definition).toContain('title: Cart API');
    expect((await entity('api', `${ns}/pricing-api`)).properties.definition).toContain('service Pricing');
    expect((await entity('group', `${ns}/platform`)).properties).toMatchObject({
      type: 'organisation',
      displayName: 'Platform',
      email: 'platform@example.com',
      picture: 'https://example.com/platform.png',
      links: { Wiki: 'https://wiki.example.com/platform' },
    });
    expect((await entity('user', `${ns}/alice`)).title).toBe('Alice Example');
    expect((await entity('location', `${ns}/${ns}-root`)).properties).toMatchObject({
      type: 'file',
      targets: ['./org/*.yaml', './systems/commerce.yaml', './services/**/catalog-info.yaml'],
    });
    expect((await entity('domain', `${ns}/commerce`)).properties).toMatchObject({
      type: 'product-area',
      tags: ['revenue'],
    });
    expect((await entity('system', `${ns}/checkout`)).properties).toMatchObject({
      type: 'product',
      labels: { criticality: 'high' },
    });
  });

  it('writes every well-known relation once, readable in both directions', async () => {
    const ns = uniqueId('acme');
    await syncFolder({ paths: [copyFixture('acme', ns)] });
    const e = (bp: string, name: string) => `${bp}:${ns}${name.startsWith('-') ? '' : '/'}${name}`;
    const expected: Expected[] = [
      { from: e('domain', 'commerce'), relation: 'ownedBy', to: e('group', 'platform') },
      { from: e('domain', 'payments'), relation: 'ownedBy', to: e('group', 'payments-team') },
      { from: e('domain', 'payments'), relation: 'subdomainOf', to: e('domain', 'commerce') },
      { from: e('system', 'checkout'), relation: 'ownedBy', to: e('group', 'payments-team') },
      { from: e('system', 'checkout'), relation: 'partOf', to: e('domain', 'payments') },
      { from: e('component', 'cart'), relation: 'ownedBy', to: e('group', 'payments-team') },
      { from: e('component', 'cart'), relation: 'partOf', to: e('system', 'checkout') },
      { from: e('component', 'cart'), relation: 'providesApis', to: e('api', 'cart-api') },
      { from: e('component', 'cart'), relation: 'consumesApis', to: e('api', 'pricing-api') },
      { from: e('component', 'cart'), relation: 'dependsOn', to: e('resource', 'cart-db') },
      { from: e('component', 'cart'), relation: 'dependsOn', to: e('component', 'pricing') },
      { from: e('component', 'cart-ui'), relation: 'ownedBy', to: e('user', 'alice') },
      { from: e('component', 'cart-ui'), relation: 'subcomponentOf', to: e('component', 'cart') },
      { from: e('component', 'checkout-web'), relation: 'dependsOn', to: e('component', 'cart-ui') },
      { from: e('component', 'checkout-web'), relation: 'partOf', to: e('system', 'checkout') },
      { from: e('component', 'checkout-web'), relation: 'ownedBy', to: e('group', 'payments-team') },
      { from: e('component', 'pricing'), relation: 'ownedBy', to: e('group', 'payments-team') },
      { from: e('component', 'pricing'), relation: 'partOf', to: e('system', 'checkout') },
      { from: e('api', 'pricing-api'), relation: 'ownedBy', to: e('group', 'payments-team') },
      { from: e('resource', 'cart-db'), relation: 'ownedBy', to: e('group', 'payments-team') },
      { from: e('component', 'pricing'), relation: 'providesApis', to: e('api', 'pricing-api') },
      { from: e('component', 'pricing'), relation: 'dependsOn', to: e('resource', 'cart-db') },
      { from: e('api', 'cart-api'), relation: 'ownedBy', to: e('group', 'payments-team') },
      { from: e('api', 'cart-api'), relation: 'partOf', to: e('system', 'checkout') },
      { from: e('resource', 'cart-db'), relation: 'partOf', to: e('system', 'checkout') },
      { from: e('resource', 'cart-db'), relation: 'dependsOn', to: `resource:${ns}-infra/storage-cluster` },
      { from: `resource:${ns}-infra/storage-cluster`, relation: 'ownedBy', to: e('group', 'platform') },
      { from: e('group', 'payments-team'), relation: 'childOf', to: e('group', 'platform') },
      { from: e('group', 'platform'), relation: 'hasMember', to: e('user', 'alice') },
      { from: e('group', 'payments-team'), relation: 'hasMember', to: e('user', 'bob') },
      { from: e('group', 'payments-team'), relation: 'hasMember', to: `user:${ns}-people/carol` },
    ];
    const split = (ref: string) => ({
      blueprint: ref.slice(0, ref.indexOf(':')),
      identifier: ref.slice(ref.indexOf(':') + 1),
    });
    // In the graph: one relationship of the relation's type from source to target.
    const rows = await plexus.cypher<{ s: string; t: string; type: string }>('MATCH (s:Entity)-[r]->(t:Entity) WHERE s.identifier STARTS WITH $ns AND NOT type(r) STARTS WITH "_" RETURN s._blueprint + ":" + s.identifier AS s, t._blueprint + ":" + t.identifier AS t, type(r) AS type',
      { ns },
    );
    const actual = rows.map((r) => `${r.s} ${r.type} ${r.t}`).sort();
    expect(actual).toEqual(expected.map((x) => `${x.from} ${relTypeOf(x.relation)} ${x.to}`).sort());
    // From the target's side: the pack's inverse field in GraphQL lists the source.
    const deadline = Date.now() + 30_000;
    for (const x of expected) {
      const from = split(x.from);
      const to = split(x.to);
      const field = inverseOf(from.blueprint, x.relation);
      const query = `{ ${pluralFieldOf(to.blueprint)}(where: { identifier: { eq: ${JSON.stringify(to.identifier)} } }) { ${field} { identifier } } }`;
      let res = await plexus.call('POST', '/graphql', { query });
      while (res.body?.errors && Date.now() < deadline) {
        // The schema is built lazily after the pack loads; wait for it (no fixed sleep).
        await new Promise((ok) => setImmediate(ok));
        res = await plexus.call('POST', '/graphql', { query });
      }
      expect(res.body.errors, `${query}`).toBeUndefined();
      const list = res.body.data[pluralFieldOf(to.blueprint)][0][field] as { identifier: string }[];
      expect(
        list.map((l) => l.identifier),
        `${x.to}.${field}`,
      ).toContain(from.identifier);
    }
  });

  it('reads multi-document files and defaults kinds and namespaces from the context', async () => {
    const dir = tempDir();
    const ns = uniqueId('multi');
    writeFileSync(
      join(dir, 'catalog-info.yaml'),
      [
        `apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: Team-X, namespace: ${ns}}\nspec: {type: team}`,
        `apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: Svc, namespace: ${ns}}\nspec: {type: service, lifecycle: production, owner: team-x, dependsOn: [Svc2]}`,
        `apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: svc2, namespace: ${ns}}\nspec: {type: library, lifecycle: production, owner: 'group:${ns}/TEAM-X'}`,
      ].join('\n---\n'),
    );
    const { run } = await syncFolder({ paths: [dir] });
    expect(run.status).toBe('succeeded');
    expect((await entity('component', `${ns}/svc`)).relations).toMatchObject({
      ownedBy: `group:${ns}/team-x`,
      dependsOn: [`component:${ns}/svc2`],
    });
    expect((await entity('component', `${ns}/svc2`)).relations.ownedBy).toBe(`group:${ns}/team-x`);
  });

  it('reads git checkouts: a folder with history, or a repository cloned for the sync', async () => {
    const ns = uniqueId('git');
    const repo = copyFixture('acme', ns);
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', '-C', repo, ...args], {
        stdio: 'pipe',
      });
    git('init', '--quiet', '--initial-branch=main');
    git('add', '.');
    git('commit', '--quiet', '-m', 'catalog');
    const { run } = await syncFolder({ paths: [], repositories: [{ url: repo, ref: 'main' }] });
    expect(run.status, run.message).toBe('succeeded');
    expect(run.entities).toBe(17);
  });

  describe('file boundaries', () => {
    const component = (ns: string, name: string, description: unknown) =>
      stringify({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: { name, namespace: ns, description },
        spec: { type: 'service', lifecycle: 'production', owner: 'nobody' },
      });
    const envSample = Object.values(process.env).filter((v): v is string => !!v && v.length >= 8);

    it('keeps a $text placeholder on /proc/self/environ as the reference, with a warning, reading nothing', async () => {
      const ns = uniqueId('proc');
      const dir = tempDir();
      writeFileSync(
        join(dir, 'catalog-info.yaml'),
        [
          component(ns, 'leaky', { $text: '/proc/self/environ' }),
          component(ns, 'leaky-relative', { $text: '../../../../../../../../proc/self/environ' }),
          component(ns, 'fine', 'a plain description'),
        ].join('---\n'),
      );
      const { run } = await syncFolder({ paths: [dir] });
      // Nothing of the source went unread: the entities are there, the placeholders are warnings.
      expect(run.status).toBe('succeeded');
      expect(run.created).toBe(3);
      const problems = run.errorDetails.filter((e: { stage: string }) => e.stage === 'fetch');
      expect(problems).toHaveLength(2);
      for (const p of problems) {
        expect(p.warning).toBe(true);
        expect(p.message).toMatch(/placeholder \$text .*proc\/self\/environ at metadata\.description was not read.*\/proc is never readable/);
      }
      const details = JSON.stringify(run.errorDetails);
      for (const v of envSample) expect(details).not.toContain(v);
      expect((await entity('component', `${ns}/fine`)).properties.description).toBe('a plain description');
      for (const [name, reference] of [
        ['leaky', '/proc/self/environ'],
        ['leaky-relative', '../../../../../../../../proc/self/environ'],
      ]) {
        const res = await plexus.call(
          'GET',
          `/api/v1/blueprints/component/entities/${encodeURIComponent(`${ns}/${name}`)}`,
        );
        expect(res.status).toBe(200);
        expect(res.body.properties.description).toBe(reference);
        for (const v of envSample) expect(JSON.stringify(res.body)).not.toContain(v);
      }
    });

    it('keeps a ../ Location target outside the source a per-record error, reading nothing', async () => {
      const ns = uniqueId('dots');
      const base = tempDir();
      const dir = join(base, 'catalog');
      mkdirSync(dir);
      // A real descriptor next to the source folder: readable to the server, but not this source's.
      writeFileSync(join(base, 'outside.yaml'), component(ns, 'outsider', 'from outside the root'));
      writeFileSync(
        join(dir, 'catalog-info.yaml'),
        stringify({
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Location',
          metadata: { name: `${ns}-root`, namespace: ns },
          spec: { targets: ['../../../../../../../../etc/passwd', '../outside.yaml', './inside.yaml'] },
        }),
      );
      writeFileSync(join(dir, 'inside.yaml'), component(ns, 'insider', 'inside the root'));
      const { run } = await syncFolder({ paths: [dir] });
      expect(run.status).toBe('partial');
      const messages = run.errorDetails.map((e: { message: string }) => e.message);
      expect(messages).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/location target: refused .*etc\/passwd: \/etc is never readable/),
          expect.stringMatching(
            /location target: refused .*outside\.yaml: it resolves outside the source's roots/,
          ),
        ]),
      );
      expect(JSON.stringify(run.errorDetails)).not.toMatch(/root:x:0|from outside the root/);
      expect((await entity('component', `${ns}/insider`)).properties.description).toBe('inside the root');
      const outsider = await plexus.call(
        'GET',
        `/api/v1/blueprints/component/entities/${encodeURIComponent(`${ns}/outsider`)}`,
      );
      expect(outsider.status).toBe(404);
    });

    it('refuses a symlink inside the root that points outside it', async () => {
      const ns = uniqueId('link');
      const base = tempDir();
      const dir = join(base, 'catalog');
      mkdirSync(dir);
      writeFileSync(join(base, 'secret.txt'), 'SYMLINKED-SECRET');
      writeFileSync(join(base, 'elsewhere.yaml'), component(ns, 'via-link', 'through a link'));
      symlinkSync(join(base, 'secret.txt'), join(dir, 'notes.txt'));
      symlinkSync(join(base, 'elsewhere.yaml'), join(dir, 'linked.yaml'));
      writeFileSync(
        join(dir, 'catalog-info.yaml'),
        [
          component(ns, 'reader', { $text: './notes.txt' }),
          stringify({
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Location',
            metadata: { name: `${ns}-links`, namespace: ns },
            spec: { target: './linked.yaml' },
          }),
        ].join('---\n'),
      );
      const { run } = await syncFolder({ paths: [dir] });
      expect(run.status).toBe('partial');
      const messages = run.errorDetails.map((e: { message: string }) => e.message);
      expect(messages).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /placeholder \$text \.\/notes\.txt .*was not read.*refused \.\/notes\.txt: it resolves \(through a symlink\) outside/,
          ),
          expect.stringMatching(
            /location target: refused .*linked\.yaml: it resolves \(through a symlink\) outside/,
          ),
        ]),
      );
      expect(JSON.stringify(run.errorDetails)).not.toContain('SYMLINKED-SECRET');
      // The reader is kept, holding the reference; what the refused Location names is not read.
      expect((await entity('component', `${ns}/reader`)).properties.description).toBe('./notes.txt');
      for (const name of ['via-link'])
        expect(
          (
            await plexus.call(
              'GET',
              `/api/v1/blueprints/component/entities/${encodeURIComponent(`${ns}/${name}`)}`,
            )
          ).status,
        ).toBe(404);
    });

    it('keeps a placeholder over the size cap as the reference, with a warning', async () => {
      const ns = uniqueId('big');
      const dir = tempDir();
      writeFileSync(join(dir, 'huge.txt'), 'h'.repeat(1024 ** 2 + 1));
      writeFileSync(join(dir, 'catalog-info.yaml'), component(ns, 'huge', { $text: './huge.txt' }));
      const { run } = await syncFolder({ paths: [dir] });
      expect(run.status).toBe('succeeded');
      expect(run.errorDetails[0].message).toMatch(
        /huge\.txt is 1048577 bytes, more than the 1048576 allowed \(PLEXUS_PLACEHOLDER_MAX_BYTES\)/,
      );
      expect((await entity('component', `${ns}/huge`)).properties.description).toBe('./huge.txt');
    });

    it('does not quote file contents in parse errors', async () => {
      const ns = uniqueId('quote');
      const dir = tempDir();
      writeFileSync(join(dir, 'not-json.txt'), 'QUOTED-SECRET=1');
      writeFileSync(
        join(dir, 'catalog-info.yaml'),
        [component(ns, 'parsed', { $json: './not-json.txt' }), 'kind: [QUOTED-SECRET-TOO'].join('---\n'),
      );
      const { run } = await syncFolder({ paths: [dir] });
      expect(run.errors).toBe(2);
      expect(JSON.stringify(run.errorDetails)).not.toContain('QUOTED-SECRET');
      expect(run.errorDetails.map((e: { message: string }) => e.message)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/\$json \.\/not-json\.txt at metadata\.description was not read.*is not valid JSON/),
          expect.stringMatching(/invalid YAML: not valid YAML/),
        ]),
      );
    });

    it('refuses, when saved, a source whose paths are outside PLEXUS_FILE_ROOTS or never readable', async () => {
      for (const path of ['/etc', '/', '/proc/self']) {
        const res = await plexus.call('POST', '/api/v1/sources', {
          identifier: uniqueId('outside-'),
          type: 'backstage',
          config: { paths: [tempDir(), path] },
        });
        expect(res.status).toBe(422);
        expect(res.body.error.details).toEqual([
          { path: '/config/paths/1', message: expect.stringMatching(/never readable|PLEXUS_FILE_ROOTS/) },
        ]);
        expect(res.body.error.details[0].message).toContain(path);
      }
      const local = await plexus.call('POST', '/api/v1/sources', {
        identifier: uniqueId('outside-'),
        type: 'backstage',
        config: { paths: [], repositories: [{ url: 'file:///etc' }] },
      });
      expect(local.status).toBe(422);
      expect(local.body.error.details[0].path).toBe('/config/repositories/0/url');
    });
  });

  it('marks a run partial and deletes nothing when a descriptor cannot be parsed', async () => {
    const ns = uniqueId('acme');
    const dir = copyFixture('acme', ns);
    const { id, run } = await syncFolder({ paths: [dir] });
    expect(run.status).toBe('succeeded');
    writeFileSync(join(dir, 'services', 'cart', 'catalog-info.yaml'), 'kind: [broken');
    const started = await plexus.call('POST', `/api/v1/sources/${id}/sync`);
    await plexus.services.sources.waitForRun(started.body.run);
    const second = (await plexus.call('GET', `/api/v1/sources/${id}/runs/${started.body.run}`)).body;
    expect(second.status).toBe('partial');
    expect(second.deleted).toBe(0);
    expect(second.errorDetails[0]).toMatchObject({ stage: 'fetch' });
    expect(second.errorDetails[0].origin).toMatch(/services\/cart\/catalog-info\.yaml#1/);
    expect(
      (await plexus.call('GET', `/api/v1/blueprints/component/entities/${encodeURIComponent(`${ns}/cart`)}`))
        .status,
    ).toBe(200);
  });

  it('imports a catalog with URL placeholders, a Location tree and an invalid name, linked to entities already there', async () => {
    const u = uniqueId('bs');
    // Entities Plexus already has, with bare identifiers (as the Order example's are).
    const existing = await plexus.call('POST', '/api/v1/entities/bulk', {
      entities: [
        { blueprint: 'group', identifier: `platform-${u}`, title: 'Platform', properties: { type: 'team' } },
        { blueprint: 'system', identifier: `shop-${u}`, title: 'Shop', relations: { ownedBy: `group:platform-${u}` } },
      ],
    });
    expect(existing.status, JSON.stringify(existing.body)).toBe(200);
    const server = createServer((req, res) => {
      if (req.url === '/specs/cart.yaml') res.end('openapi: 3.0.0\ninfo: {title: cart}\n');
      else {
        res.statusCode = 404;
        res.end('not here');
      }
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const dir = tempDir();
      mkdirSync(join(dir, 'services'));
      const doc = (kind: string, name: string, spec: Record<string, unknown>) =>
        stringify({ apiVersion: 'backstage.io/v1alpha1', kind, metadata: { name }, spec });
      writeFileSync(
        join(dir, 'catalog-info.yaml'),
        stringify({ apiVersion: 'backstage.io/v1alpha1', kind: 'Location', metadata: { name: `root-${u}` }, spec: { targets: ['./services/*.yaml'] } }),
      );
      writeFileSync(
        join(dir, 'services', 'cart.yaml'),
        [
          doc('Component', `cart-${u}`, { type: 'service', lifecycle: 'production', owner: `platform-${u}`, system: `shop-${u}`, providesApis: [`cart-api-${u}`, `stock-api-${u}`] }),
          doc('API', `cart-api-${u}`, { type: 'openapi', lifecycle: 'production', owner: `group:platform-${u}`, definition: { $text: `${base}/specs/cart.yaml` } }),
          doc('API', `stock-api-${u}`, { type: 'openapi', lifecycle: 'production', owner: `platform-${u}`, definition: { $openapi: `${base}/specs/missing.yaml` } }),
          doc('Component', `Bad_Name_${u}_`, { type: 'service', lifecycle: 'production', owner: `platform-${u}` }),
        ].join('---\n'),
      );
      const { run } = await syncFolder({ paths: [dir], allowUrlTargets: true });
      // The invalid name is a part not imported: the run is partial and names it, in Backstage's words.
      expect(run.status).toBe('partial');
      const messages = run.errorDetails.map((e: { message: string }) => e.message);
      expect(messages).toEqual(
        expect.arrayContaining([
          expect.stringContaining(`"metadata.name" is not valid; expected a string that is sequences of [a-zA-Z0-9] separated by any of [-_.], at most 63 characters in total but found "Bad_Name_${u}_".`),
          expect.stringMatching(/placeholder \$openapi http:\/\/127\.0\.0\.1:\d+\/specs\/missing\.yaml at spec\.definition was not read/),
        ]),
      );
      expect(run.errorDetails.find((e: { message: string }) => /missing\.yaml/.test(e.message)).warning).toBe(true);
      // Every valid entity is there, with the bare identifiers of the default namespace, and linked.
      const cart = await entity('component', `cart-${u}`);
      expect(cart.relations).toMatchObject({ ownedBy: `group:platform-${u}`, partOf: `shop-${u}`, providesApis: [`cart-api-${u}`, `stock-api-${u}`] });
      expect((await entity('api', `cart-api-${u}`)).properties.definition).toBe('openapi: 3.0.0\ninfo: {title: cart}\n');
      expect((await entity('api', `stock-api-${u}`)).properties.definition).toBe(`${base}/specs/missing.yaml`);
      expect((await entity('location', `root-${u}`)).identifier).toBe(`root-${u}`);
      // Linked from the existing entities' side too (the pack's inverse fields).
      const [owned] = await plexus.cypher<{ n: number }>('MATCH (:Group {identifier: $g})<-[:OWNED_BY]-(x) RETURN count(x) AS n',
        { g: `platform-${u}` },
      );
      expect(owned.n).toBe(4); // the shop system, and the three imported
      const bad = await plexus.call('GET', `/api/v1/blueprints/component/entities/${encodeURIComponent(`bad_name_${u}_`)}`);
      expect(bad.status).toBe(404);
    } finally {
      server.close();
    }
  });
});
