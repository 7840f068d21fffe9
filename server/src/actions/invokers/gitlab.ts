/**
 * The GitLab invoker: a pipeline trigger.
 *
 * `POST {baseUrl}/api/v4/projects/{project}/trigger/pipeline` with the JSON body
 * `{"token", "ref", "variables": {"KEY": "value"}}` (GitLab also takes the same fields as form
 * data, `variables[KEY]=value`; JSON keeps keys and values exact). The variables are the template's
 * object (else the action's inputs) as strings, plus `PLEXUS_RUN_ID` and `PLEXUS_API_URL`.
 * 201 → accepted, the pipeline's `web_url` as the run's link; any other answer ends the run
 * FAILURE with GitLab's message (`message`, `message.base`, or Grape's `error`). A trigger is not
 * retried: GitLab may have created the pipeline even when the answer was lost.
 *
 * The trigger token can start pipelines but not read them, so there is no status copy: the
 * pipeline reports back itself (see docs/actions.md "GitLab CI"), or the run ends at its timeout.
 */
import type { GitlabInvoker } from '@plexus/contract';
import type { InvocationResult, Invoker } from '../types.ts';
import {
  checkBaseUrl,
  renderEngineInputs,
  stringifyEngineInputs,
  templateProblems,
  unknownKeys,
} from './engine-inputs.ts';

/** Tuning of the GitLab invoker. */
export interface GitlabInvokerOptions {
  /** Per request. Default 30 s. */
  requestTimeoutMs?: number;
}

/** GitLab's CI/CD variable keys: letters, digits and underscores. */
const variableKey = /^[A-Za-z0-9_]{1,255}$/;

/** The project part of the path: an id, or a path URL-encoded once (`group%2Fproject`). */
export function projectSegment(project: string): string {
  return /%[0-9A-Fa-f]{2}/.test(project) ? project : encodeURIComponent(project);
}

/** GitLab's error text from an error body: `message` (string or field → messages) or `error`. */
export function gitlabMessage(status: number, text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown; error?: unknown; error_description?: unknown };
    if (typeof body.message === 'string') return body.message;
    if (body.message && typeof body.message === 'object') {
      const parts = Object.entries(body.message as Record<string, unknown>).map(([field, v]) => {
        const text = Array.isArray(v) ? v.join(', ') : String(v);
        return field === 'base' ? text : `${field} ${text}`;
      });
      if (parts.length > 0) return parts.join('; ');
    }
    if (typeof body.error === 'string')
      return typeof body.error_description === 'string'
        ? `${body.error}: ${body.error_description}`
        : body.error;
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.trim().slice(0, 300) || `HTTP ${status}`;
}

/**
 * Creates the GitLab invoker.
 * @example registry.gitlab = createGitlabInvoker();
 */
export function createGitlabInvoker(options: GitlabInvokerOptions = {}): Invoker<GitlabInvoker> {
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  return {
    type: 'gitlab',
    secretFields: ['token'],

    validate(config) {
      const problems = unknownKeys(
        config,
        ['type', 'baseUrl', 'project', 'ref', 'variables', 'token'],
        'a gitlab invoker',
      );
      for (const field of ['project', 'ref'] as const) {
        const v = config[field];
        if (typeof v !== 'string' || v.trim() === '')
          problems.push({
            path: field,
            message:
              field === 'project'
                ? 'is required: the project id (42) or path (group/project)'
                : 'is required (a branch or tag)',
          });
      }
      const badUrl = checkBaseUrl(config.baseUrl);
      if (badUrl) problems.push({ path: 'baseUrl', message: `${badUrl} (e.g. https://gitlab.example.com)` });
      if (config.token !== undefined && (typeof config.token !== 'string' || config.token === ''))
        problems.push({
          path: 'token',
          message: 'must be a pipeline trigger token (Settings > CI/CD > Pipeline trigger tokens)',
        });
      problems.push(...templateProblems(config.variables, 'variables'));
      return problems;
    },

    async invoke(ctx): Promise<InvocationResult> {
      const { config, payload, report } = ctx;
      const base = (config.baseUrl ?? 'https://gitlab.com').replace(/\/+$/, '');
      if (!config.token)
        return {
          outcome: 'done',
          status: 'FAILURE',
          summary: 'The action has no GitLab pipeline trigger token (invoker.token)',
        };
      let variables: Record<string, string>;
      try {
        variables = stringifyEngineInputs(await renderEngineInputs(config.variables, payload));
      } catch (err) {
        return {
          outcome: 'done',
          status: 'FAILURE',
          summary: (err as Error).message.replace('inputs template', 'variables template'),
        };
      }
      const badKey = Object.keys(variables).find((k) => !variableKey.test(k));
      if (badKey)
        return {
          outcome: 'done',
          status: 'FAILURE',
          summary: `"${badKey}" cannot be a GitLab CI/CD variable name (letters, digits and _ only); rename the input or map it in the variables template`,
        };
      variables.PLEXUS_RUN_ID = payload.run.id;
      variables.PLEXUS_API_URL = payload.run.apiUrl;
      const url = `${base}/api/v4/projects/${projectSegment(config.project)}/trigger/pipeline`;
      let status: number;
      let text: string;
      try {
        const res = await ctx.egress.fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json',
            'user-agent': 'plexus-actions',
          },
          body: JSON.stringify({ token: config.token, ref: config.ref, variables }),
          signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(requestTimeoutMs)]),
        });
        status = res.status;
        text = await res.text();
      } catch (err) {
        const e = err as Error;
        const why = e.name === 'TimeoutError' ? `no answer within ${requestTimeoutMs} ms` : e.message;
        return {
          outcome: 'done',
          status: 'FAILURE',
          summary: `GitLab could not be reached (${new URL(base).origin}): ${why}`,
        };
      }
      if (status !== 201) {
        return {
          outcome: 'done',
          status: 'FAILURE',
          summary: `GitLab refused the pipeline trigger of ${config.project} on ${config.ref} (${status}): ${gitlabMessage(status, text)}`,
        };
      }
      let pipeline: { id?: number; iid?: number; status?: string; web_url?: string } = {};
      try {
        pipeline = JSON.parse(text);
      } catch {
        // a 201 without a readable body is still a created pipeline
      }
      const name = `Pipeline #${pipeline.iid ?? pipeline.id ?? '?'}`;
      await report.log(
        `Triggered ${name} of ${config.project} on ${config.ref}${pipeline.web_url ? `: ${pipeline.web_url}` : ''}`,
      );
      return {
        outcome: 'accepted',
        link: typeof pipeline.web_url === 'string' ? pipeline.web_url : undefined,
        statusLabel: `${name}: ${pipeline.status ?? 'created'}`,
      };
    },
  };
}

/** The GitLab invoker with default tuning, for the registry. */
export const gitlabInvoker: Invoker<GitlabInvoker> = createGitlabInvoker();
