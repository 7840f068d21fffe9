import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { startServedPlexus } from '../actions/test-executor.ts';
import { uniqueId } from '../test-support.ts';
import { exitCodes } from './client.ts';
import { runCli } from './main.ts';

/** `kind: Action` through `plexus apply` and `plexus export` against a running server. */
let served: Awaited<ReturnType<typeof startServedPlexus>>;
let dir: string;
const bp = uniqueId('clisvc');
const action = uniqueId('cli-rollback-');

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
    env: { PLEXUS_URL: served.baseUrl, PLEXUS_TOKEN: served.px.adminToken },
    pollMs: 20,
  });
  return { code, stdout, stderr };
}

const yaml = (title = 'Roll back', secret = 'whsec-cli-0123456789abcdef') => `
kind: Blueprint
identifier: ${bp}
title: Service
schema:
  properties:
    version: {type: string}
---
kind: Action
identifier: ${action}
title: ${title}
blueprint: ${bp}
operation: DAY-2
inputs:
  properties:
    version: {type: string, title: Version}
  required: [version]
invoker:
  type: webhook
  url: https://deployer.example.com/hooks/plexus
  secret: ${secret}
approval: {required: false}
`;

beforeAll(async () => {
  served = await startServedPlexus();
  dir = mkdtempSync(join(tmpdir(), 'plexus-cli-actions-int-'));
}, 180_000);

afterAll(async () => {
  await served?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('plexus apply / export with actions', { timeout: 120_000 }, () => {
  it('creates the blueprint and the action, then finds nothing to change', async () => {
    const file = join(dir, 'catalog.yaml');
    writeFileSync(file, yaml());
    const first = await cli(['apply', '-f', file]);
    expect(first.code, first.stderr).toBe(exitCodes.ok);
    expect(first.stdout).toContain(`+ create action ${action}`);
    const stored = (await served.api('GET', `/api/v1/actions/${action}`)).body;
    expect(stored).toMatchObject({ title: 'Roll back', operation: 'DAY-2', invoker: { secret: '********' } });

    const again = await cli(['apply', '-f', file, '--dry-run', '--detailed-exitcode']);
    expect(again.stdout).toContain('Plan: 0 to create, 0 to update, 0 to delete, 2 unchanged.');
    expect(again.code).toBe(exitCodes.ok);
  });

  it('updates a changed action, and a 422 from the server names the field', async () => {
    const file = join(dir, 'catalog.yaml');
    writeFileSync(file, yaml('Roll back a release'));
    const res = await cli(['apply', '-f', file]);
    expect(res.stdout).toContain(`~ update action ${action}`);
    expect((await served.api('GET', `/api/v1/actions/${action}`)).body.title).toBe('Roll back a release');

    writeFileSync(file, yaml('Roll back a release').replace('operation: DAY-2', 'operation: SOMETIMES'));
    const bad = await cli(['apply', '-f', file]);
    expect(bad.code).toBe(exitCodes.rejected);
    expect(bad.stderr).toContain('/operation');
  });

  it('exports the action without its secret, and the export applies back unchanged', async () => {
    const out = join(dir, 'export.yaml');
    const res = await cli(['export', '--no-entities', '-b', bp, '-o', out]);
    expect(res.code, res.stderr).toBe(exitCodes.ok);
    const docs = parseAllDocuments(readFileSync(out, 'utf8')).map((d) => d.toJSON());
    const exported = docs.flatMap((d) => d.actions ?? []);
    expect(exported).toHaveLength(1);
    expect(exported[0]).toMatchObject({
      identifier: action,
      invoker: { type: 'webhook', url: 'https://deployer.example.com/hooks/plexus' },
    });
    expect(exported[0].invoker).not.toHaveProperty('secret');
    const back = await cli(['apply', '-f', out, '--dry-run']);
    expect(back.stdout).toContain('0 to create, 0 to update');
  });
});
