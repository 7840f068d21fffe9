import { createHmac, timingSafeEqual } from 'node:crypto';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { uniqueId } from '../../server/src/test-support.ts';
import { launchBrowser, newPage, screenshot, signIn, startUiServer, type UiServer } from './support.ts';
import { waitFor } from '@plexus/connector-sdk/testing';

// Actions in the browser (issue 16, item 7): the actions panel of an entity page, a generated
// form with its dynamic rules and validation, a run whose log arrives live from a real executor
// (an HTTP server on 127.0.0.1 that checks the signed webhook and reports back with the run's
// token), and the approvals inbox. Identifiers are unique to this run: the database is shared.
let server: UiServer;
let browser: Browser;
let executor: Executor;
const team = uniqueId('team');
const svc = uniqueId('svc');
const deploy = uniqueId('deploy');
const dbAccess = uniqueId('dbaccess');
const legacy = uniqueId('legacy');
const requester = uniqueId('dev');
const webhookSecret = 'whsec-test-0123456789';
const apiSecret = 'hunter2-very-secret';
let requesterToken: string;

/** `UPDATE_SCREENSHOTS=1` also writes the pictures to docs/screenshots (the README shows them). */
const docsShots = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'screenshots');
async function shot(page: Page, name: string) {
  const path = await screenshot(page, name);
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    mkdirSync(docsShots, { recursive: true });
    copyFileSync(path, join(docsShots, `${name}.png`));
  }
}

/** A gate the test opens to let the executor go on: the log then arrives while the page is open. */
function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((r) => {
    open = r;
  });
  return { open, opened };
}

interface Invocation {
  action: string;
  runId: string;
  inputs: Record<string, unknown>;
  entity: { identifier: string } | null;
}

interface Executor {
  url: string;
  received: Invocation[];
  refused: number;
  /** Opened by the test: the deploy executor then logs its second line and finishes. */
  rollout: ReturnType<typeof gate>;
  failures: string[];
  close(): Promise<void>;
}

const read = (req: IncomingMessage) =>
  new Promise<Buffer>((ok, fail) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => ok(Buffer.concat(chunks)));
    req.on('error', fail);
  });

/**
 * A tiny engine: verifies `x-plexus-signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`,
 * answers 202, then reports log lines and the end of the run with the run's token; the deploy
 * also upserts the entity it deployed with `?runId=` so the run lists it as affected.
 */
