/**
 * The contract every connector passes (CONVENTIONS.md habit 4), run against a real Plexus on the
 * test Neo4j through the public REST API: register a source, sync it, change what the (fake)
 * source serves, sync again, and check the graph.
 *
 * A connector's `*.int.test.ts` provides its recorded fixtures and a `create` that serves a
 * `ContractState` (a local fake HTTP server on 127.0.0.1, or a temporary folder) and honours its
 * `failure` switch; it adds only its own cases.
 *
 * @example
 * runConnectorContract({
 *   name: 'http-json',
 *   startPlexus, // from @plexus/connector-sdk/testing
 *   fixtures: JSON.parse(readFileSync(new URL('./__fixtures__/items.json', import.meta.url), 'utf8')),
 *   async create(state, { prefix }) {
 *     const server = await startFakeServer(state, prefix);
 *     return { connector: httpJsonConnector, config: { url: server.url }, mapping, close: server.close };
 *   },
 * });
 */
import type { ChangeEvent } from '@plexus/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connector } from './contract.ts';
import type { MappingDocument } from './mapping.ts';
import { uniqueId } from './unique-id.ts';

/**
 * What the suite needs of a running Plexus: the server's `TestPlexus` has it. The SDK does not
 * import the server; the connector's test passes `startPlexus` (plexus-under-test.ts) in.
 */
