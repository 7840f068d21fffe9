/**
 * A fake GitHub Actions API for the GitHub invoker's tests: real HTTP on 127.0.0.1 speaking the
 * documented shapes of REST API version 2022-11-28 — workflow dispatch, list a workflow's runs,
 * get a run, cancel a run — with payloads from `__fixtures__/github/`. It checks what GitHub
 * checks (bearer token, API version, the dispatch body, declared and required inputs, the ref) and
 * what the docs require of clients (Accept header, JSON body, string inputs); a request that breaks
 * the documented shape is answered 400 and listed in `problems`, so tests can assert there are none.
 *
 * With `basePath: '/api/v3'` it speaks like a GitHub Enterprise Server that does not know
 * `return_run_details` (refused as "not a permitted key"); without, like github.com (200 with the
 * run's id and URLs when asked).
 *
 * Runs move one step each time they are read (`GET .../runs/{id}`): queued → in_progress →
 * completed with the workflow's `conclusion`, so a test's polls drive them and nothing waits on a clock.
 */
import { readFileSync } from 'node:fs';
import {
  type FakeRequest,
  type FakeResponse,
  type FakeServer,
  startFakeServer,
} from '@plexus/connector-sdk/fake-server';

type Json = Record<string, unknown>;

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../__fixtures__/github/${name}.json`, import.meta.url), 'utf8')) as Json;

/** A workflow of the fake repository. */
export interface FakeWorkflow {
  /** The workflow's `name`. */
  name?: string;
  /** Its numeric id (dispatch accepts the file name or the id). */
  id?: number;
  /** `on.workflow_dispatch.inputs`: names, and which must be sent. */
  inputs: Record<string, { required?: boolean }>;
  /** Its `run-name`: a run's `display_title` from the inputs; default the workflow's name. */
  runName?: (inputs: Record<string, string>) => string;
  /** How its runs conclude. Default `success`. */
  conclusion?: 'success' | 'failure' | 'cancelled' | 'timed_out' | 'neutral' | 'skipped';
}

/** Options of {@link startFakeGithubActions}. */
export interface FakeGithubActionsOptions {
  owner: string;
  repo: string;
  /** By file name (`deploy.yml`). */
  workflows: Record<string, FakeWorkflow>;
  /** Branches and tags that exist. Default `['main']`. */
  refs?: string[];
  token?: string;
  /** `/api/v3` to speak like GitHub Enterprise Server. */
  basePath?: string;
  /** Answers a request before the fake does (outages); undefined lets it through. */
  intercept?: (req: FakeRequest) => FakeResponse | undefined;
}

/** A run the fake started, with what the dispatch sent. */
export interface FakeRun {
  workflow: string;
  ref: string;
  inputs: Record<string, string>;
  run: Json;
  reads: number;
}

/** A running fake GitHub; `apiUrl` is what the invoker's `baseUrl` should be. */
export interface FakeGithubActions extends FakeServer {
  apiUrl: string;
  runs: FakeRun[];
  /** Requests that broke the documented shapes (each was answered 400). */
  problems: string[];
}

const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Starts the fake GitHub Actions API. */
export async function startFakeGithubActions(options: FakeGithubActionsOptions): Promise<FakeGithubActions> {
  const responses = fixture('responses');
  const template = fixture('workflow-run').run as Json;
  const basePath = options.basePath ?? '';
  const enterprise = basePath.endsWith('/api/v3');
  const token = options.token ?? 'ghp_fake_actions_token';
  const refs = new Set(options.refs ?? ['main']);
  const runs: FakeRun[] = [];
  const problems: string[] = [];
  let nextId = Number(template.id);
  let nextNumber = Number(template.run_number);

  const error = (status: number, body: unknown): FakeResponse => ({ status, body });
  const shape = (message: string): FakeResponse => {
    problems.push(message);
    return { status: 400, body: { message: `fake GitHub: ${message}`, status: '400' } };
  };
  const workflowOf = (key: string): [string, FakeWorkflow] | undefined =>
    Object.entries(options.workflows).find(([file, w]) => file === key || String(w.id ?? '') === key);

  function checkHeaders(req: FakeRequest): FakeResponse | undefined {
    if (req.headers.authorization !== `Bearer ${token}`) return error(401, responses.badCredentials);
    const version = req.headers['x-github-api-version'];
    if (version !== undefined && version !== '2022-11-28')
      return error(400, {
        ...(responses.unsupportedApiVersion as Json),
        message: `Unsupported 'X-GitHub-Api-Version': '${version}'`,
      });
    if (version === undefined)
      return shape(`${req.method} ${req.path} without X-GitHub-Api-Version: 2022-11-28`);
    if (req.headers.accept !== 'application/vnd.github+json')
      return shape(
        `${req.method} ${req.path} with Accept "${req.headers.accept}", not application/vnd.github+json`,
      );
    return undefined;
  }

  function dispatch(req: FakeRequest, key: string): FakeResponse {
    const wf = workflowOf(key);
    if (!wf) return error(404, responses.notFound);
    const [file, workflow] = wf;
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json'))
      return shape(`dispatch with Content-Type "${req.headers['content-type']}", not JSON`);
    let body: Json;
    try {
      body = JSON.parse(req.body) as Json;
    } catch {
      return error(400, { message: 'Problems parsing JSON', status: '400' });
    }
    const allowed = enterprise ? ['ref', 'inputs'] : ['ref', 'inputs', 'return_run_details'];
    const extra = Object.keys(body).find((k) => !allowed.includes(k));
    if (extra)
      return error(422, {
        ...(responses.notPermittedKey as Json),
        message: `Invalid request.\n\n"${extra}" is not a permitted key.`,
      });
    if (typeof body.ref !== 'string')
      return error(422, { message: 'Invalid request.\n\n"ref" wasn\'t supplied.', status: '422' });
    const inputs = (body.inputs ?? {}) as Json;
    if (typeof inputs !== 'object' || Array.isArray(inputs))
      return shape('dispatch "inputs" is not an object');
    const notString = Object.entries(inputs).find(([, v]) => typeof v !== 'string');
    if (notString) return shape(`dispatch input "${notString[0]}" is ${typeof notString[1]}, not a string`);
    const unexpected = Object.keys(inputs).filter((k) => !(k in workflow.inputs));
    if (unexpected.length > 0)
      return error(422, {
        ...(responses.unexpectedInputs as Json),
        message: `Unexpected inputs provided: ${JSON.stringify(unexpected)}`,
      });
    const missing = Object.entries(workflow.inputs).find(([k, d]) => d.required && !(k in inputs));
    if (missing)
      return error(422, {
        ...(responses.requiredInput as Json),
        message: `Required input '${missing[0]}' not provided`,
      });
    if (!refs.has(body.ref))
      return error(422, { ...(responses.noRef as Json), message: `No ref found for: ${body.ref}` });

    const id = ++nextId;
    const number = ++nextNumber;
    const api = `${fake.apiUrl}/repos/${options.owner}/${options.repo}`;
    const web = `${fake.url}/${options.owner}/${options.repo}`;
    const strings = inputs as Record<string, string>;
    const run: Json = {
      ...structuredClone(template),
      id,
      run_number: number,
      name: workflow.name ?? file,
      display_title: workflow.runName ? workflow.runName(strings) : (workflow.name ?? file),
      path: `.github/workflows/${file}`,
      head_branch: body.ref,
      workflow_id: workflow.id ?? template.workflow_id,
      status: 'queued',
      conclusion: null,
      created_at: isoSeconds(Date.now()),
      updated_at: isoSeconds(Date.now()),
      url: `${api}/actions/runs/${id}`,
      html_url: `${web}/actions/runs/${id}`,
      cancel_url: `${api}/actions/runs/${id}/cancel`,
      jobs_url: `${api}/actions/runs/${id}/jobs`,
      logs_url: `${api}/actions/runs/${id}/logs`,
    };
    runs.push({ workflow: file, ref: body.ref, inputs: strings, run, reads: 0 });
    if (body.return_run_details === true)
      return { status: 200, body: { workflow_run_id: id, run_url: run.url, html_url: run.html_url } };
    return { status: 204, body: '' };
  }

  function listRuns(req: FakeRequest, key: string): FakeResponse {
    const wf = workflowOf(key);
    if (!wf) return error(404, responses.notFound);
    const event = req.query.get('event');
    const created = req.query.get('created');
    let since = Number.NEGATIVE_INFINITY;
    if (created) {
      const m = /^>=(.+)$/.exec(created);
      if (!m || Number.isNaN(Date.parse(m[1]))) return shape(`created=${created} is not ">=<ISO 8601 time>"`);
      since = Date.parse(m[1]);
    }
    const perPage = Math.min(Number(req.query.get('per_page') ?? 30), 100);
    const list = runs
      .filter((r) => r.workflow === wf[0])
      .map((r) => r.run)
      .filter((r) => (!event || r.event === event) && Date.parse(String(r.created_at)) >= since)
      .reverse();
    return { body: { total_count: list.length, workflow_runs: list.slice(0, perPage) } };
  }

  function getRun(id: number): FakeResponse {
    const r = runs.find((x) => x.run.id === id);
    if (!r) return error(404, responses.notFound);
    r.reads++;
    const run = r.run;
    if (run.status === 'queued') run.status = 'in_progress';
    else if (run.status === 'in_progress') {
      run.status = 'completed';
      run.conclusion = options.workflows[r.workflow].conclusion ?? 'success';
    }
    run.updated_at = isoSeconds(Date.now());
    return { body: run };
  }

  function cancelRun(id: number): FakeResponse {
    const r = runs.find((x) => x.run.id === id);
    if (!r) return error(404, responses.notFound);
    if (r.run.status === 'completed')
      return error(409, { message: 'Cannot cancel a workflow run that is completed.', status: '409' });
    r.run.status = 'completed';
    r.run.conclusion = 'cancelled';
    return { status: 202, body: responses.cancelAccepted };
  }

  const fake = (await startFakeServer((req) => {
    const early = options.intercept?.(req);
    if (early) return early;
    if (!req.path.startsWith(`${basePath}/`)) return error(404, responses.notFound);
    const path = req.path.slice(basePath.length);
    const repo = `/repos/${options.owner}/${options.repo}`;
    if (!path.startsWith(`${repo}/`)) return error(404, responses.notFound);
    const denied = checkHeaders(req);
    if (denied) return denied;
    const rest = path.slice(repo.length);
    let m = /^\/actions\/workflows\/([^/]+)\/dispatches$/.exec(rest);
    if (m && req.method === 'POST') return dispatch(req, decodeURIComponent(m[1]));
    m = /^\/actions\/workflows\/([^/]+)\/runs$/.exec(rest);
    if (m && req.method === 'GET') return listRuns(req, decodeURIComponent(m[1]));
    m = /^\/actions\/runs\/(\d+)$/.exec(rest);
    if (m && req.method === 'GET') return getRun(Number(m[1]));
    m = /^\/actions\/runs\/(\d+)\/cancel$/.exec(rest);
    if (m && req.method === 'POST') return cancelRun(Number(m[1]));
    return error(404, responses.notFound);
  })) as FakeGithubActions;
  fake.apiUrl = `${fake.url}${basePath}`;
  fake.runs = runs;
  fake.problems = problems;
  return fake;
}
