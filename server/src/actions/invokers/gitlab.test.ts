import type { GitlabInvoker } from '@plexus/contract';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeGitlab, startFakeGitlab } from '../fakes/fake-gitlab.ts';
import { testContext, testPayload } from '../fakes/invocation-context.ts';
import { createGitlabInvoker, gitlabMessage, projectSegment } from './gitlab.ts';

const triggerToken = 'glptt-0123456789abcdef';
let fakes: FakeGitlab[] = [];

async function fakeGitlab() {
  const fake = await startFakeGitlab({
    project: { id: 21, path: 'acme/cart-service' },
    triggerToken,
    refs: ['main', 'release/1.4'],
  });
  fakes.push(fake);
  return fake;
}

const config = (fake: FakeGitlab, extra: Partial<GitlabInvoker> = {}): GitlabInvoker => ({
  type: 'gitlab',
  baseUrl: fake.url,
  project: 'acme/cart-service',
  ref: 'main',
  token: triggerToken,
  ...extra,
});

afterEach(async () => {
  await Promise.all(fakes.map((f) => f.close()));
  fakes = [];
});

describe('GitLab invoker', () => {
  it('triggers the pipeline with the token, ref and string variables, and links the pipeline', async () => {
    const fake = await fakeGitlab();
    const ctx = testContext(config(fake), {
      payload: testPayload({ inputs: { VERSION: '1.4.0', replicas: 3, canary: true } }),
    });
    const result = await createGitlabInvoker().invoke(ctx);

    expect(fake.problems).toEqual([]);
    const [req] = fake.requests;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/api/v4/projects/acme%2Fcart-service/trigger/pipeline');
    expect(JSON.parse(req.body)).toEqual({
      token: triggerToken,
      ref: 'main',
      variables: {
        VERSION: '1.4.0',
        replicas: '3',
        canary: 'true',
        PLEXUS_RUN_ID: 'run_test_1',
        PLEXUS_API_URL: 'http://127.0.0.1:4000/api/v1',
      },
    });
    const pipeline = fake.triggers[0].pipeline;
    expect(result).toEqual({
      outcome: 'accepted',
      link: pipeline.web_url,
      statusLabel: `Pipeline #${pipeline.iid}: created`,
    });
    expect(ctx.report.recorded.logs[0].message).toContain(
      `Triggered Pipeline #${pipeline.iid} of acme/cart-service on main`,
    );
  });

  it('takes the variables from the template and a numeric project id', async () => {
    const fake = await fakeGitlab();
    const ctx = testContext(
      config(fake, {
        project: '21',
        ref: 'release/1.4',
        variables: { jsonata: '{"DEPLOY_TARGET": entity.identifier, "VERSION": inputs.version}' },
      }),
      {
        payload: testPayload({
          inputs: { version: '2.0.0', ignored: 'x' },
          entity: { identifier: 'cart-service', blueprint: 'service', properties: {} } as never,
        }),
      },
    );
    const result = await createGitlabInvoker().invoke(ctx);
    expect(result.outcome).toBe('accepted');
    expect(fake.requests[0].path).toBe('/api/v4/projects/21/trigger/pipeline');
    expect(fake.triggers[0]).toMatchObject({
      encoding: 'json',
      ref: 'release/1.4',
      variables: { DEPLOY_TARGET: 'cart-service', VERSION: '2.0.0', PLEXUS_RUN_ID: 'run_test_1' },
    });
    expect(fake.triggers[0].variables).not.toHaveProperty('ignored');
  });

  it("fails the run with GitLab's message for an unknown ref, a wrong token and an unknown project", async () => {
    const fake = await fakeGitlab();
    const invoker = createGitlabInvoker();
    const summary = async (extra: Partial<GitlabInvoker>) => {
      const r = await invoker.invoke(testContext(config(fake, extra)));
      return r.outcome === 'done' ? `${r.status}: ${r.summary}` : r.outcome;
    };
    expect(await summary({ ref: 'nope' })).toBe(
      'FAILURE: GitLab refused the pipeline trigger of acme/cart-service on nope (400): Reference not found',
    );
    expect(await summary({ token: 'glptt-wrong' })).toMatch(/\(404\): 404 Not Found$/);
    expect(await summary({ project: 'acme/other' })).toMatch(/\(404\): 404 Project Not Found$/);
    expect(fake.triggers).toHaveLength(0);
    expect(fake.problems).toEqual([]);
  });

  it('fails before calling GitLab when an input cannot be a variable name or there is no token', async () => {
    const fake = await fakeGitlab();
    const bad = await createGitlabInvoker().invoke(
      testContext(config(fake), { payload: testPayload({ inputs: { 'deploy-target': 'x' } }) }),
    );
    expect(bad).toMatchObject({
      outcome: 'done',
      status: 'FAILURE',
      summary: expect.stringContaining('"deploy-target" cannot be a GitLab CI/CD variable name'),
    });
    const noToken = await createGitlabInvoker().invoke(testContext(config(fake, { token: undefined })));
    expect(noToken).toMatchObject({
      outcome: 'done',
      status: 'FAILURE',
      summary: expect.stringContaining('no GitLab pipeline trigger token'),
    });
    expect(fake.requests).toHaveLength(0);
  });

  it('fails with the reason when GitLab cannot be reached', async () => {
    const fake = await fakeGitlab();
    const url = fake.url;
    await fake.close();
    fakes = [];
    const result = await createGitlabInvoker().invoke(
      testContext({ type: 'gitlab', baseUrl: url, project: '1', ref: 'main', token: 't' }),
    );
    expect(result).toMatchObject({
      outcome: 'done',
      status: 'FAILURE',
      summary: expect.stringMatching(/^GitLab could not be reached/),
    });
  });

  it('the fake takes form data too, as GitLab does', async () => {
    const fake = await fakeGitlab();
    const res = await fetch(`${fake.url}/api/v4/projects/21/trigger/pipeline`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: triggerToken, ref: 'main', 'variables[VERSION]': '1.0' }).toString(),
    });
    expect(res.status).toBe(201);
    expect(fake.triggers[0]).toMatchObject({ encoding: 'form', variables: { VERSION: '1.0' } });
  });

  it('names each bad field of a configuration', () => {
    const problems = createGitlabInvoker().validate({
      type: 'gitlab',
      project: '',
      baseUrl: 'not a url',
      token: '',
      variables: { jsonata: '(' },
    } as unknown as GitlabInvoker);
    expect(problems.map((p) => p.path)).toEqual(['project', 'ref', 'baseUrl', 'token', 'variables/jsonata']);
    expect(
      createGitlabInvoker().validate({ type: 'gitlab', project: 'a/b', ref: 'main', token: 't' }),
    ).toEqual([]);
  });

  it('reads every shape of GitLab error body', () => {
    expect(gitlabMessage(404, '{"message":"404 Not Found"}')).toBe('404 Not Found');
    expect(gitlabMessage(400, '{"message":{"base":["Reference not found"]}}')).toBe('Reference not found');
    expect(gitlabMessage(400, '{"message":{"ref":["is invalid"]}}')).toBe('ref is invalid');
    expect(gitlabMessage(400, '{"error":"variables is invalid"}')).toBe('variables is invalid');
    expect(gitlabMessage(502, '<html>Bad gateway</html>')).toBe('<html>Bad gateway</html>');
    expect(projectSegment('group/sub/project')).toBe('group%2Fsub%2Fproject');
    expect(projectSegment('group%2Fproject')).toBe('group%2Fproject');
  });
});
