import { type FakeServer, startFakeServer } from '@plexus/connector-sdk/fake-server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { builtInConnectors } from '../../../connectors/registry.ts';
import { writeRows } from '../db/driver.ts';
import { silentLogger } from '../log.ts';
import { startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';
import { createSourcesService, type SourcesService } from './sources-service.ts';

/** Polls `check` until it holds or the deadline passes (no fixed sleeps). */
/** Polls `check` until it returns a truthy value (vitest's `vi.waitFor`, generous on a busy machine). */
function eventually<T>(check: () => Promise<T | null | undefined | false>): Promise<T> {
  return vi.waitFor(
    async () => {
      const v = await check();
      if (!v) throw new Error('condition not met yet');
      return v;
    },
    { timeout: 60_000, interval: 25 },
  );
}

describe('sources', () => {
  let plexus: TestPlexus;
  let blueprint: string;
  const servers: FakeServer[] = [];
  const extra: SourcesService[] = [];
  /** What each fake JSON endpoint serves, by path. */
  const served = new Map<string, unknown[]>();

  beforeAll(async () => {
    plexus = await startTestPlexus();
    blueprint = uniqueId('app');
    const res = await plexus.call('POST', '/api/v1/blueprints', {
      identifier: blueprint,
      title: 'Application',
      schema: {
        properties: {
          tier: { type: 'integer' },
          language: { type: 'string' },
          team: { type: 'string' },
          oncall: { type: 'string' },
        },
      },
      relations: { dependsOn: { target: blueprint, many: true } },
    });
    expect(res.status).toBe(201);
    servers.push(await startFakeServer((req) => ({ body: served.get(req.path) ?? [] })));
  });
  const configured: string[] = [];
  afterAll(async () => {
    for (const s of extra) s.stop();
    // plexus.yaml sources cannot be deleted through the API; a scheduled one must not outlive the test.
    for (const id of configured)
      await writeRows(plexus.services.db, 'MATCH (s:_Source {identifier: $id}) DETACH DELETE s', { id });
    for (const s of servers) await s.close();
    await plexus.close();
  });

  const endpoint = (items: unknown[]) => {
    const path = `/${uniqueId('p')}`;
    served.set(path, items);
    return { path, url: `${servers[0].url}${path}` };
  };

  /** An http-json source mapping `{id, ...}` items onto the test blueprint with the given properties. */
  async function register(
    items: unknown[],
    properties: Record<string, string>,
    relations: Record<string, string> = {},
    extraDef: Record<string, unknown> = {},
  ) {
    const id = uniqueId('src-');
    const { path, url } = endpoint(items);
    const res = await plexus.call('POST', '/api/v1/sources', {
      identifier: id,
      type: 'http-json',
      config: { url },
      mapping: {
        mappings: [{ kind: 'item', blueprint, identifier: 'id', title: 'name', properties, relations }],
      },
      ...extraDef,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return { id, path };
  }

  async function sync(id: string) {
    const started = await plexus.call('POST', `/api/v1/sources/${id}/sync`);
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    expect(started.headers.get('location')).toBe(`/api/v1/sources/${id}/runs/${started.body.run}`);
    await plexus.services.sources.waitForRun(started.body.run);
    return (await plexus.call('GET', `/api/v1/sources/${id}/runs/${started.body.run}`)).body;
  }

  const get = async (identifier: string) =>
    (await plexus.call('GET', `/api/v1/blueprints/${blueprint}/entities/${identifier}`)).body;

  it('lists each source with its status, last run and entity count', async () => {
    const p = uniqueId('x');
    const { id } = await register(
      [
        { id: `${p}-1`, tier: 1 },
        { id: `${p}-2`, tier: 2 },
      ],
      { tier: 'tier' },
    );
    const run = await sync(id);
    const list = await plexus.call('GET', '/api/v1/sources');
    const mine = list.body.sources.find((s: { identifier: string }) => s.identifier === id);
    expect(mine).toMatchObject({
      type: 'http-json',
      status: 'idle',
      entityCount: 2,
      origin: 'api',
      lastRun: { id: run.id, status: 'succeeded', upserted: 2, deleted: 0, errors: 0 },
    });
    expect(mine.lastRun.startedAt).toBeTypeOf('string');
    expect(mine.lastRun.finishedAt).toBeTypeOf('string');
    expect(list.body.types).toEqual(expect.arrayContaining(['backstage', 'http-json', 'webhook']));
    const runs = await plexus.call('GET', `/api/v1/sources/${id}/runs`);
    expect(runs.body.runs.map((r: { id: string }) => r.id)).toEqual([run.id]);
  });

  it('keeps both parts of an entity two sources feed, and removes only the vanished part', async () => {
    const shared = uniqueId('shared');
    const a = await register(
      [
        { id: shared, name: 'Shared app', tier: 1, language: 'go' },
        { id: `${shared}-a2`, tier: 2 },
      ],
      { tier: 'tier', language: 'language' },
    );
    const b = await register([{ id: shared, team: 'payments', oncall: 'alice' }], {
      team: 'team',
      oncall: 'oncall',
    });
    await sync(a.id);
    await sync(b.id);
    expect(await get(shared)).toMatchObject({
      title: 'Shared app',
      properties: { tier: 1, language: 'go', team: 'payments', oncall: 'alice' },
    });
    // B stops reporting oncall: only that property goes.
    served.set(b.path, [{ id: shared, team: 'payments' }]);
    const changed = await sync(b.id);
    expect(changed.updated).toBe(1);
    expect((await get(shared)).properties).toEqual({ tier: 1, language: 'go', team: 'payments' });
    // A stops reporting the entity: A's part goes, B's stays, and A is no longer a source.
    served.set(a.path, [{ id: `${shared}-a2`, tier: 2 }]);
    const run = await sync(a.id);
    expect(run).toMatchObject({ deleted: 0, detached: 1 });
    const after = await get(shared);
    expect(after.properties).toEqual({ team: 'payments' });
    expect(after.title).toBeNull();
    expect(after.meta.sources).toEqual([`connector:${b.id}`]);
  });

  it('answers 409 to a second sync while one runs', async () => {
    let open = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const slow = await startFakeServer(async () => {
      await gate;
      return { body: [] };
    });
    servers.push(slow);
    const id = uniqueId('slow-');
    await plexus.call('POST', '/api/v1/sources', {
      identifier: id,
      type: 'http-json',
      config: { url: slow.url },
    });
    const first = await plexus.call('POST', `/api/v1/sources/${id}/sync`);
    expect(first.status).toBe(202);
    const second = await plexus.call('POST', `/api/v1/sources/${id}/sync`);
    expect(second.status).toBe(409);
    expect((await plexus.call('GET', `/api/v1/sources/${id}`)).body.status).toBe('running');
    const progress = await plexus.call('GET', `/api/v1/sources/${id}/runs/${first.body.run}`);
    expect(progress.body.status).toBe('running');
    open();
    expect((await plexus.services.sources.waitForRun(first.body.run))?.status).toBe('succeeded');
  });

  it('deletes a source, keeping its entities unless purge is asked for', async () => {
    const p = uniqueId('d');
    const kept = await register([{ id: `${p}-kept` }], {});
    await sync(kept.id);
    expect((await plexus.call('DELETE', `/api/v1/sources/${kept.id}`)).body).toEqual({
      deleted: kept.id,
      purged: 0,
    });
    expect((await plexus.call('GET', `/api/v1/sources/${kept.id}`)).status).toBe(404);
    expect((await plexus.call('GET', `/api/v1/blueprints/${blueprint}/entities/${p}-kept`)).status).toBe(200);
    const purged = await register([{ id: `${p}-gone` }], {});
    await sync(purged.id);
    expect((await plexus.call('DELETE', `/api/v1/sources/${purged.id}?purge=true`)).body.purged).toBe(1);
    expect((await plexus.call('GET', `/api/v1/blueprints/${blueprint}/entities/${p}-gone`)).status).toBe(404);
  });

  it('answers 404 for unknown sources and runs, and 422 for an unknown type or schedule', async () => {
    expect((await plexus.call('GET', '/api/v1/sources/nope-nope')).status).toBe(404);
    expect((await plexus.call('POST', '/api/v1/sources/nope-nope/sync')).status).toBe(404);
    const { id } = await register([], {});
    expect((await plexus.call('GET', `/api/v1/sources/${id}/runs/run-x`)).status).toBe(404);
    const bad = await plexus.call('POST', '/api/v1/sources', {
      identifier: uniqueId('b-'),
      type: 'ftp',
      config: {},
      schedule: 'often',
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toEqual(['/type', '/schedule']);
    expect(
      (
        await plexus.call('POST', '/api/v1/sources', {
          identifier: id,
          type: 'http-json',
          config: { url: 'http://127.0.0.1:9/' },
        })
      ).status,
    ).toBe(409);
  });

  it('registers plexus.yaml sources at start-up with ${ENV} secrets, runs them on schedule, and refuses API changes to them', async () => {
    const p = uniqueId('y');
    const { url } = endpoint([{ id: `${p}-scheduled`, tier: 3 }]);
    const id = uniqueId('yaml-');
    configured.push(id);
    const sources = createSourcesService({
      ...plexus.services,
      logger: silentLogger,
      connectors: builtInConnectors(),
      configured: [
        {
          identifier: id,
          type: 'http-json',
          schedule: '10s',
          config: { url, headers: { authorization: 'Bearer ${INVENTORY_TOKEN}' } },
          mapping: {
            mappings: [{ kind: 'item', blueprint, identifier: 'id', properties: { tier: 'tier' } }],
          },
        },
        { identifier: uniqueId('broken-'), type: 'http-json', config: { url: '${NOT_SET_ANYWHERE}' } },
      ],
      env: { INVENTORY_TOKEN: 'from-the-environment' },
      tickMs: 50,
    });
    extra.push(sources);
    await sources.start();
    // The scheduler runs it: the first tick finds it never ran.
    const view = await eventually(async () => {
      const v = await sources.get(id);
      return v.lastRun?.status === 'succeeded' && v;
    });
    expect(view).toMatchObject({
      origin: 'config',
      schedule: '10s',
      secretsSet: ['headers'],
      entityCount: 1,
    });
    expect(servers[0].requests.some((r) => r.headers.authorization === 'Bearer from-the-environment')).toBe(
      true,
    );
    expect((await plexus.call('GET', `/api/v1/blueprints/${blueprint}/entities/${p}-scheduled`)).status).toBe(
      200,
    );
    expect(
      (await plexus.call('PUT', `/api/v1/sources/${id}`, { type: 'http-json', config: { url } })).status,
    ).toBe(409);
    expect((await plexus.call('DELETE', `/api/v1/sources/${id}`)).status).toBe(409);
    // A source whose ${ENV} is missing is not registered (and logged), the others are.
    expect(
      (await plexus.call('GET', '/api/v1/sources')).body.sources.filter((s: { identifier: string }) =>
        s.identifier.startsWith('broken-'),
      ),
    ).toEqual([]);
  });
});
