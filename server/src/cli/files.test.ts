import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderPlan } from './apply.ts';
import { CliError, exitCodes } from './client.ts';
import { readResources } from './files.ts';
import { renderProgress } from './progress.ts';

const dir = mkdtempSync(join(tmpdir(), 'plexus-cli-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('plexus apply files', () => {
  it('reads kind documents and blueprints/entities/sources lists from a folder, in name order', async () => {
    writeFileSync(
      join(dir, 'b.yaml'),
      'kind: Entity\nblueprint: svc\nidentifier: cart\n---\nkind: source\nidentifier: s1\ntype: http-json\n',
    );
    writeFileSync(
      join(dir, 'a.yml'),
      'blueprints:\n  - {identifier: svc, title: Service}\nentities:\n  - {blueprint: svc, identifier: search}\n',
    );
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    const got = await readResources([dir]);
    expect(got.map((r) => `${r.kind}:${r.body.identifier}`)).toEqual([
      'blueprint:svc',
      'entity:search',
      'entity:cart',
      'source:s1',
    ]);
    expect(got[2].origin).toBe(`${join(dir, 'b.yaml')}#1`);
  });

  it('refuses unknown kinds and broken YAML with a usage error naming the document', async () => {
    const bad = join(dir, 'bad', 'x.yaml');
    rmSync(join(dir, 'bad'), { recursive: true, force: true });
    mkdirSync(join(dir, 'bad'));
    writeFileSync(bad, 'kind: Widget\n---\nkey: [unclosed\n');
    try {
      await readResources([bad]);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(CliError);
      expect((err as CliError).exitCode).toBe(exitCodes.usage);
      expect((err as CliError).message).toContain(
        `${bad}#1: kind must be Blueprint, Entity, Source, Scorecard or Action`,
      );
      expect((err as CliError).message).toContain(`${bad}#2: invalid YAML`);
    }
  });

  it('maps a multi-document Backstage catalog-info.yaml to backstage pack entities, as the connector does', async () => {
    const bs = join(dir, 'backstage');
    mkdirSync(bs, { recursive: true });
    writeFileSync(join(bs, 'openapi.yaml'), 'openapi: 3.0.0\n');
    writeFileSync(
      join(bs, 'catalog-info.yaml'),
      [
        'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: Cart}\nspec: {type: service, lifecycle: production, owner: team-a, providesApis: [cart-api], dependencyOf: [component:shop]}',
        'apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: {name: cart-api, namespace: ops}\nspec: {type: openapi, lifecycle: production, owner: group:default/team-a, definition: {$text: ./openapi.yaml}}',
        'apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: {name: remote-api}\nspec: {type: openapi, lifecycle: production, owner: team-a, definition: {$openapi: "https://example.com/openapi.yaml"}}',
        'apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: more}\nspec: {targets: [./other.yaml]}',
      ].join('\n---\n'),
    );
    const warnings: string[] = [];
    const got = await readResources([join(bs, 'catalog-info.yaml')], { warn: (m) => warnings.push(m) });
    const byId = Object.fromEntries(got.map((r) => [`${r.body.blueprint}:${r.body.identifier}`, r]));
    expect(got.every((r) => r.kind === 'entity')).toBe(true);
    expect(Object.keys(byId).sort()).toEqual(['api:ops/cart-api', 'api:remote-api', 'component:cart', 'component:shop', 'location:more']);
    // The default namespace gives bare identifiers; references keep another namespace.
    expect(byId['component:cart'].body.relations).toMatchObject({ ownedBy: 'group:team-a', providesApis: ['cart-api'] });
    expect(byId['component:shop'].body.relations).toMatchObject({ dependsOn: 'component:cart' });
    expect(byId['api:ops/cart-api'].body.properties).toMatchObject({ definition: 'openapi: 3.0.0\n', namespace: 'ops' });
    // A URL the CLI does not read: the entity keeps the reference, and a warning says so.
    expect(byId['api:remote-api'].body.properties).toMatchObject({ definition: 'https://example.com/openapi.yaml' });
    expect(warnings).toEqual([expect.stringMatching(/catalog-info\.yaml#3: placeholder \$openapi https:\/\/example\.com\/openapi\.yaml at spec\.definition was not read/)]);
  });

  it("refuses a Backstage descriptor Backstage itself would refuse, with Backstage's message", async () => {
    const file = join(dir, 'backstage-bad.yaml');
    writeFileSync(file, 'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: "bad name!", namespace: Ops_Team}\nspec: {owner: "group:"}\n');
    const err = await readResources([file]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    const message = (err as CliError).message;
    expect(message).toContain(`${file}#1: "metadata.name" is not valid; expected a string that is sequences of [a-zA-Z0-9] separated by any of [-_.], at most 63 characters in total but found "bad name!".`);
    expect(message).toContain('"metadata.namespace" is not valid; expected a string that is sequences of [a-z0-9] separated by [-], at most 63 characters in total but found "Ops_Team".');
    expect(message).toContain('Entity reference "group:" was not on the form [<kind>:][<namespace>/]<name>');
  });

  it('renders a plan and a progress line', () => {
    expect(
      renderPlan([
        { action: 'create', kind: 'entity', name: 'svc/a' },
        { action: 'delete', kind: 'source', name: 's1' },
        { action: 'unchanged', kind: 'blueprint', name: 'svc' },
      ]),
    ).toBe(
      '  + create entity svc/a\n  - delete source s1\nPlan: 1 to create, 0 to update, 1 to delete, 1 unchanged.',
    );
    expect(
      renderProgress(
        { status: 'running', records: 50, created: 5, updated: 1, deleted: 0, errors: 0, rate: 25 },
        100,
        10,
      ),
    ).toBe('[#####-----]  50% 50 records, 5 created, 1 updated, 0 deleted, 0 errors, 25/s');
  });
});
