import { createEgressPolicy } from '@plexus/connector-sdk';
import type { GithubInvoker } from '@plexus/contract';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeGithubActions, startFakeGithubActions } from '../fakes/fake-github-actions.ts';
import { testContext, testPayload } from '../fakes/invocation-context.ts';
import { createGithubInvoker, statusForConclusion } from './github.ts';

const token = 'ghp_actions_test';
const fast = { pollInitialMs: 5, pollMaxMs: 20, findTimeoutMs: 5_000 };
let fakes: FakeGithubActions[] = [];

async function fakeGithub(options: Partial<Parameters<typeof startFakeGithubActions>[0]> = {}) {
  const fake = await startFakeGithubActions({
    owner: 'acme',
    repo: 'cart-service',
    token,
    refs: ['main', 'v1.4.0'],
    workflows: {
      'deploy.yml': {
        name: 'Deploy',
        id: 61820044,
        inputs: {
          version: { required: true },
          environment: {},
          dryRun: {},
          plexus_run_id: {},
          plexus_api_url: {},
        },
      },
    },
    ...options,
  });
  fakes.push(fake);
  return fake;
}

function config(fake: FakeGithubActions, extra: Partial<GithubInvoker> = {}): GithubInvoker {
  return {
    type: 'github',
    baseUrl: fake.apiUrl,
    owner: 'acme',
    repo: 'cart-service',
    workflow: 'deploy.yml',
    ref: 'main',
    token,
    ...extra,
  };
}

afterEach(async () => {
  await Promise.all(fakes.map((f) => f.close()));
  fakes = [];
});

describe('GitHub invoker: dispatch', () => {
  it('dispatches the workflow with the documented headers, body and stringified inputs', async () => {
    const fake = await fakeGithub();
    const ctx = testContext(config(fake), {
      payload: testPayload({
        inputs: { version: '1.4.0', dryRun: false, environment: 'staging', notes: null },
      }),
    });
    const result = await createGithubInvoker(fast).invoke(ctx);

    expect(fake.problems).toEqual([]);
    const [req] = fake.requests;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/repos/acme/cart-service/actions/workflows/deploy.yml/dispatches');
    expect(req.headers).toMatchObject({
      accept: 'application/vnd.github+json',
      authorization: `Bearer ${token}`,
      'x-github-api-version': '2022-11-28',
    });
    expect(JSON.parse(req.body)).toEqual({
      ref: 'main',
      inputs: {
        version: '1.4.0',
        dryRun: 'false',
        environment: 'staging',
        plexus_run_id: 'run_test_1',
        plexus_api_url: 'http://127.0.0.1:4000/api/v1',
      },
      return_run_details: true,
    });
    expect(fake.runs[0].inputs.version).toBe('1.4.0');
    expect(result).toEqual({
      outcome: 'accepted',
      link: `${fake.url}/acme/cart-service/actions/runs/${fake.runs[0].run.id}`,
      statusLabel: 'Workflow dispatched',
      // No status copy asked for: nothing goes on after the answer.
      continues: false,
    });
    expect(ctx.report.recorded.logs[0].message).toContain(
      'Dispatched workflow deploy.yml on main in acme/cart-service',
    );
  });

  it('builds the inputs from the template over the invocation payload', async () => {
    const fake = await fakeGithub();
    const ctx = testContext(
      config(fake, {
        ref: 'v1.4.0',
        inputs: { jsonata: '{"version": inputs.tag, "environment": entity.properties.env}' },
      }),
      {
        payload: testPayload({
          inputs: { tag: '2.0.1' },
          entity: { identifier: 'cart', blueprint: 'service', properties: { env: 'prod' } } as never,
        }),
      },
    );
    const result = await createGithubInvoker(fast).invoke(ctx);
    expect(result.outcome).toBe('accepted');
    expect(fake.runs[0].ref).toBe('v1.4.0');
    expect(fake.runs[0].inputs).toEqual({
      version: '2.0.1',
      environment: 'prod',
      plexus_run_id: 'run_test_1',
      plexus_api_url: 'http://127.0.0.1:4000/api/v1',
    });
  });

  it("fails the run with GitHub's reason when it answers 422 for unexpected inputs", async () => {
    const fake = await fakeGithub();
    const ctx = testContext(config(fake), {
      payload: testPayload({ inputs: { version: '1', colour: 'red' } }),
    });
    const result = await createGithubInvoker(fast).invoke(ctx);
    expect(result).toEqual({
      outcome: 'done',
      status: 'FAILURE',
      summary:
        'GitHub refused the dispatch of deploy.yml in acme/cart-service (422): Unexpected inputs provided: ["colour"]',
    });
    expect(fake.runs).toHaveLength(0);
    expect(fake.problems).toEqual([]);
  });

  it("fails with GitHub's message for a missing required input, an unknown ref, a bad token and an unknown workflow", async () => {
    const fake = await fakeGithub();
    const invoker = createGithubInvoker(fast);
    const summary = async (extra: Partial<GithubInvoker>, inputs: Record<string, unknown>) => {
      const r = await invoker.invoke(testContext(config(fake, extra), { payload: testPayload({ inputs }) }));
      return r.outcome === 'done' ? `${r.status}: ${r.summary}` : r.outcome;
    };
    expect(await summary({}, {})).toMatch(/^FAILURE: .*\(422\): Required input 'version' not provided$/);
    expect(await summary({ ref: 'nope' }, { version: '1' })).toMatch(/\(422\): No ref found for: nope$/);
    expect(await summary({ token: 'wrong' }, { version: '1' })).toMatch(/\(401\): Bad credentials$/);
    expect(await summary({ workflow: 'missing.yml' }, { version: '1' })).toMatch(/\(404\): Not Found$/);
    expect(fake.runs).toHaveLength(0);
  });

  it('fails without calling GitHub when the inputs template does not give an object', async () => {
    const fake = await fakeGithub();
    const ctx = testContext(config(fake, { inputs: { jsonata: '"just text"' } }));
    const result = await createGithubInvoker(fast).invoke(ctx);
    expect(result).toMatchObject({
      outcome: 'done',
      status: 'FAILURE',
      summary: expect.stringContaining('must give an object'),
    });
    expect(fake.requests).toHaveLength(0);
  });

  it('fails with the reason when GitHub cannot be reached or the egress policy refuses it', async () => {
    const fake = await fakeGithub();
    const url = fake.apiUrl;
    await fake.close();
    fakes = [];
    const closed = await createGithubInvoker(fast).invoke(
      testContext({
        type: 'github',
        baseUrl: url,
        owner: 'acme',
        repo: 'r',
        workflow: 'w.yml',
        ref: 'main',
        token,
      }),
    );
    expect(closed).toMatchObject({
      outcome: 'done',
      status: 'FAILURE',
      summary: expect.stringMatching(/^GitHub could not be reached \(http:\/\/127\.0\.0\.1:\d+\): /),
    });

    const other = await fakeGithub();
    const refused = await createGithubInvoker(fast).invoke(
      testContext(config(other), { egress: createEgressPolicy({ allow: [] }) }),
    );
    expect(refused).toMatchObject({
      outcome: 'done',
      status: 'FAILURE',
      summary: expect.stringContaining('loopback'),
    });
    expect(other.requests).toHaveLength(0);
  });
});

