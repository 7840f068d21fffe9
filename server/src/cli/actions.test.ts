import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeServer, startFakeServer } from '@plexus/connector-sdk/fake-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { runCli } from './main.ts';

/**
 * `kind: Action` in `plexus apply` and `plexus export`, against a fake Plexus speaking the REST
 * contract of API.md "Actions and runs" (actions answered with their secrets masked).
 */
type Json = Record<string, any>;
let server: FakeServer;
let actions: Map<string, Json>;
let dir: string;

const mask = (a: Json) => ({
  ...a,
  invoker: {
    ...a.invoker,
    ...(a.invoker.secret ? { secret: '********' } : {}),
    ...(a.invoker.token ? { token: '********' } : {}),
  },
});

beforeEach(async () => {
  actions = new Map();
  dir = mkdtempSync(join(tmpdir(), 'plexus-cli-actions-'));
  server = await startFakeServer((req) => {
    if (req.method === 'GET' && req.path === '/api/v1/blueprints')
      return {
        body: {
          blueprints: [
            { identifier: 'service', title: 'Service', schema: { properties: {} }, relations: {} },
          ],
        },
      };
    if (req.method === 'GET' && req.path === '/api/v1/blueprints/service/entities')
      return { body: { entities: [], next: null } };
    if (req.method === 'GET' && req.path === '/api/v1/sources') return { body: { sources: [] } };
    if (req.method === 'GET' && req.path === '/api/v1/scorecards') return { body: { scorecards: [] } };
    // Dry runs (API.md "?dryRun=true"): the diff, nothing stored. `apply` checks with them first.
    if (req.query.get('dryRun') === 'true' && req.path.startsWith('/api/v1/actions')) {
      const body = req.body ? JSON.parse(req.body) : {};
      const identifier = body.identifier ?? req.path.split('/').pop();
      const op = req.method === 'DELETE' ? 'delete' : actions.has(identifier) ? 'update' : 'create';
      if (req.method === 'POST' && actions.has(identifier))
        return { status: 409, body: { error: { code: 'conflict', message: 'exists' } } };
      return { body: { dryRun: true, changes: [{ op, kind: 'action', identifier }] } };
    }
    if (req.method === 'GET' && req.path === '/api/v1/actions')
      return { body: { actions: [...actions.values()].map(mask) } };
    if (req.method === 'POST' && req.path === '/api/v1/actions') {
      const body = JSON.parse(req.body);
      if (actions.has(body.identifier))
        return { status: 409, body: { error: { code: 'conflict', message: 'exists' } } };
      actions.set(body.identifier, { ...body, createdAt: '2026-01-01T00:00:00Z', createdBy: 'admin' });
      return { status: 201, body: mask(body) };
    }
    const m = /^\/api\/v1\/actions\/([^/]+)$/.exec(req.path);
    if (m && req.method === 'PUT') {
      const body = JSON.parse(req.body);
      const before = actions.get(m[1])!;
      for (const k of ['secret', 'token'])
        if (body.invoker[k] === '********') body.invoker[k] = before.invoker[k];
      actions.set(m[1], { ...body, createdAt: before.createdAt, createdBy: before.createdBy });
      return { body: mask(body) };
    }
    return { status: 404, body: { error: { code: 'not_found', message: `${req.method} ${req.path}` } } };
  });
});

afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    env: { PLEXUS_URL: server.url, PLEXUS_TOKEN: 'admin-token' },
    pollMs: 10,
  });
  return { code, stdout, stderr };
}

const rollback = (extra = '') => `
kind: Action
identifier: rollback
title: Roll back
blueprint: service
operation: DAY-2
inputs:
  properties:
    version: {type: string}
  required: [version]
invoker:
  type: webhook
  url: https://deployer.internal/hooks/plexus
  secret: s3cret-value
approval: {required: false}
${extra}`;

describe('plexus apply and export with kind: Action', () => {
  it('creates an action, then sees no change, then updates what the file changed', async () => {
    const file = join(dir, 'actions.yaml');
    writeFileSync(file, rollback());
    const first = await cli(['apply', '-f', file]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('+ create action rollback');
    expect(actions.get('rollback')).toMatchObject({
      operation: 'DAY-2',
      invoker: { secret: 's3cret-value' },
    });

    // The server answers the secret masked: that is not drift.
    const again = await cli(['apply', '-f', file]);
    expect(again.stdout).toContain('Plan: 0 to create, 0 to update, 0 to delete, 1 unchanged.');

    writeFileSync(file, rollback().replace('title: Roll back', 'title: Roll back a release'));
    const changed = await cli(['apply', '-f', file]);
    expect(changed.stdout).toContain('~ update action rollback');
    expect(actions.get('rollback')?.title).toBe('Roll back a release');
    // Checked with a dry run, then written once.
    expect(
      server.requests.filter((r) => r.method === 'PUT').map((r) => `${r.path}?${r.query}`),
    ).toEqual(['/api/v1/actions/rollback?dryRun=true', '/api/v1/actions/rollback?']);
  });

  it('exports actions without their secrets, and applying the export keeps the stored secret', async () => {
    const file = join(dir, 'actions.yaml');
    writeFileSync(file, rollback());
    await cli(['apply', '-f', file]);

    const out = join(dir, 'export.yaml');
    const exported = await cli(['export', '--no-entities', '-o', out]);
    expect(exported.stderr + exported.code).toBe(`Exported 1 blueprints to ${out}.\n0`);
    const docs = parseAllDocuments(readFileSync(out, 'utf8')).map((d) => d.toJSON());
    const list = docs.find((d) => d.actions)?.actions;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      identifier: 'rollback',
      invoker: { type: 'webhook', url: 'https://deployer.internal/hooks/plexus' },
    });
    expect(list[0].invoker).not.toHaveProperty('secret');
    expect(list[0]).not.toHaveProperty('createdAt');

    // Read back unchanged; a changed field is applied with the stored secret kept.
    expect((await cli(['apply', '-f', out])).stdout).toContain(
      'Plan: 0 to create, 0 to update, 0 to delete, 2 unchanged.',
    );
    list[0].title = 'Changed';
    writeFileSync(out, stringify({ actions: list }));
    await cli(['apply', '-f', out]);
    expect(actions.get('rollback')).toMatchObject({ title: 'Changed', invoker: { secret: 's3cret-value' } });
  });

  it('a changed secret alone is sent with --force', async () => {
    const file = join(dir, 'actions.yaml');
    writeFileSync(file, rollback());
    await cli(['apply', '-f', file]);
    writeFileSync(file, rollback().replace('s3cret-value', 'rotated-value'));
    expect((await cli(['apply', '-f', file])).stdout).toContain('Nothing to do.');
    await cli(['apply', '-f', file, '--force']);
    expect(actions.get('rollback')?.invoker.secret).toBe('rotated-value');
  });

  it('names an action without an identifier and sends nothing', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'kind: Action\ntitle: No id\n');
    const res = await cli(['apply', '-f', file]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('an action needs an identifier');
    expect(server.requests).toHaveLength(0);
  });
});
