/**
 * The GitHub invoker: a `workflow_dispatch` of a repository's workflow, and (with `reportStatus`)
 * a copy of the dispatched workflow run's progress, link and conclusion to the Plexus run.
 *
 * Requests (GitHub REST, API version 2022-11-28, every call through the egress policy):
 * - `POST {baseUrl}/repos/{owner}/{repo}/actions/workflows/{workflow}/dispatches` with
 *   `{"ref", "inputs"}`: the inputs (the template's object, else the action's inputs) as strings,
 *   plus `plexus_run_id` and `plexus_api_url`. 204 (or 200 with run details) → accepted; any other
 *   answer ends the run FAILURE with GitHub's `message` (e.g. 422 "Unexpected inputs provided").
 *   A dispatch is not retried: GitHub may have started the workflow even when the answer was lost.
 * - Status copy, finding the run: on github.com the dispatch asks for `return_run_details` and the
 *   200 answer names the run. GitHub Enterprise Server (`.../api/v3`) may not know that field (it
 *   refuses unknown keys), so there the run is found by listing
 *   `GET .../actions/workflows/{workflow}/runs?event=workflow_dispatch&created=>=<dispatch time - 1 min>`
 *   and taking the run whose title (`display_title`, i.e. the workflow's `run-name`) contains the
 *   Plexus run id; failing that, the earliest run created since the dispatch that no other run of
 *   this server has claimed. Give the workflow `run-name: "... ${{ inputs.plexus_run_id }}"` to
 *   make the match exact when several runs are dispatched at once.
 * - Status copy, polling: `GET .../actions/runs/{id}` with a growing pause (`pollInitialMs`
 *   doubling to `pollMaxMs`), the run's `html_url` copied as the Plexus link and its status as the
 *   status label; `completed` ends the Plexus run: conclusion `success` or `neutral` → SUCCESS,
 *   anything else (failure, cancelled, timed_out, ...) → FAILURE naming the conclusion. Polling
 *   stops when the run is cancelled or the server stops (the run then ends by its action's
 *   timeout), after `trackTimeoutMs`, or after `maxPollFailures` failed polls in a row.
 */
import type { GithubInvoker, RunStatus } from '@plexus/contract';
import type { InvocationContext, InvocationResult, Invoker } from '../types.ts';
import {
  checkBaseUrl,
  pause,
  renderEngineInputs,
  stringifyEngineInputs,
  templateProblems,
  unknownKeys,
} from './engine-inputs.ts';

/** Tuning of the GitHub invoker (defaults suit github.com's rate limits). */
export interface GithubInvokerOptions {
  /** First pause between polls of the workflow run; doubled up to `pollMaxMs`. Default 3 s. */
  pollInitialMs?: number;
  /** Longest pause between polls. Default 60 s. */
  pollMaxMs?: number;
  /** How long to look for the workflow run a dispatch started. Default 2 min. */
  findTimeoutMs?: number;
  /** Longest status copy. Default 24 h (the action's own timeout usually ends the run first). */
  trackTimeoutMs?: number;
  /** Failed polls in a row (network, 5xx) before the status copy gives up. Default 10. */
  maxPollFailures?: number;
  /** Per request. Default 30 s. */
  requestTimeoutMs?: number;
}

/** A workflow run as GitHub answers it (the fields used here). */
interface WorkflowRun {
  id: number;
  run_number?: number;
  display_title?: string;
  name?: string;
  status: string;
  conclusion: string | null;
  html_url: string;
  created_at: string;
}

const defaultApi = 'https://api.github.com';

/** The API root without a trailing slash. */
function apiBase(config: GithubInvoker): string {
  return (config.baseUrl ?? defaultApi).replace(/\/+$/, '');
}

/** github.com knows `return_run_details`; an Enterprise Server (`/api/v3`) may not. */
function knowsRunDetails(base: string): boolean {
  return !new URL(base).pathname.replace(/\/+$/, '').endsWith('/api/v3');
}

/** The web root matching an API root, for links (null when it cannot be told). */
function webBase(base: string): string | null {
  const u = new URL(base);
  if (u.hostname === 'api.github.com') return 'https://github.com';
  const path = u.pathname.replace(/\/+$/, '');
  if (path.endsWith('/api/v3')) return `${u.origin}${path.slice(0, -'/api/v3'.length)}`;
  return null;
}

function repoPath(config: GithubInvoker): string {
  return `/repos/${encodeURIComponent(config.owner)}/${encodeURIComponent(config.repo)}`;
}