async function startExecutor(plexusUrl: string, adminToken: string): Promise<Executor> {
  const received: Invocation[] = [];
  const failures: string[] = [];
  const rollout = gate();
  let refused = 0;
  const call = async (token: string, method: string, path: string, body: unknown) => {
    const res = await fetch(`${plexusUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) failures.push(`${method} ${path}: ${res.status} ${await res.text()}`);
  };
  const work = async (inv: Invocation, token: string) => {
    const log = (message: string, terminationStatus?: 'SUCCESS' | 'FAILURE') =>
      call(token, 'POST', `/api/v1/runs/${inv.runId}/logs`, {
        message,
        ...(terminationStatus ? { terminationStatus } : {}),
      });
    if (inv.action === deploy) {
      await call(token, 'PATCH', `/api/v1/runs/${inv.runId}`, {
        statusLabel: 'rolling out',
        link: 'https://ci.example/deploys/42',
      });
      await log(`Deploying ${inv.entity?.identifier} ${inv.inputs.version} to ${inv.inputs.environment}`);
      await log(`Using API key ${inv.inputs.apiKey}`);
      await rollout.opened;
      await log('Rolled out 3/3 pods');
      await call(adminToken, 'POST', `/api/v1/blueprints/${svc}/entities?runId=${inv.runId}`, {
        identifier: 'checkout',
        title: 'Checkout',
        properties: { version: inv.inputs.version },
        relations: { ownedBy: 'payments' },
      });
      await log('Deployment finished', 'SUCCESS');
    } else {
      await log(`Granted ${inv.inputs.access} access`, 'SUCCESS');
    }
  };
  const http: Server = createServer(async (req, res) => {
    const raw = await read(req);
    const ts = String(req.headers['x-plexus-timestamp'] ?? '');
    const sig = String(req.headers['x-plexus-signature'] ?? '');
    const want = `v1=${createHmac('sha256', webhookSecret).update(`${ts}.`).update(raw).digest('hex')}`;
    const fresh = Math.abs(Date.now() / 1000 - Number(ts)) < 300;
    if (!fresh || sig.length !== want.length || !timingSafeEqual(Buffer.from(sig), Buffer.from(want))) {
      refused++;
      res.writeHead(401).end('bad signature');
      return;
    }
    const body = JSON.parse(raw.toString('utf8'));
    const inv: Invocation = {
      action: body.action.identifier,
      runId: body.run.id,
      inputs: body.inputs,
      entity: body.entity,
    };
    received.push(inv);
    res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":true}');
    // The run token reports on this run only; the test's server URL stands in for run.apiUrl.
    void work(inv, body.run.token).catch((err) => failures.push(String(err)));
  });
  await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/hook`,
    received,
    get refused() {
      return refused;
    },
    rollout,
    failures,
    close: () => new Promise<void>((ok) => http.close(() => ok())),
  };
}

/** Records Content-Security-Policy violations reported by the page. */
async function watchCsp(page: Page): Promise<() => Promise<string[]>> {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __csp: string[] }).__csp = seen;
    document.addEventListener('securitypolicyviolation', (e) =>
      seen.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`),
    );
  });
  return () => page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? []);
}

beforeAll(async () => {
  [server, browser] = await Promise.all([startUiServer(), launchBrowser()]);
  const { px } = server;
  executor = await startExecutor(server.url, px.adminToken);
  const ok = (r: { status: number; body: unknown }) => {
    if (r.status >= 300) throw new Error(`seeding failed: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  ok(
    await px.call('POST', '/api/v1/blueprints', {
      identifier: team,
      title: 'Team',
      schema: { properties: {} },
    }),
  );
  ok(
    await px.call('POST', '/api/v1/blueprints', {
      identifier: svc,
      title: 'Service',
      schema: {
        properties: {
          version: { type: 'string', title: 'Version' },
          lifecycle: { type: 'string', title: 'Lifecycle' },
        },
      },
      relations: { ownedBy: { title: 'Owned by', target: team, many: false } },
    }),
  );
  ok(
    await px.call('POST', '/api/v1/entities/bulk', {
      entities: [
        { blueprint: team, identifier: 'payments', title: 'Payments' },
        {
          blueprint: svc,
          identifier: 'checkout',
          title: 'Checkout',
          properties: { version: 'v1.0.0', lifecycle: 'production' },
          relations: { ownedBy: 'payments' },
        },
      ],
    }),
  );
  const invoker = { type: 'webhook', url: executor.url, secret: webhookSecret, retries: 0 };
  ok(
    await px.call('POST', '/api/v1/actions', {
      identifier: deploy,
      title: 'Deploy',
      description: 'Roll a version out to an environment.',
      blueprint: svc,
      operation: 'DAY-2',
      inputs: {
        properties: {
          version: { type: 'string', title: 'Version', pattern: '^v\\d+\\.\\d+\\.\\d+$' },
          environment: {
            type: 'string',
            title: 'Environment',
            enum: ['staging', 'production'],
            default: 'staging',
          },
          reason: {
            type: 'string',
            title: 'Reason',
            format: 'multi-line',
            visible: { jsonata: "form.environment = 'production'" },
            required: { jsonata: "form.environment = 'production'" },
          },
          apiKey: { type: 'string', title: 'API key', format: 'secret' },
        },
        required: ['version'],
      },
      invoker,
    }),
  );
  ok(
    await px.call('POST', '/api/v1/actions', {
      identifier: legacy,
      title: 'Retire legacy service',
      blueprint: svc,
      operation: 'DELETE',
      condition: { combinator: 'and', rules: [{ property: 'lifecycle', operator: '=', value: 'legacy' }] },
      inputs: { properties: {} },
      invoker,
    }),
  );
  ok(
    await px.call('POST', '/api/v1/actions', {
      identifier: dbAccess,
      title: 'Temporary database access',
      blueprint: svc,
      operation: 'DAY-2',
      inputs: {
        properties: { access: { type: 'string', title: 'Access', enum: ['read', 'write'] } },
        required: ['access'],
      },
      invoker,
      approval: { required: true, type: 'ANY' },
    }),
  );
  ok(await px.call('POST', '/api/v1/users', { id: requester, name: 'Dev Eloper', role: 'member' }));
  requesterToken = (
    ok(await px.call('POST', '/api/v1/tokens', { name: 'requester', role: 'member', user: requester })) as {
      token: string;
    }
  ).token;
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await executor?.close();
  await server?.close();
});

