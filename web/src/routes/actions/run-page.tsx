import { A, useNavigate } from '@solidjs/router';
import {
  createEffect,
  createMemo,
  createResource,
  createSignal,
  For,
  on,
  onCleanup,
  Show,
  untrack,
} from 'solid-js';
import { actionsApi, isTerminal, type Run, type RunLogLine } from '../../api/actions.ts';
import { seg } from '../../api/client.ts';
import { useRouteParams } from '../../api/route-params.ts';
import { followStream } from '../../api/sse.ts';
import { useConfirm } from '../../components/confirm-dialog.tsx';
import { Icon } from '../../components/icons.tsx';
import { peek } from '../../components/peek.ts';
import { formatDate } from '../../components/property-value.tsx';
import { ErrorState, Loading } from '../../components/states.tsx';
import { useToast } from '../../components/toasts.tsx';
import { useApi, useSession } from '../../session.tsx';
import { ApprovalBox } from './approvals-page.tsx';
import { EntityRef } from './entity-ref.tsx';
import { applyStatus, mergeLogs, toRunEvent } from './run-events.ts';
import { RunStatusBadge } from './run-status.tsx';
import './actions.css';

const masked = '********';

/**
 * One run: status, the executor's label, link and summary, affected entities, inputs (secrets
 * masked by the server), and its log, which arrives live over `GET /runs/{id}/events` (read
 * with fetch: the UI's bearer token cannot ride on an EventSource) and resumes with
 * Last-Event-ID after a drop. Cancel while it runs, re-run with the same inputs, and approve or
 * decline while it waits.
 */