export interface ContractPlexus {
  /**
   * A REST call with an admin token (`token`: another bearer token, or null for none): status and
   * parsed JSON body.
   */
  call(
    method: string,
    path: string,
    body?: unknown,
    options?: { token?: string | null; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any }>;
  services: {
    sources: {
      /** Registers a connector type (replacing one of the same type). */
      registerConnector(connector: Connector<any>): unknown;
      /** Resolves when the sync run has ended. */
      waitForRun(run: string): Promise<unknown>;
    };
    /** The catalog's change events; returns the unsubscribe function. */
    events: { on(listener: (events: readonly ChangeEvent[]) => unknown): () => unknown };
  };
  close(): Promise<void>;
}

/** What the fake source serves now. The suite changes it between syncs. */
export interface ContractState<T> {
  /** The recorded records the source holds; the suite removes some. */
  items: T[];
  /**
   * `at-start`: the source answers nothing usable (HTTP 500/401, unreadable folder, a throw).
   * `midway`: the first item (or page) is served, then the source fails. Use failures the
   * connector does not retry for long (4xx, a throw), so the suite stays fast.
   */
  failure: 'none' | 'at-start' | 'midway';
}

/** A source the suite can register. */
export interface ContractSource<C> {
  connector: Connector<C>;
  /** Raw config for `POST /api/v1/sources`. */
  config: Record<string, unknown>;
  /** A mapping replacing the connector's default. */
  mapping?: MappingDocument;
  close?(): Promise<void>;
}

/** Options of `runConnectorContract`. */
export interface ContractOptions<T, C> {
  /** Connector name in test titles. */
  name: string;
  /**
   * Recorded source records (at least 3), each giving at least one entity, none giving an error.
   * Removing the first one must remove at least one entity that no other record gives.
   */
  fixtures: T[];
  /**
   * Serves `state` and returns the source to register. `prefix` is unique per call group: put it
   * in every identifier the fixtures produce (names, namespaces) so tests on the shared Neo4j never meet.
   */
  create(state: ContractState<T>, env: { prefix: string }): Promise<ContractSource<C>>;
  /** Starts the Plexus the suite registers sources on: `startPlexus` of `@plexus/connector-sdk/testing`. */
  startPlexus(): Promise<ContractPlexus>;
  /** Creates the blueprints the mapping writes to (e.g. `POST /api/v1/packs/backstage`). */
  prepare?(plexus: ContractPlexus): Promise<void>;
}

interface Ref {
  blueprint: string;
  identifier: string;
}

const key = (r: Ref) => `${r.blueprint}:${r.identifier}`;

/**
 * Registers the shared contract tests for a connector.
 */
export function runConnectorContract<T, C>(options: ContractOptions<T, C>): void {
  describe(`${options.name} connector contract`, () => {
    let plexus: ContractPlexus;
    const sources: string[] = [];
    const closers: (() => Promise<void>)[] = [];
    const perSource = new Map<string, Connector<any>>();

    beforeAll(async () => {
      expect(options.fixtures.length, 'the contract needs at least 3 fixture records').toBeGreaterThanOrEqual(
        3,
      );
      plexus = await options.startPlexus();
      await options.prepare?.(plexus);
    });

    afterAll(async () => {
      for (const id of sources)
        await plexus.call('DELETE', `/api/v1/sources/${id}?purge=true`).catch(() => {});
      for (const close of closers) await close().catch(() => {});
      await plexus?.close();
    });

    /** A fake source with its own state, registered under a unique identifier. */
    async function source(prefix: string) {
      const state: ContractState<T> = { items: structuredClone(options.fixtures), failure: 'none' };
      const created = await options.create(state, { prefix });
      if (created.close) closers.push(created.close);
      const id = uniqueId(`contract-${options.name.replace(/[^a-z0-9]/g, '')}-`).toLowerCase();
      // Each source may bring its own connector object (e.g. one that materialises its state
      // first); the registered one routes each run to the object of its source.
      perSource.set(id, created.connector as Connector<any>);
      plexus.services.sources.registerConnector({
        ...(created.connector as Connector<any>),
        fetch: created.connector.fetch
          ? (config, ctx) => perSource.get(ctx.sourceId)!.fetch!(config, ctx)
          : undefined,
      });
      const res = await plexus.call('POST', '/api/v1/sources', {
        identifier: id,
        type: created.connector.type,
        config: created.config,
        ...(created.mapping ? { mapping: created.mapping } : {}),
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      sources.push(id);
      return { id, state };
    }

    async function sync(id: string, query = '') {
      const res = await plexus.call('POST', `/api/v1/sources/${id}/sync${query}`);
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      await plexus.services.sources.waitForRun(res.body.run);
      const run = await plexus.call('GET', `/api/v1/sources/${id}/runs/${res.body.run}`);
      expect(run.status).toBe(200);
      return run.body;
    }

    async function owned(id: string): Promise<Ref[]> {
      const res = await plexus.call('GET', `/api/v1/sources/${id}/entities`);
      expect(res.status).toBe(200);
      return res.body.entities;
    }

    async function exists(ref: Ref): Promise<boolean> {
      const res = await plexus.call(
        'GET',
        `/api/v1/blueprints/${ref.blueprint}/entities/${encodeURIComponent(ref.identifier)}`,
      );
      return res.status === 200;
    }

    async function allExist(refs: Ref[]): Promise<boolean> {
      for (const r of refs) if (!(await exists(r))) return false;
      return true;
    }

    it('first sync writes the entities the fixtures describe, without errors', async () => {
      const { id } = await source(uniqueId('c'));
      const run = await sync(id);
      expect(run.status, run.message).toBe('succeeded');
      expect(run.errors, JSON.stringify(run.errorDetails)).toBe(0);
      expect(run.created).toBeGreaterThan(0);
      const refs = await owned(id);
      expect(refs.length).toBe(run.entities);
      expect(await allExist(refs)).toBe(true);
      const listed = await plexus.call('GET', `/api/v1/sources/${id}`);
      expect(listed.body.lastRun.id).toBe(run.id);
      expect(listed.body.entityCount).toBe(refs.length);
    });

    it('a second sync of the same data is an empty diff: no writes, no change events', async () => {
      const { id } = await source(uniqueId('c'));
      const first = await sync(id);
      expect(first.status).toBe('succeeded');
      const seen: ChangeEvent[] = [];
      const off = plexus.services.events.on((events) => {
        for (const e of events) if ('source' in e && e.source === `connector:${id}`) seen.push(e);
      });
      const second = await sync(id);
      off();
      expect(second.status).toBe('succeeded');
      expect({
        upserted: second.upserted,
        created: second.created,
        updated: second.updated,
        deleted: second.deleted,
        detached: second.detached,
      }).toEqual({
        upserted: 0,
        created: 0,
        updated: 0,
        deleted: 0,
        detached: 0,
      });
      expect(second.unchanged).toBe(first.entities);
      expect(seen).toEqual([]);
    });

    it('a record removed at the source disappears from the graph, and only it', async () => {
      const { id, state } = await source(uniqueId('c'));
      await sync(id);
      const before = await owned(id);
      state.items = state.items.slice(1);
      const run = await sync(id);
      expect(run.status, run.message).toBe('succeeded');
      const after = await owned(id);
      const gone = before.filter((r) => !after.some((a) => key(a) === key(r)));
      expect(gone.length).toBeGreaterThan(0);
      expect(run.deleted).toBe(gone.length);
      for (const r of gone) expect(await exists(r), `${key(r)} should be deleted`).toBe(false);
      expect(await allExist(after)).toBe(true);
    });

    it("another source's data and a person's manual entities survive a sync that removes records", async () => {
      const prefix = uniqueId('c');
      const a = await source(prefix);
      await sync(a.id);
      const refs = await owned(a.id);
      // A person's entity: a copy of one the connector wrote, under a new identifier.
      const model = await plexus.call(
        'GET',
        `/api/v1/blueprints/${refs[0].blueprint}/entities/${encodeURIComponent(refs[0].identifier)}`,
      );
      const manual = { ...refs[0], identifier: `${refs[0].identifier}-manual` };
      const put = await plexus.call(
        'POST',
        `/api/v1/blueprints/${manual.blueprint}/entities`,
        {
          identifier: manual.identifier,
          title: 'made by hand',
          properties: model.body.properties,
          relations: model.body.relations,
        },
        { headers: { 'x-plexus-origin': 'ui' } },
      );
      expect(put.status, JSON.stringify(put.body)).toBe(201);
      // Another source feeding the same entities.
      const b = await source(prefix);
      const runB = await sync(b.id);
      expect(runB.status, runB.message).toBe('succeeded');
      a.state.items = a.state.items.slice(1);
      const run = await sync(a.id);
      expect(run.status, run.message).toBe('succeeded');
      expect(run.deleted).toBe(0);
      // Everything B still reports exists, and those entities no longer name A as a source.
      const stillA = new Set((await owned(a.id)).map(key));
      for (const r of await owned(b.id)) {
        const got = await plexus.call(
          'GET',
          `/api/v1/blueprints/${r.blueprint}/entities/${encodeURIComponent(r.identifier)}`,
        );
        expect(got.status, `${key(r)} fed by another source must survive`).toBe(200);
        expect(got.body.meta.sources).toContain(`connector:${b.id}`);
        if (!stillA.has(key(r))) expect(got.body.meta.sources).not.toContain(`connector:${a.id}`);
      }
      expect(run.detached).toBeGreaterThan(0);
      const after = await plexus.call(
        'GET',
        `/api/v1/blueprints/${manual.blueprint}/entities/${encodeURIComponent(manual.identifier)}`,
      );
      expect(after.status).toBe(200);
      expect(after.body.title).toBe('made by hand');
      await plexus.call(
        'DELETE',
        `/api/v1/blueprints/${manual.blueprint}/entities/${encodeURIComponent(manual.identifier)}`,
      );
    });

    it('a source that errors deletes nothing', async () => {
      const { id, state } = await source(uniqueId('c'));
      await sync(id);
      const before = await owned(id);
      state.items = [];
      state.failure = 'at-start';
      const run = await sync(id);
      // `failed` when the source as a whole errs; `partial` when the connector reported the part it could not read.
      expect(['failed', 'partial']).toContain(run.status);
      expect(run.deleted).toBe(0);
      expect((await owned(id)).length).toBe(before.length);
      expect(await allExist(before)).toBe(true);
    });

    it('a failure in the middle of a sync deletes nothing', async () => {
      const { id, state } = await source(uniqueId('c'));
      await sync(id);
      const before = await owned(id);
      state.items = state.items.slice(1);
      state.failure = 'midway';
      const run = await sync(id);
      expect(['failed', 'partial']).toContain(run.status);
      expect(run.deleted).toBe(0);
      expect(await allExist(before)).toBe(true);
    });

    it('the deletion threshold stops a sync that would wipe the source, until confirmed', async () => {
      const { id, state } = await source(uniqueId('c'));
      await sync(id);
      const before = await owned(id);
      state.items = [];
      const blocked = await sync(id);
      expect(blocked.status).toBe('blocked');
      expect(blocked.message).toMatch(/threshold/);
      expect(blocked.deleted).toBe(0);
      expect(await allExist(before)).toBe(true);
      const confirmed = await sync(id, '?allowMassDeletion=true');
      expect(confirmed.status).toBe('succeeded');
      expect(confirmed.deleted).toBe(before.length);
      for (const r of before) expect(await exists(r)).toBe(false);
    });
  });
}
