import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';
import { readRows, writeRows } from './driver.ts';
import { migrationStatements } from './migrations.ts';

// Migration 0013 (cypher/migrations/0013-backstage-bare-identifiers.cypher) replayed over what a
// Backstage import made before identifiers were bare names; the next sync of that source finds
// its entities under the new identifiers.

let px: TestPlexus;
const sources: string[] = [];
const scratch: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'plexus-migration-0013-'));
  scratch.push(d);
  return d;
};
const entity = async (blueprint: string, identifier: string) =>
  (await px.call('GET', `/api/v1/blueprints/${blueprint}/entities/${encodeURIComponent(identifier)}`)).body;

beforeAll(async () => {
  px = await startTestPlexus();
  expect((await px.call('POST', '/api/v1/packs/backstage')).status).toBe(200);
});
afterAll(async () => {
  for (const id of sources) await px.call('DELETE', `/api/v1/sources/${id}?purge=true`);
  await px.close();
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

describe('migration 0013: Backstage identifiers without the default/ namespace', () => {
  it('migrates default/<name> identifiers of earlier imports to bare names, keeping relations, reporting conflicts', async () => {
    const u = uniqueId('mig');
    const dir = tempDir();
    writeFileSync(
      join(dir, 'catalog-info.yaml'),
      [
        stringify({
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Group',
          metadata: { name: `team-${u}` },
          spec: { type: 'team' },
        }),
        stringify({
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Component',
          metadata: { name: `legacy-${u}` },
          spec: { type: 'service', lifecycle: 'production', owner: `team-${u}` },
        }),
      ].join('---\n'),
    );
    const id = uniqueId('legacy-');
    expect(
      (
        await px.call('POST', '/api/v1/sources', {
          identifier: id,
          type: 'backstage',
          config: { paths: [dir] },
        })
      ).status,
    ).toBe(201);
    sources.push(id);
    const source = `connector:${id}`;
    // What an import before bare identifiers left: default/<name> entities, relations and ledger.
    const old = await px.call('POST', '/api/v1/entities/bulk', {
      entities: [
        { blueprint: 'group', identifier: `default/team-${u}`, properties: { type: 'team' } },
        ...[`default/legacy-${u}`, `default/dup-${u}`, `dup-${u}`].map((identifier) => ({
          blueprint: 'component',
          identifier,
          properties: { type: 'service', lifecycle: 'production' },
          relations: { ownedBy: `group:default/team-${u}` },
        })),
      ],
    });
    expect(old.status, JSON.stringify(old.body)).toBe(200);
    await writeRows(
      px.services.db,
      'MATCH (n:Entity) WHERE n.identifier IN $ids SET n._sources = [$source]',
      {
        ids: [`default/team-${u}`, `default/legacy-${u}`, `default/dup-${u}`],
        source,
      },
    );
    await writeRows(
      px.services.db,
      "UNWIND $items AS item CREATE (:_SourceItem {id: $source + '|' + item.blueprint + ':' + item.identifier, source: $source, key: item.blueprint + ':' + item.identifier, blueprint: item.blueprint, identifier: item.identifier, hash: 'old', properties: [], relations: item.relations})",
      {
        source,
        items: [
          { blueprint: 'group', identifier: `default/team-${u}`, relations: [] },
          {
            blueprint: 'component',
            identifier: `default/legacy-${u}`,
            relations: [`ownedBy|group:default/team-${u}`],
          },
        ],
      },
    );
    for (const statement of migrationStatements('0013-backstage-bare-identifiers.cypher'))
      await writeRows(px.services.db, statement);

    expect((await entity('component', `legacy-${u}`)).relations.ownedBy).toBe(`group:team-${u}`);
    expect(
      (
        await px.call(
          'GET',
          `/api/v1/blueprints/component/entities/${encodeURIComponent(`default/legacy-${u}`)}`,
        )
      ).status,
    ).toBe(404);
    // A conflict is recorded and both entities are left as they were.
    const conflicts = await readRows<{ message: string }>(
      px.services.db,
      'MATCH (c:_MigrationConflict {blueprint: "component", identifier: $id}) RETURN c.message AS message',
      { id: `default/dup-${u}` },
    );
    expect(conflicts).toEqual([
      { message: expect.stringContaining(`"dup-${u}" exists already; both are kept`) },
    ]);
    expect(
      (
        await px.call(
          'GET',
          `/api/v1/blueprints/component/entities/${encodeURIComponent(`default/dup-${u}`)}`,
        )
      ).status,
    ).toBe(200);
    expect((await px.call('GET', `/api/v1/blueprints/component/entities/dup-${u}`)).status).toBe(200);
    const [ledger] = await readRows<{ relations: string[] }>(
      px.services.db,
      'MATCH (i:_SourceItem {id: $id}) RETURN i.relations AS relations',
      {
        id: `${source}|component:legacy-${u}`,
      },
    );
    expect(ledger.relations).toEqual([`ownedBy|group:team-${u}`]);

    // The next sync finds its entities under the new identifiers: nothing created, nothing deleted.
    const started = await px.call('POST', `/api/v1/sources/${id}/sync`);
    await px.services.sources.waitForRun(started.body.run);
    const run = (await px.call('GET', `/api/v1/sources/${id}/runs/${started.body.run}`)).body;
    expect(run.status, JSON.stringify(run)).toBe('succeeded');
    expect(run).toMatchObject({ created: 0, deleted: 0 });
    expect((await entity('component', `legacy-${u}`)).relations.ownedBy).toBe(`group:team-${u}`);
  });
});
