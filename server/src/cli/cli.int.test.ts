import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { serve } from '@hono/node-server';
import { type FakeServer, startFakeServer } from '@plexus/connector-sdk/fake-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';
import { defaultApplySet } from './apply.ts';
import { exitCodes } from './client.ts';
import { runCli } from './main.ts';

const run = promisify(execFile);

describe('plexus CLI against a running server', () => {
  let plexus: TestPlexus;
  let server: ReturnType<typeof serve>;
  let url: string;
  let dir: string;
  let team: string;
  let svc: string;
  let inventory: FakeServer;
  let inventoryItems: { slug: string }[] = [];

  /** Runs the CLI in-process and captures what it prints. */
  async function cli(args: string[], env: Record<string, string> = {}) {
    let stdout = '';
    let stderr = '';
    const code = await runCli(args, {
      stdout: (t) => {
        stdout += t;
      },
      stderr: (t) => {
        stderr += t;
      },
      env: { PLEXUS_URL: url, PLEXUS_TOKEN: plexus.adminToken, ...env },
      pollMs: 20,
    });
    return { code, stdout, stderr };
  }

  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  const catalogYaml = (extra = '') => `
kind: Blueprint
identifier: ${team}
title: Team
schema:
  properties:
    slack: {type: string}
relations:
  owns: {target: ${svc}, many: true}
---
kind: Blueprint
identifier: ${svc}
title: Service
schema:
  properties:
    tier: {type: integer, minimum: 1, maximum: 3}
  required: [tier]
relations:
  ownedBy: {target: ${team}, many: false}
---
entities:
  - {blueprint: ${team}, identifier: payments, title: Payments, properties: {slack: '#payments'}}
  - {blueprint: ${svc}, identifier: cart, title: Cart, properties: {tier: 1}, relations: {ownedBy: payments}}
  - {blueprint: ${svc}, identifier: search, properties: {tier: 2}, relations: {ownedBy: payments}}
${extra}`;

  beforeAll(async () => {
    plexus = await startTestPlexus();
    await new Promise<void>((ok) => {
      server = serve({ fetch: plexus.app.fetch, hostname: '127.0.0.1', port: 0 }, () => ok());
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dir = mkdtempSync(join(tmpdir(), 'plexus-cli-test-'));
    team = uniqueId('team');
    svc = uniqueId('svc');
    inventory = await startFakeServer(() => ({
      body: inventoryItems.map((i) => ({ blueprint: svc, identifier: i.slug, properties: { tier: 3 } })),
    }));
  });

  afterAll(async () => {
    await inventory.close();
    for (const id of [svc, team]) await plexus.call('DELETE', `/api/v1/blueprints/${id}?force=true`);
    await new Promise((ok) => server.close(ok));
    await plexus.close();
    rmSync(dir, { recursive: true, force: true });
  }, 300_000);

  it('apply shows the plan, then creates blueprints that point at each other, entities and provenance "cli"', async () => {
    const res = await cli(['apply', '-f', file('catalog.yaml', catalogYaml())]);
    expect(res.code, res.stderr).toBe(exitCodes.ok);
    expect(res.stdout).toContain(`+ create blueprint ${team}`);
    expect(res.stdout).toContain(`+ create entity ${svc}/cart`);
    expect(res.stdout).toContain('Plan: 5 to create, 0 to update, 0 to delete, 0 unchanged.');
    const cart = await plexus.call('GET', `/api/v1/blueprints/${svc}/entities/cart`);
    expect(cart.body).toMatchObject({
      title: 'Cart',
      properties: { tier: 1 },
      relations: { ownedBy: 'payments' },
      meta: { sources: ['cli'] },
    });
  }, 300_000);

  it('apply of the same files is an empty plan and changes nothing', async () => {
    const res = await cli(['apply', '-f', dir]);
    expect(res.code, res.stderr).toBe(exitCodes.ok);
    expect(res.stdout).toContain('Plan: 0 to create, 0 to update, 0 to delete, 5 unchanged.');
    expect(res.stdout).toContain('Nothing to do.');
  }, 300_000);

  it('--dry-run shows an update without making it; --detailed-exitcode tells CI there are changes', async () => {
    const p = file('catalog.yaml', catalogYaml().replace('properties: {tier: 2}', 'properties: {tier: 3}'));
    const res = await cli(['apply', '-f', p, '--dry-run', '--detailed-exitcode']);
    expect(res.code).toBe(exitCodes.partial);
    expect(res.stdout).toContain(`~ update entity ${svc}/search`);
    expect((await plexus.call('GET', `/api/v1/blueprints/${svc}/entities/search`)).body.properties.tier).toBe(
      2,
    );
    const applied = await cli(['apply', '-f', p]);
    expect(applied.code).toBe(exitCodes.ok);
    expect((await plexus.call('GET', `/api/v1/blueprints/${svc}/entities/search`)).body.properties.tier).toBe(
      3,
    );
  }, 300_000);

  it('--prune deletes what an earlier apply wrote and the files dropped, and leaves what people wrote', async () => {
    await plexus.call(
      'POST',
      `/api/v1/blueprints/${svc}/entities`,
      { identifier: 'hand-made', properties: { tier: 1 } },
      { headers: { 'x-plexus-origin': 'ui' } },
    );
    const p = file(
      'catalog.yaml',
      catalogYaml().replace(/\s+- \{blueprint: \S+, identifier: search.*\n/, '\n'),
    );
    const plan = await cli(['apply', '-f', p, '--prune', '--dry-run']);
    expect(plan.stdout).toContain(`- delete entity ${svc}/search`);
    expect(plan.stdout).not.toContain('hand-made');
    const res = await cli(['apply', '-f', p, '--prune']);
    expect(res.code, res.stderr).toBe(exitCodes.ok);
    expect((await plexus.call('GET', `/api/v1/blueprints/${svc}/entities/search`)).status).toBe(404);
    expect((await plexus.call('GET', `/api/v1/blueprints/${svc}/entities/hand-made`)).status).toBe(200);
  }, 300_000);

  it('refuses an invalid entity with exit 3, naming it, and writes nothing', async () => {
    const p = file(
      'bad.yaml',
      `kind: Entity\nblueprint: ${svc}\nidentifier: broken\nproperties: {tier: 9}\n---\nkind: Entity\nblueprint: ${svc}\nidentifier: fine\nproperties: {tier: 1}\n`,
    );
    const res = await cli(['apply', '-f', p]);
    expect(res.code).toBe(exitCodes.rejected);
    expect(res.stderr).toMatch(/broken.*tier/s);
    expect((await plexus.call('GET', `/api/v1/blueprints/${svc}/entities/fine`)).status).toBe(404);
    rmSync(p);
  }, 300_000);

  it('exits 4 with a wrong token, 5 when the server is unreachable and 2 for unreadable files', async () => {
    expect((await cli(['sources'], { PLEXUS_TOKEN: 'wrong' })).code).toBe(exitCodes.auth);
    expect((await cli(['sources', '--url', 'http://127.0.0.1:9'])).code).toBe(exitCodes.unreachable);
    const missing = await cli(['apply', '-f', join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(exitCodes.usage);
    const bad = await cli(['apply', '-f', file('broken.yml', 'kind: Widget\nidentifier: x\n')]);
    expect(bad.code).toBe(exitCodes.usage);
    expect(bad.stderr).toContain('kind must be Blueprint, Entity, Source, Scorecard or Action');
    rmSync(join(dir, 'broken.yml'));
    expect((await cli(['no-such-command'])).code).toBe(exitCodes.usage);
  }, 300_000);

  it('push upserts entities from YAML and NDJSON files for CI', async () => {
    const yamlFile = file(
      'push.yaml.txt',
      `- {identifier: pushed-1, properties: {tier: 2}}\n- {identifier: pushed-2, properties: {tier: 3}}\n`,
    );
    const res = await cli(['push', '-f', yamlFile, '--blueprint', svc]);
    expect(res.code, res.stderr).toBe(exitCodes.ok);
    expect(res.stdout).toContain('Pushed 2 entities: 2 created');
    const nd = file(
      'push.ndjson',
      `${JSON.stringify({ blueprint: svc, identifier: 'pushed-1', properties: { tier: 1 } })}\n`,
    );
    const again = await cli(['push', '-f', nd]);
    expect(again.stdout).toContain('1 updated');
    rmSync(yamlFile);
    rmSync(nd);
  }, 300_000);

  it('sync follows a run with progress and exits by its outcome (0 succeeded, 3 blocked)', async () => {
    const id = uniqueId('inventory-');
    inventoryItems = [{ slug: 'inv-a' }, { slug: 'inv-b' }, { slug: 'inv-c' }];
    const src = file(
      'source.yaml',
      `kind: Source\nidentifier: ${id}\ntype: http-json\nconfig:\n  url: ${inventory.url}/services\n`,
    );
    expect((await cli(['apply', '-f', src])).code).toBe(exitCodes.ok);
    const first = await cli(['sync', id]);
    expect(first.code, first.stderr).toBe(exitCodes.ok);
    expect(first.stdout).toMatch(/succeeded: 3 records, 3 created/);
    expect(first.stderr).toMatch(/\[#+\] 3 records/);
    inventoryItems = [];
    const blocked = await cli(['sync', id]);
    expect(blocked.code).toBe(exitCodes.rejected);
    expect(blocked.stdout).toMatch(/threshold/);
    const confirmed = await cli(['sync', id, '--allow-mass-deletion']);
    expect(confirmed.code).toBe(exitCodes.ok);
    expect(confirmed.stdout).toMatch(/3 deleted/);
    rmSync(src);
    await plexus.call('DELETE', `/api/v1/sources/${id}`);
  }, 300_000);

  it('export writes YAML that apply reads back as an empty plan', async () => {
    const out = join(dir, 'export', 'all.yaml');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'export'));
    const res = await cli(['export', '-o', out, '--blueprint', team, svc, '--no-sources']);
    expect(res.code, res.stderr).toBe(exitCodes.ok);
    // Read back in the apply set that wrote them (another set would take them over: updates).
    const again = await cli(['apply', '-f', out, '--dry-run', '--set', defaultApplySet([dir])]);
    expect(again.code, again.stderr).toBe(exitCodes.ok);
    expect(again.stdout).toMatch(/Plan: 0 to create, 0 to update, 0 to delete, \d+ unchanged\./);
  }, 300_000);

  it('apply manages scorecards: creates one, leaves it alone when unchanged, updates a changed rule, and export reads back', async () => {
    const id = uniqueId('sc');
    const yaml = (minimum: number) =>
      `kind: Scorecard\nidentifier: ${id}\ntitle: Tiering\nblueprint: ${svc}\nrules:\n` +
      `  - {identifier: tiered, title: Has a tier, level: Bronze, property: tier, operator: '>=', value: ${minimum}}\n`;
    const p = file('scorecard.yaml', yaml(1));
    const created = await cli(['apply', '-f', p]);
    expect(created.code, created.stderr).toBe(exitCodes.ok);
    expect(created.stdout).toContain(`+ create scorecard ${id}`);
    const stored = await plexus.call('GET', `/api/v1/scorecards/${id}`);
    expect(stored.body.rules[0]).toMatchObject({ identifier: 'tiered', operator: '>=', value: 1 });

    const again = await cli(['apply', '-f', p, '--dry-run']);
    expect(again.stdout).toContain('Plan: 0 to create, 0 to update, 0 to delete, 1 unchanged.');

    const changed = await cli(['apply', '-f', file('scorecard.yaml', yaml(2))]);
    expect(changed.code, changed.stderr).toBe(exitCodes.ok);
    expect(changed.stdout).toContain(`~ update scorecard ${id}`);
    expect((await plexus.call('GET', `/api/v1/scorecards/${id}`)).body.rules[0].value).toBe(2);

    const out = join(dir, 'scorecards-export.yaml.txt');
    expect((await cli(['export', '-o', out, '--blueprint', svc, '--no-entities', '--no-sources'])).code).toBe(
      exitCodes.ok,
    );
    const roundTrip = await cli(['apply', '-f', out, '--dry-run']);
    // The blueprint and the scorecard, both as the server holds them.
    expect(roundTrip.stdout).toContain('Plan: 0 to create, 0 to update, 0 to delete, 2 unchanged.');
    expect(readFileSync(out, 'utf8')).toContain(`identifier: ${id}`);
    rmSync(p);
    rmSync(out);
    await plexus.call('DELETE', `/api/v1/scorecards/${id}`);
  }, 300_000);

  it('packs load creates a pack idempotently', async () => {
    const res = await cli(['packs', 'load', 'backstage']);
    expect(res.code, res.stderr).toBe(exitCodes.ok);
    expect(res.stdout).toMatch(/^Pack backstage:/);
  }, 300_000);

  it('runs as the package bin with PLEXUS_URL and PLEXUS_TOKEN, exit code and all', async () => {
    const bin = new URL('../../bin/plexus.mjs', import.meta.url).pathname;
    const ok = await run(process.execPath, [bin, 'sources'], {
      env: { ...process.env, PLEXUS_URL: url, PLEXUS_TOKEN: plexus.adminToken },
    });
    expect(ok.stderr).toBe('');
    const failed = await run(process.execPath, [bin, 'sources'], {
      env: { ...process.env, PLEXUS_URL: url, PLEXUS_TOKEN: 'nope' },
    }).catch((err) => err);
    expect(failed.code).toBe(exitCodes.auth);
  });
});
