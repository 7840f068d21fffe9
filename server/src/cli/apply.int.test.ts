import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRows } from '../db/driver.ts';
import { startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';
import { exitCodes } from './client.ts';
import { runCli } from './main.ts';

/** `plexus apply` as GitOps: server-checked dry runs, field-level plans, apply sets and prune. */
describe('plexus apply with dry runs and apply sets', () => {
  let plexus: TestPlexus;
  let server: ReturnType<typeof serve>;
  let url: string;
  let root: string;
  let team: string;
  let svc: string;
  const scorecards: string[] = [];

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
      env: { PLEXUS_URL: url, PLEXUS_TOKEN: plexus.adminToken },
      pollMs: 20,
    });
    return { code, stdout, stderr };
  }

  /** Writes `files` into the folder `name` under the test's root and returns the folder. */
  function folder(name: string, files: Record<string, string>) {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
    return dir;
  }

  /** Nodes and audit records of this test's blueprints and scorecards: what a write would change. */
  async function footprint() {
    const [row] = await readRows<{ nodes: number; audit: number; defs: string[] }>(
      plexus.services.db,
      `OPTIONAL MATCH (n:Entity) WHERE n._blueprint IN $bps
       WITH count(n) AS nodes, collect(n._hash) AS hashes
       OPTIONAL MATCH (a:_AuditEvent) WHERE a.blueprint IN $bps OR a.subject IN $ids
       WITH nodes, hashes, count(a) AS audit
       OPTIONAL MATCH (d) WHERE (d:_Blueprint OR d:_Scorecard) AND d.identifier IN $all
       WITH nodes, audit, hashes, collect(d.identifier + '@' + d.updatedAt) AS stamps
       RETURN nodes, audit, stamps + hashes AS defs`,
      { bps: [team, svc], ids: scorecards, all: [team, svc, ...scorecards] },
    );
    return { ...row, defs: [...row.defs].sort() };
  }

  const blueprintsYaml = () => `
kind: Blueprint
identifier: ${team}
schema: {properties: {slack: {type: string}}}
---
kind: Blueprint
identifier: ${svc}
schema:
  properties:
    tier: {type: integer}
    rollout: {type: integer, minimum: 0, maximum: 100}
  required: [tier]
relations:
  ownedBy: {target: ${team}, many: true}
`;

  const scorecardYaml = (id: string, cypher = 'e.tier IS NOT NULL') => `
kind: Scorecard
identifier: ${id}
title: Ready
blueprint: ${svc}
levels: [Bronze, Silver]
rules:
  - {identifier: tiered, title: Tiered, level: Silver, cypher: "${cypher}"}
`;

  beforeAll(async () => {
    plexus = await startTestPlexus();
    await new Promise<void>((ok) => {
      server = serve({ fetch: plexus.app.fetch, hostname: '127.0.0.1', port: 0 }, () => ok());
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    root = mkdtempSync(join(tmpdir(), 'plexus-apply-test-'));
    team = uniqueId('team');
    svc = uniqueId('svc');
  }, 120_000);

  afterAll(async () => {
    for (const id of scorecards) await plexus.call('DELETE', `/api/v1/scorecards/${id}`);
    for (const id of [svc, team]) await plexus.call('DELETE', `/api/v1/blueprints/${id}?force=true`);
    await new Promise((ok) => server.close(ok));
    await plexus.close();
    rmSync(root, { recursive: true, force: true });
  }, 300_000);

  it('two folders are two apply sets; the plan shows field-level changes; pruning one leaves the other untouched', async () => {
    const platform = folder('platform', {
      'blueprints.yaml': blueprintsYaml(),
      'teams.yaml': `entities:\n  - {blueprint: ${team}, identifier: payments, properties: {slack: '#pay'}}\n  - {blueprint: ${team}, identifier: search, properties: {}}\n`,
    });
    const first = await cli(['apply', '-f', platform]);
    expect(first.code, first.stderr).toBe(exitCodes.ok);
    expect(first.stdout).toContain('Apply set: platform');
    const sc = uniqueId('ready-');
    scorecards.push(sc);
    const payments = folder('payments', {
      'services.yaml': `entities:\n  - {blueprint: ${svc}, identifier: cart, properties: {tier: 1, rollout: 10}, relations: {ownedBy: [payments]}}\n  - {blueprint: ${svc}, identifier: checkout, properties: {tier: 2}, relations: {ownedBy: [payments]}}\n`,
      'scorecard.yaml': scorecardYaml(sc),
    });
    const second = await cli(['apply', '-f', payments]);
    expect(second.code, second.stderr).toBe(exitCodes.ok);
    const cart = await plexus.call('GET', `/api/v1/blueprints/${svc}/entities/cart`);
    expect(cart.body.meta).toMatchObject({ applySet: 'payments', sources: ['cli'] });
    expect((await plexus.call('GET', `/api/v1/blueprints/${team}`)).body.applySet).toBe('platform');
    expect((await plexus.call('GET', `/api/v1/scorecards/${sc}`)).body.applySet).toBe('payments');

    // The plan says which fields change, from the server's dry run; nothing is written.
    writeFileSync(
      join(payments, 'services.yaml'),
      `entities:\n  - {blueprint: ${svc}, identifier: cart, properties: {tier: 2, rollout: 10}, relations: {ownedBy: [search]}}\n  - {blueprint: ${svc}, identifier: checkout, properties: {tier: 2}, relations: {ownedBy: [payments]}}\n`,
    );
    const before = await footprint();
    const plan = await cli(['apply', '-f', payments, '--dry-run']);
    expect(plan.code, plan.stderr).toBe(exitCodes.ok);
    expect(plan.stdout).toContain(`~ update entity ${svc}/cart`);
    expect(plan.stdout).toContain('properties.tier: 1 -> 2');
    expect(plan.stdout).toContain('relations.ownedBy: +search -payments');
    expect(await footprint()).toEqual(before);

    // Pruning "platform" with a team gone from its files deletes only that team; the other set's
    // entities and scorecard stay, and so does the team that another set's entity points at.
    writeFileSync(join(platform, 'teams.yaml'), `entities:\n  - {blueprint: ${team}, identifier: payments, properties: {slack: '#pay'}}\n`);
    const pruned = await cli(['apply', '-f', platform, '--prune']);
    expect(pruned.code, pruned.stderr).toBe(exitCodes.ok);
    expect(pruned.stdout).toContain(`- delete entity ${team}/search`);
    expect(pruned.stdout).not.toContain(`delete entity ${svc}/`);
    expect(pruned.stdout).not.toContain('delete scorecard');
    expect((await plexus.call('GET', `/api/v1/blueprints/${team}/entities/search`)).status).toBe(404);
    expect((await plexus.call('GET', `/api/v1/blueprints/${svc}/entities/cart`)).body.properties.tier).toBe(1);
    expect((await plexus.call('GET', `/api/v1/scorecards/${sc}`)).status).toBe(200);
  }, 300_000);

  it('removing a scorecard file, then apply --prune, deletes that scorecard', async () => {
    const payments = join(root, 'payments');
    const sc = scorecards[0];
    unlinkSync(join(payments, 'scorecard.yaml'));
    const res = await cli(['apply', '-f', payments, '--prune']);
    expect(res.code, res.stderr).toBe(exitCodes.ok);
    expect(res.stdout).toContain(`- delete scorecard ${sc}`);
    expect((await plexus.call('GET', `/api/v1/scorecards/${sc}`)).status).toBe(404);
  }, 300_000);

  it("pruning a blueprint that still holds another set's entities is refused, and nothing changes", async () => {
    const platform = join(root, 'platform');
    writeFileSync(join(platform, 'blueprints.yaml'), blueprintsYaml().split('---')[0]);
    const before = await footprint();
    const res = await cli(['apply', '-f', platform, '--prune']);
    expect(res.code).toBe(exitCodes.rejected);
    expect(res.stderr).toMatch(new RegExp(`blueprint ${svc} \\(apply set "platform"\\) still has 2 entities this apply set did not write \\(cart, checkout\\)`));
    expect(await footprint()).toEqual(before);
    writeFileSync(join(platform, 'blueprints.yaml'), blueprintsYaml());
  }, 300_000);

  it('apply --dry-run lists every problem the server finds (range, required, relation, write-y rule) and exits 3; so does apply, writing nothing', async () => {
    const sc = uniqueId('bad-');
    scorecards.push(sc);
    const bad = folder('broken', {
      'services.yaml': `entities:
  - {blueprint: ${svc}, identifier: rollout, properties: {tier: 1, rollout: 150}}
  - {blueprint: ${svc}, identifier: untiered, properties: {rollout: 5}}
  - {blueprint: ${svc}, identifier: stray, properties: {tier: 1}, relations: {runsOn: [k8s]}}
`,
      'scorecard.yaml': scorecardYaml(sc, 'EXISTS { CREATE (x:Oops) }'),
    });
    const before = await footprint();
    for (const args of [['--dry-run'], []]) {
      const res = await cli(['apply', '-f', bad, ...args]);
      expect(res.code, res.stdout).toBe(exitCodes.rejected);
      expect(res.stderr).toContain('the server refused 4 changes; nothing was changed');
      const lines = res.stderr.split('\n');
      const line = (needle: string) => lines.find((l) => l.includes(needle)) ?? '';
      expect(line(`entity ${svc}/rollout`)).toMatch(/services\.yaml#1 entities\[0\].*rollout/);
      expect(line(`entity ${svc}/untiered`)).toMatch(/services\.yaml#1 entities\[1\].*tier/);
      expect(line(`entity ${svc}/stray`)).toMatch(/services\.yaml#1 entities\[2\].*runsOn/);
      expect(line(`scorecard ${sc}`)).toMatch(/scorecard\.yaml#1.*read-only/);
    }
    expect(await footprint()).toEqual(before);
    expect((await plexus.call('GET', `/api/v1/scorecards/${sc}`)).status).toBe(404);
  }, 300_000);

  it('a write that fails half-way reports exactly what was applied and what was not', async () => {
    // A scorecard of a blueprint this apply creates can be checked only once the blueprint exists.
    const fresh = uniqueId('fresh');
    const sc = uniqueId('late-');
    const dir = folder('half', {
      'a.yaml': `kind: Blueprint\nidentifier: ${fresh}\nschema: {properties: {size: {type: integer}}}\n---\nentities:\n  - {blueprint: ${fresh}, identifier: one, properties: {size: 1}}\n`,
      'b.yaml': `kind: Scorecard\nidentifier: ${sc}\ntitle: Late\nblueprint: ${fresh}\nlevels: [Bronze, Silver]\nrules:\n  - {identifier: w, title: W, level: Silver, cypher: "EXISTS { CREATE (x:Oops) }"}\n`,
    });
    try {
      const plan = await cli(['apply', '-f', dir, '--dry-run']);
      expect(plan.code, plan.stderr).toBe(exitCodes.ok);
      expect(plan.stdout).toContain(`+ create scorecard ${sc} (checked once its blueprint exists)`);
      const res = await cli(['apply', '-f', dir]);
      expect(res.code).toBe(exitCodes.rejected);
      expect(res.stderr).toContain('apply stopped at the checks of scorecards and actions of new blueprints');
      expect(res.stderr).toMatch(new RegExp(`applied \\(1\\):\\n\\s+create blueprint ${fresh}\\n`));
      expect(res.stderr).toMatch(new RegExp(`not applied \\(2\\):\\n\\s+create entity ${fresh}/one\\n\\s+create scorecard ${sc}`));
      expect((await plexus.call('GET', `/api/v1/blueprints/${fresh}`)).status).toBe(200);
      expect((await plexus.call('GET', `/api/v1/blueprints/${fresh}/entities/one`)).status).toBe(404);
    } finally {
      await plexus.call('DELETE', `/api/v1/blueprints/${fresh}?force=true`);
    }
  }, 300_000);

  it('--set names the set; a name the server would refuse is a usage error', async () => {
    const dir = folder('Odd Name', { 't.yaml': `entities:\n  - {blueprint: ${team}, identifier: infra, properties: {}}\n` });
    const named = await cli(['apply', '-f', dir, '--set', 'infra-team']);
    expect(named.code, named.stderr).toBe(exitCodes.ok);
    expect((await plexus.call('GET', `/api/v1/blueprints/${team}/entities/infra`)).body.meta.applySet).toBe('infra-team');
    const defaulted = await cli(['apply', '-f', dir, '--dry-run']);
    expect(defaulted.stdout).toContain('Apply set: odd-name');
    expect(defaulted.stdout).toContain(`~ update entity ${team}/infra`);
    expect(defaulted.stdout).toContain('meta.applySet: "infra-team" -> "odd-name"');
    expect((await cli(['apply', '-f', dir, '--set', 'Bad Set'])).code).toBe(exitCodes.usage);
  }, 300_000);
});
