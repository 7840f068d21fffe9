import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueId } from '../../test-support.ts';
import { type FakeGithubActions, startFakeGithubActions } from '../fakes/fake-github-actions.ts';
import { type FakeGitlab, startFakeGitlab } from '../fakes/fake-gitlab.ts';
import { startServedPlexus, waitFor } from '../test-executor.ts';

/**
 * The GitHub and GitLab invokers through the actions service and REST: fake GitHub and GitLab
 * servers on 127.0.0.1 check the documented request shapes; the run's status, link and summary
 * come from what they answer.
 */
let served: Awaited<ReturnType<typeof startServedPlexus>>;
let github: FakeGithubActions;
let gitlab: FakeGitlab;
let bp: string;
let entity: string;
const githubToken = 'github_pat_engines_test';
const triggerToken = 'glptt-engines-test';

const api = (method: string, path: string, body?: unknown) => served.api(method, path, body);
const ended = (id: string) =>
  waitFor(
    `run ${id} to end`,
    async () => {
      const r = (await api('GET', `/api/v1/runs/${id}`)).body;
      return r?.endedAt ? r : null;
    },
    60_000,
  );

async function action(invoker: Record<string, unknown>) {
  const identifier = uniqueId('eng-');
  const res = await api('POST', '/api/v1/actions', {
    identifier,
    title: `Deploy ${identifier}`,
    blueprint: bp,
    operation: 'DAY-2',
    inputs: { properties: { version: { type: 'string' } }, required: ['version'] },
    invoker,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return identifier;
}

async function run(actionId: string, inputs: Record<string, unknown>) {
  const res = await api('POST', `/api/v1/actions/${actionId}/runs`, { entity: `${bp}:${entity}`, inputs });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

beforeAll(async () => {
  served = await startServedPlexus();
  github = await startFakeGithubActions({
    owner: 'acme',
    repo: 'cart-service',
    token: githubToken,
    workflows: {
      'deploy.yml': {
        name: 'Deploy',
        inputs: { version: { required: true }, plexus_run_id: {}, plexus_api_url: {} },
      },
    },
  });
  gitlab = await startFakeGitlab({ project: { id: 21, path: 'acme/cart-service' }, triggerToken });
  bp = uniqueId('svc');
  expect(
    (
      await api('POST', '/api/v1/blueprints', {
        identifier: bp,
        title: 'Service',
        schema: { properties: {} },
      })
    ).status,
  ).toBe(201);
  entity = uniqueId('cart');
  expect(
    (await api('POST', `/api/v1/blueprints/${bp}/entities`, { identifier: entity, properties: {} })).status,
  ).toBeLessThan(300);
}, 180_000);

afterAll(async () => {
  await github?.close();
  await gitlab?.close();
  await served?.close();
});

describe('GitHub invoker through a run', { timeout: 120_000 }, () => {
  const githubConfig = (extra: Record<string, unknown> = {}) => ({
    type: 'github',
    baseUrl: github.apiUrl,
    owner: 'acme',
    repo: 'cart-service',
    workflow: 'deploy.yml',
    ref: 'main',
    token: githubToken,
    ...extra,
  });

  it("dispatches with the run id and API URL as inputs and ends the run with the workflow run's conclusion and link", async () => {
    const id = await action(githubConfig({ reportStatus: true }));
    // The token is write-only.
    expect((await api('GET', `/api/v1/actions/${id}`)).body.invoker.token).toBe('********');
    const started = await run(id, { version: '2.3.4' });
    const done = await ended(started.id);
    expect(done.status, done.summary).toBe('SUCCESS');
    const dispatched = github.runs.find((r) => r.inputs.plexus_run_id === started.id)!;
    expect(dispatched.inputs).toEqual({
      version: '2.3.4',
      plexus_run_id: started.id,
      plexus_api_url: `${served.baseUrl}/api/v1`,
    });
    expect(done.link).toBe(dispatched.run.html_url);
    expect(done.summary).toBe('GitHub workflow run concluded "success"');
    expect(github.problems).toEqual([]);
  });

  it("a 422 from GitHub fails the run with GitHub's reason", async () => {
    const id = await action(
      githubConfig({ inputs: { jsonata: '{"version": inputs.version, "colour": "red"}' } }),
    );
    const done = await ended((await run(id, { version: '1.0.0' })).id);
    expect(done.status).toBe('FAILURE');
    expect(done.summary).toContain('(422): Unexpected inputs provided: ["colour"]');
  });

  it('refuses to save a GitHub invoker missing its fields, naming each', async () => {
    const res = await api('POST', '/api/v1/actions', {
      identifier: uniqueId('eng-'),
      title: 'Broken',
      blueprint: bp,
      operation: 'DAY-2',
      inputs: { properties: {} },
      invoker: { type: 'github', owner: 'acme', baseUrl: 'ftp://x' },
    });
    expect(res.status).toBe(422);
    const paths = res.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(
      expect.arrayContaining(['/invoker/repo', '/invoker/workflow', '/invoker/ref', '/invoker/baseUrl']),
    );
  });
});

describe('GitLab invoker through a run', { timeout: 120_000 }, () => {
  const gitlabConfig = (extra: Record<string, unknown> = {}) => ({
    type: 'gitlab',
    baseUrl: gitlab.url,
    project: 'acme/cart-service',
    ref: 'main',
    token: triggerToken,
    ...extra,
  });

  it('triggers the pipeline with the inputs as variables; the run links the pipeline and stays IN_PROGRESS', async () => {
    const id = await action(gitlabConfig());
    const started = await run(id, { version: '3.0.0' });
    const run1 = await waitFor('the pipeline link', async () => {
      const r = (await api('GET', `/api/v1/runs/${started.id}`)).body;
      return r.link ? r : null;
    });
    const trigger = gitlab.triggers.find((t) => t.variables.PLEXUS_RUN_ID === started.id)!;
    expect(trigger.variables).toEqual({
      version: '3.0.0',
      PLEXUS_RUN_ID: started.id,
      PLEXUS_API_URL: `${served.baseUrl}/api/v1`,
    });
    expect(run1).toMatchObject({ status: 'IN_PROGRESS', link: trigger.pipeline.web_url });
    expect(gitlab.problems).toEqual([]);
  });

  it("an unknown ref fails the run with GitLab's message", async () => {
    const id = await action(gitlabConfig({ ref: 'no-such-branch' }));
    const done = await ended((await run(id, { version: '1.0.0' })).id);
    expect(done.status).toBe('FAILURE');
    expect(done.summary).toContain('(400): Reference not found');
  });
});