describe('GitHub invoker: status copy', () => {
  it('follows the run GitHub names in its answer and ends the Plexus run with its conclusion', async () => {
    const fake = await fakeGithub();
    const ctx = testContext(config(fake, { reportStatus: true }), {
      payload: testPayload({ inputs: { version: '1' } }),
    });
    await createGithubInvoker(fast).invoke(ctx);
    const end = await ctx.report.recorded.waitForUpdate((u) => u.status !== undefined);
    const run = fake.runs[0].run;
    expect(end).toMatchObject({
      status: 'SUCCESS',
      link: run.html_url,
      summary: 'GitHub workflow run concluded "success"',
    });
    expect(ctx.report.recorded.updates.map((u) => u.statusLabel)).toContain(
      `Workflow run #${run.run_number}: in_progress`,
    );
    // No listing needed: the dispatch answer named the run.
    expect(fake.requests.filter((r) => r.path.endsWith('/runs'))).toHaveLength(0);
    expect(fake.problems).toEqual([]);
  });

  it('on GitHub Enterprise finds the run by the Plexus run id in its run-name and copies a failure', async () => {
    const fake = await fakeGithub({
      basePath: '/api/v3',
      workflows: {
        'deploy.yml': {
          name: 'Deploy',
          inputs: { version: {}, plexus_run_id: {}, plexus_api_url: {} },
          runName: (inputs) => `Deploy ${inputs.version} (Plexus ${inputs.plexus_run_id})`,
          conclusion: 'failure',
        },
      },
    });
    const ctx = testContext(config(fake, { reportStatus: true }), {
      payload: testPayload({
        run: { id: 'run_ghes_7', token: 't', apiUrl: 'http://p/api/v1' },
        inputs: { version: '3' },
      }),
    });
    const result = await createGithubInvoker(fast).invoke(ctx);
    expect(result).toMatchObject({
      outcome: 'accepted',
      link: `${fake.url}/acme/cart-service/actions/workflows/deploy.yml`,
    });
    expect(JSON.parse(fake.requests[0].body)).not.toHaveProperty('return_run_details');
    const end = await ctx.report.recorded.waitForUpdate((u) => u.status !== undefined);
    expect(end).toMatchObject({
      status: 'FAILURE',
      summary: 'GitHub workflow run concluded "failure"',
      link: fake.runs[0].run.html_url,
    });
    const list = fake.requests.find((r) => r.path.endsWith('/runs'))!;
    expect(list.query.get('event')).toBe('workflow_dispatch');
    expect(list.query.get('created')).toMatch(/^>=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(fake.problems).toEqual([]);
  });

  it('gives two runs dispatched at once two different workflow runs when the titles do not tell them apart', async () => {
    const fake = await fakeGithub({ basePath: '/api/v3' });
    const invoker = createGithubInvoker(fast);
    const contexts = ['run_a', 'run_b'].map((id) =>
      testContext(config(fake, { reportStatus: true }), {
        payload: testPayload({ run: { id, token: 't', apiUrl: 'http://p/api/v1' }, inputs: { version: id } }),
      }),
    );
    await Promise.all(contexts.map((c) => invoker.invoke(c)));
    const links = await Promise.all(
      contexts.map(async (c) => (await c.report.recorded.waitForUpdate((u) => u.status === 'SUCCESS')).link),
    );
    expect(new Set(links).size).toBe(2);
    expect(links.sort()).toEqual(fake.runs.map((r) => String(r.run.html_url)).sort());
  });

  it('fails the run when no workflow run turns up in time', async () => {
    const fake = await fakeGithub({
      basePath: '/api/v3',
      // GitHub accepted the dispatch but the run never shows in the listing.
      intercept: (req) =>
        req.path.endsWith('/runs') ? { body: { total_count: 0, workflow_runs: [] } } : undefined,
    });
    const ctx = testContext(config(fake, { reportStatus: true }), {
      payload: testPayload({ inputs: { version: '1' } }),
    });
    await createGithubInvoker({ ...fast, findTimeoutMs: 60 }).invoke(ctx);
    const end = await ctx.report.recorded.waitForUpdate((u) => u.status !== undefined);
    expect(end.status).toBe('FAILURE');
    expect(ctx.report.recorded.logs.at(-1)?.message).toContain('run-name containing inputs.plexus_run_id');
  });

  it('stops copying when the run is cancelled and cancels the workflow run', async () => {
    const fake = await fakeGithub({
      // Runs stay queued: reads do not move them on.
      intercept: (req) => {
        const m = /\/actions\/runs\/(\d+)$/.exec(req.path);
        const run = m && req.method === 'GET' ? fake.runs.find((r) => r.run.id === Number(m[1])) : undefined;
        return run ? { body: run.run } : undefined;
      },
    });
    const controller = new AbortController();
    const ctx = testContext(config(fake, { reportStatus: true }), {
      payload: testPayload({ inputs: { version: '1' } }),
      signal: controller.signal,
    });
    const invoker = createGithubInvoker(fast);
    await invoker.invoke(ctx);
    const id = fake.runs[0].run.id;
    await ctx.report.recorded.waitForUpdate((u) => u.statusLabel?.endsWith(': queued') === true);
    controller.abort();
    await invoker.cancel!(ctx);
    expect(
      fake.requests.some(
        (r) => r.method === 'POST' && r.path === `/repos/acme/cart-service/actions/runs/${id}/cancel`,
      ),
    ).toBe(true);
    expect(fake.runs[0].run.conclusion).toBe('cancelled');
    expect(ctx.report.recorded.status()).toBeUndefined();
  });

  it('maps conclusions: success and neutral succeed, everything else fails', () => {
    expect(statusForConclusion('success')).toBe('SUCCESS');
    expect(statusForConclusion('neutral')).toBe('SUCCESS');
    for (const c of [
      'failure',
      'cancelled',
      'timed_out',
      'skipped',
      'action_required',
      'startup_failure',
      null,
    ])
      expect(statusForConclusion(c)).toBe('FAILURE');
  });
});

describe('GitHub invoker: configuration', () => {
  it('names each bad field', () => {
    const problems = createGithubInvoker().validate({
      type: 'github',
      owner: '',
      repo: 'r',
      workflow: 'w.yml',
      baseUrl: 'ftp://x',
      inputs: { jsonata: '{"a": ' },
    } as unknown as GithubInvoker);
    expect(problems.map((p) => p.path)).toEqual(['owner', 'ref', 'baseUrl', 'inputs/jsonata']);
    expect(createGithubInvoker().secretFields).toEqual(['token']);
    const extra = createGithubInvoker().validate({
      type: 'github',
      owner: 'o',
      repo: 'r',
      workflow: 'w',
      ref: 'main',
      branch: 'x',
    } as unknown as GithubInvoker);
    expect(extra).toEqual([
      {
        path: 'branch',
        message: expect.stringMatching(/^unknown key "branch"; a github invoker has baseUrl, owner/),
      },
    ]);
  });

  it('accepts a complete configuration', () => {
    const fine: GithubInvoker = {
      type: 'github',
      baseUrl: 'https://github.example.com/api/v3',
      owner: 'acme',
      repo: 'cart',
      workflow: 'deploy.yml',
      ref: 'main',
      token: 'x',
      reportStatus: true,
      inputs: { jsonata: '{"version": inputs.version}' },
    };
    expect(createGithubInvoker().validate(fine)).toEqual([]);
  });
});