export function RunPage() {
  const params = useRouteParams<{ id: string }>();
  const session = useSession();
  const api = useApi();
  const acts = actionsApi(api);
  const toast = useToast();
  const ask = useConfirm();
  const navigate = useNavigate();
  const [run, setRun] = createSignal<Run | null>(null);
  const [logs, setLogs] = createSignal<RunLogLine[]>([]);
  const [live, setLive] = createSignal<'connecting' | 'live' | 'reconnecting' | 'closed'>('connecting');
  const [busy, setBusy] = createSignal(false);
  let logBox: HTMLDivElement | undefined;

  const [loaded, { refetch }] = createResource(
    () => params.id,
    async (id) => {
      const r = await acts.getRun(id);
      // The run carries the first page of its log; read the rest before following live.
      let lines = r.logs ?? [];
      let after = lines.length > 0 ? lines[lines.length - 1].seq : 0;
      for (let pages = 0; pages < 200; pages++) {
        let page: { logs: RunLogLine[]; next: number | null };
        try {
          page = await acts.logs(id, after);
        } catch {
          break;
        }
        lines = mergeLogs(lines, page.logs);
        if (page.logs.length === 0 || page.next === null) break;
        after = page.next;
      }
      return { run: r, logs: lines };
    },
  );
  const [action] = createResource(
    () => run()?.action,
    async (id) => {
      try {
        return await acts.get(id);
      } catch {
        return null;
      }
    },
  );

  createEffect(
    on(
      () => peek(loaded),
      (l) => {
        if (!l) return;
        setRun(l.run);
        setLogs((cur) => mergeLogs(cur, l.logs));
      },
    ),
  );

  // Follow the stream while the run can still change; a status event refreshes the whole run
  // (affected entities, end time), and a terminal one ends the stream.
  const refresh = async (id: string) => {
    try {
      const fresh = await acts.getRun(id);
      setRun((r) =>
        r && r.id === fresh.id && isTerminal(r.status) && !isTerminal(fresh.status) ? r : fresh,
      );
      setLogs((l) => mergeLogs(l, fresh.logs ?? []));
    } catch {}
  };
  const following = createMemo(() => {
    const r = run();
    return r && !isTerminal(r.status) ? r.id : null;
  });
  createEffect(
    on(following, (id) => {
      if (!id) return;
      const stop = new AbortController();
      onCleanup(() => stop.abort());
      const last = untrack(logs).at(-1)?.seq ?? 0;
      void followStream({
        url: `/api/v1/runs/${seg(id)}/events`,
        token: session.token,
        signal: stop.signal,
        lastEventId: String(last),
        onState: (state) => {
          setLive(state);
          // A status change between the first read and the stream opening: read the run again.
          if (state === 'live') void refresh(id);
        },
        done: () => following() !== id,
        onMessage: (m) => {
          const e = toRunEvent(m, id);
          if (!e) return;
          if (e.type === 'log') {
            setLogs((l) => mergeLogs(l, [e.line]));
            return;
          }
          setRun((r) => (r ? applyStatus(r, e) : r));
          void refresh(id);
        },
      });
    }),
  );
  createEffect(
    on(
      () => run() && isTerminal(run()!.status),
      (t) => t && setLive('closed'),
    ),
  );

  // Keep the newest line in view unless the reader scrolled up.
  createEffect(
    on(logs, () => {
      const box = logBox;
      if (!box) return;
      const atEnd = box.scrollHeight - box.scrollTop - box.clientHeight < 60;
      if (atEnd) queueMicrotask(() => box.scrollTo({ top: box.scrollHeight }));
    }),
  );

  const act = async (what: 'cancel' | 'rerun') => {
    const r = run();
    if (!r) return;
    if (
      what === 'cancel' &&
      !(await ask({
        title: 'Cancel this run?',
        message: 'The executor is told to stop.',
        confirmLabel: 'Cancel run',
        cancelLabel: 'Keep running',
        danger: true,
      }))
    )
      return;
    setBusy(true);
    try {
      if (what === 'cancel') {
        setRun(await acts.cancel(r.id));
        toast('Run cancelled', 'success');
      } else {
        const next = await acts.rerun(r.id);
        toast('Re-run started', 'success');
        navigate(`/runs/${encodeURIComponent(next.id)}`);
      }
    } catch (err) {
      toast((err as Error).message, 'error');
    } finally {
      setBusy(false);
    }
  };

  const secretInputs = () =>
    new Set(
      Object.entries(peek(action)?.inputs?.properties ?? {})
        .filter(([, i]) => i.format === 'secret')
        .map(([k]) => k),
    );
  const inputTitle = (k: string) => peek(action)?.inputs?.properties?.[k]?.title ?? k;
  const show = (k: string, v: unknown) =>
    secretInputs().has(k) || v === masked ? masked : typeof v === 'string' ? v : JSON.stringify(v);

  return (
    <div class="page" data-testid="run-page">
      <div class="breadcrumbs">
        <A href="/runs">Runs</A> <span>/</span> <span class="mono">{params.id}</span>
      </div>
      <Show when={loaded.error}>
        <ErrorState error={loaded.error} retry={refetch} />
      </Show>
      <Show when={!loaded.error && !run()}>
        <Loading label="Loading run…" />
      </Show>
      <Show when={run()}>
        {(r) => (
          <>
            <div class="page-header">
              <div class="titles">
                <div class="row" style={{ gap: 'var(--space-2)', 'margin-bottom': '4px' }}>
                  <RunStatusBadge status={r().status} label={r().statusLabel} />
                  <span
                    class="faint small row"
                    title={`Live updates: ${live()}`}
                    data-testid="live-state"
                    data-state={live()}
                  >
                    <span class={`live-dot ${live()}`} />{' '}
                    {live() === 'live' ? 'live' : live() === 'reconnecting' ? 'reconnecting…' : ''}
                  </span>
                </div>
                <h1 data-testid="run-title">{peek(action)?.title ?? r().action}</h1>
                <div class="subtitle small">
                  <span class="mono">{r().id}</span> · started by {r().createdBy}{' '}
                  {formatDate(r().createdAt).relative}
                  <Show when={r().rerunOf}>
                    {' '}
                    · re-run of <A href={`/runs/${encodeURIComponent(r().rerunOf!)}`}>{r().rerunOf}</A>
                  </Show>
                </div>
              </div>
              <Show when={r().link}>
                <a
                  class="btn"
                  href={r().link!}
                  target="_blank"
                  rel="noopener noreferrer"
                  data-testid="run-link"
                >
                  <Icon name="external" /> Open in engine
                </a>
              </Show>
              <Show when={!isTerminal(r().status)}>
                <button
                  type="button"
                  class="btn danger"
                  disabled={busy()}
                  onClick={() => void act('cancel')}
                  data-testid="cancel-run"
                >
                  Cancel
                </button>
              </Show>
              <button
                type="button"
                class="btn"
                disabled={busy()}
                onClick={() => void act('rerun')}
                data-testid="rerun"
              >
                Re-run
              </button>
            </div>

            <Show when={r().status === 'WAITING_FOR_APPROVAL'}>
              <ApprovalBox run={r()} onDecided={(fresh) => setRun(fresh)} />
            </Show>

            <div class="grid cols-2">
              <div class="stack">
                <div class="card">
                  <div class="card-header">
                    <h3>Log</h3>
                    <span class="faint small" data-testid="log-count">
                      {logs().length} {logs().length === 1 ? 'line' : 'lines'}
                    </span>
                  </div>
                  <div class="log-view" ref={logBox} data-testid="run-logs" role="log" aria-live="polite">
                    <For each={logs()} fallback={<span class="faint">No log lines yet.</span>}>
                      {(l, i) => (
                        <div class={`log-line ${l.level ?? ''}`} data-seq={l.seq}>
                          <span class="log-seq">{i() + 1}</span>
                          <span class="log-at">{l.at ? new Date(l.at).toLocaleTimeString() : ''}</span>
                          <span class="log-msg">{l.message}</span>
                        </div>
                      )}
                    </For>
                  </div>
                </div>
              </div>
              <div class="stack">
                <div class="card">
                  <div class="card-header">
                    <h3>Details</h3>
                  </div>
                  <dl class="meta-list card-body" data-testid="run-details">
                    <dt>Action</dt>
                    <dd>
                      <A href={`/actions/${encodeURIComponent(r().action)}`}>{r().action}</A>
                    </dd>
                    <dt>Target</dt>
                    <dd>
                      {r().entity ? (
                        <EntityRef entityKey={r().entity!} />
                      ) : (
                        <span class="faint">none (creates)</span>
                      )}
                    </dd>
                    <Show when={r().summary}>
                      <dt>Summary</dt>
                      <dd data-testid="run-summary">{r().summary}</dd>
                    </Show>
                    <dt>Updated</dt>
                    <dd>{formatDate(r().updatedAt).text}</dd>
                    <Show when={r().endedAt}>
                      <dt>Ended</dt>
                      <dd>{formatDate(r().endedAt!).text}</dd>
                    </Show>
                    <dt>Affected</dt>
                    <dd class="rel-list" data-testid="affected-entities">
                      <For each={r().affectedEntities ?? []} fallback={<span class="faint">none yet</span>}>
                        {(k) => <EntityRef entityKey={k} />}
                      </For>
                    </dd>
                  </dl>
                </div>
                <div class="card">
                  <div class="card-header">
                    <h3>Inputs</h3>
                  </div>
                  <Show
                    when={Object.keys(r().inputs ?? {}).length > 0}
                    fallback={<div class="card-body faint small">No inputs.</div>}
                  >
                    <table class="inputs-table" data-testid="run-inputs">
                      <tbody>
                        <For each={Object.entries(r().inputs ?? {})}>
                          {([k, v]) => (
                            <tr data-input={k}>
                              <th>{inputTitle(k)}</th>
                              <td class="mono">{show(k, v)}</td>
                            </tr>
                          )}
                        </For>
                      </tbody>
                    </table>
                  </Show>
                </div>
                <Show when={(r().approvals ?? []).length > 0}>
                  <div class="card">
                    <div class="card-header">
                      <h3>Approvals</h3>
                    </div>
                    <div class="card-body stack">
                      <For each={r().approvals}>
                        {(a) => (
                          <div class="run-line">
                            <span class={`badge ${a.decision === 'approve' ? 'success' : 'danger'}`}>
                              {a.decision === 'approve' ? 'approved' : 'declined'}
                            </span>
                            <span>{a.by}</span>
                            <span class="grow muted">{a.reason ?? ''}</span>
                            <span class="faint small">{formatDate(a.at).relative}</span>
                          </div>
                        )}
                      </For>
                    </div>
                  </div>
                </Show>
              </div>
            </div>
          </>
        )}
      </Show>
    </div>
  );
}