function headers(config: GithubInvoker, withBody: boolean): Record<string, string> {
  return {
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
    'user-agent': 'plexus-actions',
    ...(config.token ? { authorization: `Bearer ${config.token}` } : {}),
    ...(withBody ? { 'content-type': 'application/json' } : {}),
  };
}

/** GitHub's error text: `message`, plus the `errors` list when there is one. */
function githubMessage(status: number, text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown; errors?: unknown };
    const message = typeof body.message === 'string' ? body.message : '';
    const errors = Array.isArray(body.errors)
      ? body.errors
          .map((e) =>
            typeof e === 'string' ? e : ((e as { message?: string })?.message ?? JSON.stringify(e)),
          )
          .join('; ')
      : '';
    const all = [message, errors].filter(Boolean).join(': ');
    if (all) return all;
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.trim().slice(0, 300) || `HTTP ${status}`;
}

function errorText(err: unknown, timeoutMs: number): string {
  const e = err as Error;
  if (e.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  return e.message;
}

/** Plexus status for a completed workflow run's conclusion. */
export function statusForConclusion(conclusion: string | null): Extract<RunStatus, 'SUCCESS' | 'FAILURE'> {
  return conclusion === 'success' || conclusion === 'neutral' ? 'SUCCESS' : 'FAILURE';
}

/**
 * Creates the GitHub invoker. The status copies it runs are its only state: which workflow run
 * each Plexus run follows (so `cancel` can cancel it too, and two dispatches never claim one run).
 * @example registry.github = createGithubInvoker();
 */
export function createGithubInvoker(options: GithubInvokerOptions = {}): Invoker<GithubInvoker> {
  const pollInitialMs = options.pollInitialMs ?? 3_000;
  const pollMaxMs = options.pollMaxMs ?? 60_000;
  const findTimeoutMs = options.findTimeoutMs ?? 120_000;
  const trackTimeoutMs = options.trackTimeoutMs ?? 24 * 3_600_000;
  const maxPollFailures = options.maxPollFailures ?? 10;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  /** Plexus run id → the workflow run it follows (once found). */
  const following = new Map<string, { workflowRunId: number | null }>();
  /** Workflow runs some Plexus run already follows. */
  const claimed = new Set<number>();

  async function call(
    ctx: InvocationContext & { config: GithubInvoker },
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; text: string }> {
    const timeout = AbortSignal.timeout(requestTimeoutMs);
    const res = await ctx.egress.fetch(`${apiBase(ctx.config)}${path}`, {
      method,
      headers: headers(ctx.config, body !== undefined),
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.any([ctx.signal, timeout]),
    });
    return { status: res.status, text: await res.text() };
  }

  /** Looks for the workflow run a dispatch at `dispatchedAt` started. */
  async function findRun(
    ctx: InvocationContext & { config: GithubInvoker },
    dispatchedAt: number,
  ): Promise<WorkflowRun | null> {
    const { config, payload } = ctx;
    const since = new Date(dispatchedAt - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const query = new URLSearchParams({ event: 'workflow_dispatch', created: `>=${since}`, per_page: '50' });
    const path = `${repoPath(config)}/actions/workflows/${encodeURIComponent(config.workflow)}/runs?${query}`;
    const deadline = Date.now() + findTimeoutMs;
    let wait = pollInitialMs;
    while (!ctx.signal.aborted) {
      try {
        const res = await call(ctx, 'GET', path);
        if (res.status === 200) {
          const runs = (
            (JSON.parse(res.text) as { workflow_runs?: WorkflowRun[] }).workflow_runs ?? []
          ).filter((r) => !claimed.has(r.id));
          const byId = runs.find((r) => `${r.display_title ?? ''} ${r.name ?? ''}`.includes(payload.run.id));
          // Earliest after the dispatch (less a little clock skew): a later dispatch's run is newer.
          const after = runs
            .filter((r) => Date.parse(r.created_at) >= dispatchedAt - 5_000)
            .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at) || a.id - b.id)[0];
          const found = byId ?? after;
          if (found) return found;
        } else if (res.status < 500 && res.status !== 429) {
          throw new Error(
            `GitHub answered ${res.status} listing workflow runs: ${githubMessage(res.status, res.text)}`,
          );
        }
      } catch (err) {
        if ((err as Error).message.startsWith('GitHub answered')) throw err;
        ctx.logger.warn('github: listing workflow runs failed', { error: errorText(err, requestTimeoutMs) });
      }
      if (Date.now() + wait > deadline) return null;
      await pause(wait, ctx.signal);
      wait = Math.min(wait * 2, pollMaxMs);
    }
    return null;
  }

  /** Follows a workflow run to its end and copies it to the Plexus run. Never throws. */
  async function track(
    ctx: InvocationContext & { config: GithubInvoker },
    dispatchedAt: number,
    known: { id: number; htmlUrl: string } | null,
  ): Promise<void> {
    const { report, payload, config } = ctx;
    const runId = payload.run.id;
    const entry = { workflowRunId: known?.id ?? null };
    following.set(runId, entry);
    if (known) claimed.add(known.id);
    try {
      let run: WorkflowRun | null = null;
      if (!known) {
        run = await findRun(ctx, dispatchedAt);
        if (ctx.signal.aborted) return;
        if (!run) {
          await report.log(
            `No run of workflow ${config.workflow} started within ${Math.round(findTimeoutMs / 1000)} s of the dispatch; give the workflow a run-name containing inputs.plexus_run_id`,
            'error',
          );
          await report.update({
            status: 'FAILURE',
            summary: 'The dispatched workflow run could not be found, so its status cannot be reported',
          });
          return;
        }
        entry.workflowRunId = run.id;
        claimed.add(run.id);
        await report.update({
          link: run.html_url,
          statusLabel: `Workflow run #${run.run_number ?? run.id}: ${run.status}`,
        });
        await report.log(`Following workflow run #${run.run_number ?? run.id}: ${run.html_url}`);
      }
      const id = entry.workflowRunId as number;
      const deadline = Date.now() + trackTimeoutMs;
      let wait = pollInitialMs;
      let failures = 0;
      let lastStatus = run?.status ?? '';
      while (!ctx.signal.aborted && Date.now() < deadline) {
        if (run?.status === 'completed') {
          const status = statusForConclusion(run.conclusion);
          const label = `Workflow run #${run.run_number ?? run.id} ${run.conclusion ?? 'completed'}`;
          await report.log(`${label}: ${run.html_url}`, status === 'SUCCESS' ? 'info' : 'error');
          await report.update({
            status,
            statusLabel: label,
            link: run.html_url,
            summary: `GitHub workflow run concluded "${run.conclusion ?? 'unknown'}"`,
          });
          return;
        }
        if (run) {
          await pause(wait, ctx.signal);
          wait = Math.min(wait * 2, pollMaxMs);
          if (ctx.signal.aborted) return;
        }
        try {
          const res = await call(ctx, 'GET', `${repoPath(config)}/actions/runs/${id}`);
          if (res.status === 200) {
            failures = 0;
            run = JSON.parse(res.text) as WorkflowRun;
            if (run.status !== lastStatus && run.status !== 'completed') {
              lastStatus = run.status;
              await report.update({
                statusLabel: `Workflow run #${run.run_number ?? run.id}: ${run.status}`,
                link: run.html_url,
              });
            }
            continue;
          }
          if (res.status < 500 && res.status !== 429) {
            const message = githubMessage(res.status, res.text);
            await report.log(`GitHub answered ${res.status} reading workflow run ${id}: ${message}`, 'error');
            await report.update({
              status: 'FAILURE',
              summary: `Could not read the workflow run: ${message}`,
            });
            return;
          }
          failures++;
        } catch (err) {
          if (ctx.signal.aborted) return;
          failures++;
          ctx.logger.warn('github: reading the workflow run failed', {
            run: runId,
            error: errorText(err, requestTimeoutMs),
          });
        }
        if (failures >= maxPollFailures) {
          await report.log(`Gave up following workflow run ${id} after ${failures} failed reads`, 'error');
          await report.update({
            status: 'FAILURE',
            summary: 'GitHub could not be read to follow the workflow run',
          });
          return;
        }
        if (!run) {
          await pause(wait, ctx.signal);
          wait = Math.min(wait * 2, pollMaxMs);
        }
      }
    } catch (err) {
      // The run ended meanwhile (its reporter refuses) or the store failed: nothing more to copy.
      ctx.logger.warn('github: status copy stopped', { run: runId, error: (err as Error).message });
    } finally {
      const forget = () => {
        if (following.get(runId) === entry) following.delete(runId);
        if (entry.workflowRunId !== null) claimed.delete(entry.workflowRunId);
      };
      // A cancelled run's `cancel` comes after its signal stopped this copy: keep the id a while.
      if (ctx.signal.aborted) setTimeout(forget, 60_000).unref();
      else forget();
    }
  }

  return {
    type: 'github',
    secretFields: ['token'],

    validate(config) {
      const problems = unknownKeys(
        config,
        ['type', 'baseUrl', 'owner', 'repo', 'workflow', 'ref', 'inputs', 'token', 'reportStatus'],
        'a github invoker',
      );
      for (const field of ['owner', 'repo', 'workflow', 'ref'] as const) {
        const v = config[field];
        if (typeof v !== 'string' || v.trim() === '')
          problems.push({ path: field, message: 'is required (a non-empty string)' });
      }
      const badUrl = checkBaseUrl(config.baseUrl);
      if (badUrl)
        problems.push({ path: 'baseUrl', message: `${badUrl} (e.g. https://github.example.com/api/v3)` });
      if (config.token !== undefined && (typeof config.token !== 'string' || config.token === ''))
        problems.push({ path: 'token', message: 'must be a non-empty string' });
      if (config.reportStatus !== undefined && typeof config.reportStatus !== 'boolean')
        problems.push({ path: 'reportStatus', message: 'must be true or false' });
      problems.push(...templateProblems(config.inputs, 'inputs'));
      return problems;
    },

    async invoke(ctx): Promise<InvocationResult> {
      const { config, payload, report } = ctx;
      const base = apiBase(config);
      if (!config.token)
        return {
          outcome: 'done',
          status: 'FAILURE',
          summary: 'The action has no GitHub token (invoker.token)',
        };
      let inputs: Record<string, string>;
      try {
        inputs = stringifyEngineInputs(await renderEngineInputs(config.inputs, payload));
      } catch (err) {
        return { outcome: 'done', status: 'FAILURE', summary: (err as Error).message };
      }
      inputs.plexus_run_id = payload.run.id;
      inputs.plexus_api_url = payload.run.apiUrl;
      const body: Record<string, unknown> = { ref: config.ref, inputs };
      const askDetails = knowsRunDetails(base);
      if (askDetails) body.return_run_details = true;
      const where = `${config.owner}/${config.repo}`;
      const dispatchedAt = Date.now();
      let res: { status: number; text: string };
      try {
        res = await call(
          ctx,
          'POST',
          `${repoPath(config)}/actions/workflows/${encodeURIComponent(config.workflow)}/dispatches`,
          body,
        );
      } catch (err) {
        const reason = `GitHub could not be reached (${new URL(base).origin}): ${errorText(err, requestTimeoutMs)}`;
        return { outcome: 'done', status: 'FAILURE', summary: reason };
      }
      if (res.status !== 204 && res.status !== 200) {
        const reason = `GitHub refused the dispatch of ${config.workflow} in ${where} (${res.status}): ${githubMessage(res.status, res.text)}`;
        return { outcome: 'done', status: 'FAILURE', summary: reason };
      }
      let details: { id: number; htmlUrl: string } | null = null;
      if (res.status === 200) {
        try {
          const d = JSON.parse(res.text) as { workflow_run_id?: number; html_url?: string };
          if (typeof d.workflow_run_id === 'number' && typeof d.html_url === 'string')
            details = { id: d.workflow_run_id, htmlUrl: d.html_url };
        } catch {
          // a 200 without details is still an accepted dispatch
        }
      }
      const web = webBase(base);
      const link =
        details?.htmlUrl ??
        (web
          ? `${web}/${encodeURIComponent(config.owner)}/${encodeURIComponent(config.repo)}/actions/workflows/${encodeURIComponent(config.workflow)}`
          : undefined);
      await report.log(`Dispatched workflow ${config.workflow} on ${config.ref} in ${where}`);
      if (config.reportStatus) void track(ctx, dispatchedAt, details);
      return {
        outcome: 'accepted',
        link,
        statusLabel: 'Workflow dispatched',
        continues: config.reportStatus === true,
      };
    },

    async cancel(ctx) {
      const id = following.get(ctx.payload.run.id)?.workflowRunId;
      if (!id) return;
      // Best effort, with its own deadline: the run's signal is already aborted when this is called.
      const res = await ctx.egress.fetch(
        `${apiBase(ctx.config)}${repoPath(ctx.config)}/actions/runs/${id}/cancel`,
        {
          method: 'POST',
          headers: headers(ctx.config, false),
          signal: AbortSignal.timeout(requestTimeoutMs),
        },
      );
      await res.text();
    },
  };
}

/** The GitHub invoker with default tuning, for the registry. */
export const githubInvoker: Invoker<GithubInvoker> = createGithubInvoker();