describe('actions in the browser', () => {
  it('runs a DAY-2 action from the entity page and shows its log live', async () => {
    const page = await newPage(browser);
    onTestFailed(async () => {
      await screenshot(page, 'failed-actions-run').catch(() => {});
    });
    const violations = await watchCsp(page);
    await signIn(page, server.url, server.px.adminToken, `/entities/${svc}/checkout`);
    await page.getByRole('tab', { name: 'Actions' }).click();
    const panel = page.getByTestId('entity-actions');
    await panel.locator(`[data-action="${deploy}"]`).waitFor();
    // Only the actions whose condition matches the entity: "retire legacy" is not offered.
    await panel.locator(`[data-action="${dbAccess}"]`).waitFor();
    expect(await panel.locator(`[data-action="${legacy}"]`).count()).toBe(0);
    await shot(page, 'actions-panel');

    await panel.locator(`[data-action="${deploy}"]`).click();
    const dialog = page.getByTestId('run-action-dialog');
    await dialog.waitFor();
    // Client-side validation: the required version, then its pattern, each under its field.
    await dialog.getByTestId('run-submit').click();
    await dialog.locator('[data-error-for="version"]').waitFor();
    await dialog.getByLabel('Version').fill('1.2');
    await dialog.getByTestId('run-submit').click();
    await expect
      .poll(() => dialog.locator('[data-error-for="version"]').innerText())
      .toMatch(/pattern|match/);
    await dialog.getByLabel('Version').fill('v1.2.3');
    // The default filled the environment; the reason only appears (and is required) for production.
    expect(await dialog.getByLabel('Environment').inputValue()).toBe('staging');
    expect(await dialog.locator('[data-input="reason"]').count()).toBe(0);
    await dialog.getByLabel('Environment').selectOption('production');
    await dialog.locator('[data-input="reason"]').waitFor();
    await dialog.getByTestId('run-submit').click();
    await dialog.locator('[data-error-for="reason"]').waitFor();
    await dialog.getByLabel('Reason *').fill('Hotfix for the checkout timeout');
    await dialog.getByLabel('API key').fill(apiSecret);
    expect(await dialog.getByLabel('API key').getAttribute('type')).toBe('password');
    await dialog.getByTestId('run-submit').click();

    await page.waitForURL(/\/runs\/[^/]+$/);
    const runId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    await page.getByTestId('run-page').waitFor();
    const logs = page.getByTestId('run-logs');
    await logs.getByText(`Deploying checkout v1.2.3 to production`).waitFor();
    await page.locator('[data-testid="live-state"][data-state="live"]').waitFor();
    // The executor goes on only now: the rest of the log must arrive without a reload.
    await page.evaluate(() => {
      (window as unknown as { __sameDocument: boolean }).__sameDocument = true;
    });
    executor.rollout.open();
    await logs.getByText('Rolled out 3/3 pods').waitFor();
    await page.locator('[data-testid="run-status"]', { hasText: 'Success' }).waitFor({ timeout: 60_000 });
    expect(
      await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument),
    ).toBe(true);
    const lines = await logs.locator('.log-msg').allInnerTexts();
    expect(lines).toEqual([
      'Deploying checkout v1.2.3 to production',
      'Using API key ********',
      'Rolled out 3/3 pods',
      'Deployment finished',
    ]);
    // The secret reached the engine, but the page shows it nowhere (inputs masked, log redacted).
    expect(executor.received.find((r) => r.runId === runId)?.inputs.apiKey).toBe(apiSecret);
    await page.getByTestId('affected-entities').getByText('Checkout').waitFor();
    expect(await page.locator('[data-input="apiKey"] td').innerText()).toBe('********');
    expect(await page.content()).not.toContain(apiSecret);
    expect(await page.getByTestId('run-link').getAttribute('href')).toBe('https://ci.example/deploys/42');
    await shot(page, 'run-page');

    // The runs list finds it by action and status.
    await page.goto(`${server.url}/runs?action=${encodeURIComponent(deploy)}&status=SUCCESS`);
    await page.locator(`[data-testid="runs-table"] tr[data-run="${runId}"]`).waitFor();
    expect(executor.failures).toEqual([]);
    expect(executor.refused).toBe(0);
    expect(await violations()).toEqual([]);
    await page.context().close();
  }, 300_000);

  it('approves a waiting run from the inbox, which then runs', async () => {
    const requested = await server.px.call(
      'POST',
      `/api/v1/actions/${dbAccess}/runs`,
      { entity: `${svc}:checkout`, inputs: { access: 'read' } },
      { token: requesterToken },
    );
    expect(requested.status, JSON.stringify(requested.body)).toBe(201);
    expect(requested.body.status).toBe('WAITING_FOR_APPROVAL');
    const runId = requested.body.id as string;
    expect(executor.received.some((r) => r.runId === runId)).toBe(false);

    const page = await newPage(browser);
    onTestFailed(async () => {
      await screenshot(page, 'failed-actions-approval').catch(() => {});
    });
    const violations = await watchCsp(page);
    await signIn(page, server.url, server.px.adminToken, '/approvals');
    const card = page.locator(`[data-testid="approval-card"][data-run="${runId}"]`);
    await card.waitFor();
    // The requester by name, the action by title, the target and the inputs.
    await card.getByText('Dev Eloper').waitFor();
    await card.getByText('Temporary database access').waitFor();
    // The target by its title (read by a search: no failed request for a run whose entity is gone).
    await card
      .locator('.chip', { hasText: /Checkout/ })
      .first()
      .waitFor();
    await shot(page, 'approvals-inbox');
    await card.getByTestId('approval-reason').fill('On call this week');
    await card.getByTestId('approve').click();
    await card.waitFor({ state: 'detached' });
    await page.getByTestId('decided-run').first().waitFor();

    const done = await waitFor('the approved run to finish', async () => {
      const r = await server.px.call('GET', `/api/v1/runs/${runId}`);
      return r.body.status === 'SUCCESS' ? r.body : null;
    });
    expect(done.approvals).toEqual([
      expect.objectContaining({ decision: 'approve', reason: 'On call this week' }),
    ]);
    expect(executor.received.filter((r) => r.runId === runId)).toHaveLength(1);

    // Its page shows the approval and the executor's line.
    await page.goto(`${server.url}/runs/${encodeURIComponent(runId)}`);
    await page.getByTestId('run-logs').getByText('Granted read access').waitFor();
    expect(await violations()).toEqual([]);
    await page.context().close();
  }, 300_000);

  it('edits an action (422 details shown), then cancels and re-runs a run', async () => {
    const page = await newPage(browser);
    onTestFailed(async () => {
      await screenshot(page, 'failed-actions-editor').catch(() => {});
    });
    const violations = await watchCsp(page);
    await signIn(page, server.url, server.px.adminToken, '/actions/new');
    const editor = page.getByTestId('action-editor');
    await editor.getByTestId('action-json').waitFor();
    const id = uniqueId('flag');
    const definition = {
      identifier: id,
      title: 'Toggle a feature flag',
      blueprint: svc,
      operation: 'SOMETIMES',
      inputs: {
        properties: {
          flag: { type: 'string', title: 'Flag' },
          on: { type: 'boolean', title: 'On' },
          percent: { type: 'integer', title: 'Rollout %', visible: { jsonata: 'form.on' } },
        },
        required: ['flag'],
      },
      invoker: { type: 'webhook', url: executor.url, secret: webhookSecret },
    };
    await editor.getByTestId('action-json').fill(JSON.stringify(definition, null, 2));
    // The preview follows the JSON: the percentage appears once "On" is ticked.
    const preview = editor.getByTestId('form-preview');
    await preview.getByLabel('Flag').waitFor();
    expect(await preview.locator('[data-input="percent"]').count()).toBe(0);
    await preview.getByLabel('On', { exact: true }).check();
    await preview.locator('[data-input="percent"]').waitFor();
    await editor.getByTestId('save-action').click();
    await expect.poll(() => editor.getByTestId('action-problems').innerText()).toMatch(/operation/);
    await editor
      .getByTestId('action-json')
      .fill(JSON.stringify({ ...definition, operation: 'DAY-2' }, null, 2));
    await editor.getByTestId('save-action').click();
    await page.waitForURL(new RegExp(`/actions/${id}$`));
    const saved = await server.px.call('GET', `/api/v1/actions/${id}`);
    expect(saved.status).toBe(200);
    expect(saved.body.operation).toBe('DAY-2');

    // A waiting run is cancelled from its page, then re-run with the same inputs.
    const requested = await server.px.call(
      'POST',
      `/api/v1/actions/${dbAccess}/runs`,
      { entity: `${svc}:checkout`, inputs: { access: 'write' } },
      { token: requesterToken },
    );
    expect(requested.status, JSON.stringify(requested.body)).toBe(201);
    const first = requested.body.id as string;
    await page.goto(`${server.url}/runs/${encodeURIComponent(first)}`);
    await page.locator('[data-testid="run-status"]', { hasText: 'Waiting for approval' }).waitFor({ timeout: 60_000 });
    await page.getByTestId('cancel-run').click();
    // Confirmed in the app's own dialog (no native confirm()).
    await page.getByTestId('confirm-dialog').getByTestId('confirm-ok').click();
    await page.locator('[data-testid="run-status"]', { hasText: 'Cancelled' }).waitFor();
    expect((await server.px.call('GET', `/api/v1/runs/${first}`)).body.status).toBe('CANCELLED');
    // The page redraws as the cancellation arrives live: a click on the button being replaced is
    // lost, so click again until the new run opens (a re-run that did start navigates away).
    const onNewRun = () => {
      const u = new URL(page.url());
      return u.pathname.startsWith('/runs/') && !u.pathname.endsWith(encodeURIComponent(first));
    };
    await waitFor(
      'the re-run to open',
      async () => {
        if (!onNewRun()) await page.getByTestId('rerun').click({ timeout: 5_000 }).catch(() => {});
        return page.waitForURL(onNewRun, { timeout: 5_000 }).then(
          () => true,
          () => false,
        );
      },
      60_000,
    );
    const second = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    await page.locator('[data-testid="run-status"]', { hasText: 'Waiting for approval' }).waitFor({ timeout: 60_000 });
    const again = (await server.px.call('GET', `/api/v1/runs/${second}`)).body;
    expect(again).toMatchObject({
      rerunOf: first,
      inputs: { access: 'write' },
      status: 'WAITING_FOR_APPROVAL',
    });
    expect(await violations()).toEqual([]);
    await page.context().close();
  }, 300_000);

  it('runs a CREATE action from the catalog page, with an entity picker narrowed by search rules', async () => {
    const id = uniqueId('newsvc');
    const created = await server.px.call('POST', '/api/v1/actions', {
      identifier: id,
      title: 'Scaffold a service',
      blueprint: svc,
      operation: 'CREATE',
      inputs: {
        properties: {
          name: { type: 'string', title: 'Name', pattern: '^[a-z][a-z0-9-]*$' },
          owner: {
            type: 'string',
            title: 'Owner',
            format: 'entity',
            blueprint: team,
            dataset: {
              combinator: 'and',
              rules: [{ property: 'identifier', operator: '=', value: 'payments' }],
            },
          },
        },
        required: ['name', 'owner'],
      },
      invoker: {
        type: 'upsert-entity',
        mapping: {
          jsonata: `{"blueprint": "${svc}", "identifier": inputs.name, "title": inputs.name, "relations": {"ownedBy": inputs.owner}}`,
        },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const other = await server.px.call('POST', `/api/v1/blueprints/${team}/entities`, {
      identifier: 'growth',
    });
    expect(other.status).toBeLessThan(300);

    const page = await newPage(browser);
    onTestFailed(async () => {
      await screenshot(page, 'failed-actions-create').catch(() => {});
    });
    const violations = await watchCsp(page);
    await signIn(page, server.url, server.px.adminToken, `/catalog/${svc}`);
    await page.locator(`[data-testid="create-action"][data-action="${id}"]`).click();
    const dialog = page.getByTestId('run-action-dialog');
    await dialog.getByLabel('Name').fill('billing');
    // Only the teams the dataset rules match are offered.
    const owner = dialog.getByLabel('Owner');
    await expect.poll(() => owner.locator('option').allInnerTexts()).toEqual(['—', 'Payments']);
    await owner.selectOption('payments');
    await dialog.getByTestId('run-submit').click();
    await page.waitForURL(/\/runs\/[^/]+$/);
    await page.locator('[data-testid="run-status"]', { hasText: 'Success' }).waitFor();
    await page.getByTestId('affected-entities').getByText('billing').waitFor();
    const entity = await server.px.call('GET', `/api/v1/blueprints/${svc}/entities/billing`);
    expect(entity.status).toBe(200);
    expect(entity.body.relations.ownedBy).toBe('payments');
    expect(await violations()).toEqual([]);
    await page.context().close();
  }, 300_000);
});
