/**
 * A fake GitLab for the GitLab invoker's tests: real HTTP on 127.0.0.1 answering
 * `POST /api/v4/projects/:id/trigger/pipeline` as GitLab's REST v4 documents it, with payloads from
 * `__fixtures__/gitlab/`. The project is found by id or URL-encoded path; the trigger token, the
 * ref and the variables are checked. It takes both encodings GitLab accepts — a JSON body
 * (`"variables": {"KEY": "value"}`) and form data (`variables[KEY]=value`) — and records which one
 * came. A request that breaks the documented shape (variables that are not strings, a path that
 * is not encoded) is answered 400 and listed in `problems`.
 */
import { readFileSync } from 'node:fs';
import {
  type FakeRequest,
  type FakeResponse,
  type FakeServer,
  startFakeServer,
} from '@plexus/connector-sdk/fake-server';

type Json = Record<string, unknown>;

const responses = () =>
  JSON.parse(
    readFileSync(new URL('../__fixtures__/gitlab/responses.json', import.meta.url), 'utf8'),
  ) as Record<string, Json>;

/** Options of {@link startFakeGitlab}. */
export interface FakeGitlabOptions {
  /** The project's numeric id and its full path (`acme/cart-service`). */
  project: { id: number; path: string };
  /** Its pipeline trigger token. */
  triggerToken: string;
  /** Branches and tags that exist. Default `['main']`. */
  refs?: string[];
  /** Answers a request before the fake does; undefined lets it through. */
  intercept?: (req: FakeRequest) => FakeResponse | undefined;
}

/** A pipeline the fake created, with what the trigger sent. */
export interface FakeTrigger {
  encoding: 'json' | 'form';
  ref: string;
  variables: Record<string, string>;
  pipeline: Json;
}

/** A running fake GitLab; `url` is what the invoker's `baseUrl` should be. */
export interface FakeGitlab extends FakeServer {
  triggers: FakeTrigger[];
  problems: string[];
}

/** Reads a form body's fields, `variables[KEY]` into a map. */
function readForm(text: string): { fields: Record<string, string>; variables: Record<string, string> } {
  const fields: Record<string, string> = {};
  const variables: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    const m = /^variables\[(.+)\]$/.exec(k);
    if (m) variables[m[1]] = v;
    else fields[k] = v;
  }
  return { fields, variables };
}

/** Starts the fake GitLab. */
export async function startFakeGitlab(options: FakeGitlabOptions): Promise<FakeGitlab> {
  const r = responses();
  const refs = new Set(options.refs ?? ['main']);
  const triggers: FakeTrigger[] = [];
  const problems: string[] = [];
  let nextId = Number(r.pipeline.id);
  let nextIid = Number(r.pipeline.iid);
  const shape = (message: string): FakeResponse => {
    problems.push(message);
    return { status: 400, body: { error: `fake GitLab: ${message}` } };
  };

  function trigger(req: FakeRequest, project: string): FakeResponse {
    if (project !== String(options.project.id) && project !== encodeURIComponent(options.project.path)) {
      if (project.includes('/')) return shape(`project path "${project}" is not URL-encoded`);
      return { status: 404, body: r.projectNotFound };
    }
    const type = String(req.headers['content-type'] ?? '');
    let encoding: FakeTrigger['encoding'];
    let token: unknown;
    let ref: unknown;
    let variables: unknown;
    if (type.startsWith('application/json')) {
      encoding = 'json';
      let body: Json;
      try {
        body = JSON.parse(req.body) as Json;
      } catch {
        return { status: 400, body: { error: 'The request body is not valid JSON' } };
      }
      ({ token, ref, variables } = body);
    } else if (type.startsWith('application/x-www-form-urlencoded')) {
      encoding = 'form';
      const form = readForm(req.body);
      ({ token, ref } = form.fields);
      variables = form.variables;
    } else return shape(`trigger with Content-Type "${type}": GitLab takes JSON or form data`);
    if (token === undefined) return { status: 400, body: r.tokenMissing };
    if (ref === undefined) return { status: 400, body: r.refMissing };
    if (variables !== undefined) {
      if (typeof variables !== 'object' || variables === null || Array.isArray(variables))
        return { status: 400, body: r.variablesInvalid };
      const bad = Object.entries(variables).find(([, v]) => typeof v !== 'string');
      if (bad) return shape(`variable ${bad[0]} is ${typeof bad[1]}, not a string`);
    }
    // GitLab answers an unknown trigger token as if the project did not exist.
    if (token !== options.triggerToken) return { status: 404, body: r.notFound };
    if (typeof ref !== 'string' || !refs.has(ref)) return { status: 400, body: r.referenceNotFound };
    const id = ++nextId;
    const now = new Date().toISOString();
    const pipeline: Json = {
      ...structuredClone(r.pipeline),
      id,
      iid: ++nextIid,
      project_id: options.project.id,
      ref,
      created_at: now,
      updated_at: now,
      web_url: `${fake.url}/${options.project.path}/-/pipelines/${id}`,
    };
    triggers.push({ encoding, ref, variables: (variables ?? {}) as Record<string, string>, pipeline });
    return { status: 201, body: pipeline };
  }

  const fake = (await startFakeServer((req) => {
    const early = options.intercept?.(req);
    if (early) return early;
    // The raw path, so an encoded project path stays one segment.
    const m = /^\/api\/v4\/projects\/(.+)\/trigger\/pipeline$/.exec(req.path);
    if (m && req.method === 'POST') return trigger(req, m[1]);
    return { status: 404, body: r.notFound };
  })) as FakeGitlab;
  fake.triggers = triggers;
  fake.problems = problems;
  return fake;
}
