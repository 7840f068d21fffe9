import { A, useSearchParams } from '@solidjs/router';
import { createResource, createSignal, For, Show } from 'solid-js';
import { actionsApi, allRunStatuses, type Run, statusTone } from '../../api/actions.ts';
import { parseEntityKey } from '../../api/types.ts';
import { EntityChip } from '../../components/entity-chip.tsx';
import { peek } from '../../components/peek.ts';
import { formatDate } from '../../components/property-value.tsx';
import { ErrorState, SkeletonRows } from '../../components/states.tsx';
import { useApi } from '../../session.tsx';
import { RunStatusBadge } from './run-status.tsx';
import './actions.css';

type Filter = { action?: string; status?: string; entity?: string; actor?: string };

/** Every run the caller may see, newest first, filtered by action, status, entity and actor (kept in the URL). */
export function RunsPage() {
  const api = useApi();
  const acts = actionsApi(api);
  const [params, setParams] = useSearchParams<Filter>();
  const filter = (): Filter => ({
    action: params.action || undefined,
    status: params.status || undefined,
    entity: params.entity || undefined,
    actor: params.actor || undefined,
  });
  const [more, setMore] = createSignal<{ runs: Run[]; next: string | null } | null>(null);
  const [first, { refetch }] = createResource(filter, (f) => {
    setMore(null);
    return acts.runs({ ...f, limit: 50 });
  });
  const [actions] = createResource(async () => {
    try {
      return await acts.list();
    } catch {
      return [];
    }
  });
  const rows = () => [...(peek(first)?.runs ?? []), ...(more()?.runs ?? [])];
  const next = () => (more() ? more()!.next : (peek(first)?.next ?? null));
  const [loadingMore, setLoadingMore] = createSignal(false);
  const loadMore = async () => {
    const cursor = next();
    if (!cursor) return;
    setLoadingMore(true);
    try {
      const page = await acts.runs({ ...filter(), limit: 50, cursor });
      setMore((m) => ({ runs: [...(m?.runs ?? []), ...page.runs], next: page.next }));
    } finally {
      setLoadingMore(false);
    }
  };
  let entityInput: HTMLInputElement | undefined;
  let actorInput: HTMLInputElement | undefined;

  return (
    <div class="page" data-testid="runs-page">
      <div class="page-header">
        <div class="titles">
          <h1>Runs</h1>
          <div class="subtitle">Every action run you may see, newest first.</div>
        </div>
        <A class="btn" href="/approvals">
          Approvals inbox
        </A>
      </div>
      <div class="card">
        <form
          class="toolbar"
          onSubmit={(e) => {
            e.preventDefault();
            setParams({
              entity: entityInput?.value.trim() || undefined,
              actor: actorInput?.value.trim() || undefined,
            });
          }}
        >
          <select
            class="select"
            aria-label="Action"
            value={params.action ?? ''}
            onChange={(e) => setParams({ action: e.currentTarget.value || undefined })}
            data-testid="filter-action"
          >
            <option value="">All actions</option>
            <For each={peek(actions) ?? []}>
              {(a) => (
                <option value={a.identifier} selected={a.identifier === params.action}>
                  {a.title || a.identifier}
                </option>
              )}
            </For>
          </select>
          <select
            class="select"
            aria-label="Status"
            value={params.status ?? ''}
            onChange={(e) => setParams({ status: e.currentTarget.value || undefined })}
            data-testid="filter-status"
          >
            <option value="">Any status</option>
            <For each={allRunStatuses}>
              {(s) => (
                <option value={s} selected={s === params.status}>
                  {statusTone(s).label}
                </option>
              )}
            </For>
          </select>
          <input
            ref={entityInput}
            class="input"
            aria-label="Entity"
            placeholder="Entity (blueprint:identifier)"
            value={params.entity ?? ''}
            data-testid="filter-entity"
          />
          <input
            ref={actorInput}
            class="input"
            aria-label="Actor"
            placeholder="Started by (user id)"
            value={params.actor ?? ''}
            data-testid="filter-actor"
          />
          <button type="submit" class="btn">
            Apply
          </button>
          <Show when={params.action || params.status || params.entity || params.actor}>
            <button
              type="button"
              class="btn ghost"
              onClick={() =>
                setParams({ action: undefined, status: undefined, entity: undefined, actor: undefined })
              }
            >
              Clear
            </button>
          </Show>
        </form>
        <Show when={first.error}>
          <ErrorState error={first.error} retry={refetch} />
        </Show>
        <div class="table-wrap">
          <table class="data" data-testid="runs-table">
            <thead>
              <tr>
                <th>Action</th>
                <th>Target</th>
                <th>Status</th>
                <th>Started by</th>
                <th>Started</th>
              </tr>
            </thead>
            <tbody>
              <Show when={first.loading && !peek(first)}>
                <SkeletonRows columns={5} rows={6} />
              </Show>
              <For each={rows()}>
                {(r) => (
                  <tr data-run={r.id}>
                    <td>
                      <A href={`/runs/${encodeURIComponent(r.id)}`}>
                        {peek(actions)?.find((a) => a.identifier === r.action)?.title || r.action}
                      </A>
                    </td>
                    <td>
                      {r.entity ? <EntityChip {...parseEntityKey(r.entity)} /> : <span class="faint">—</span>}
                    </td>
                    <td>
                      <RunStatusBadge status={r.status} label={r.statusLabel} />
                    </td>
                    <td>{r.createdBy}</td>
                    <td title={formatDate(r.createdAt).text}>{formatDate(r.createdAt).relative}</td>
                  </tr>
                )}
              </For>
              <Show when={peek(first) && rows().length === 0}>
                <tr>
                  <td colSpan={5} class="faint">
                    No runs match.
                  </td>
                </tr>
              </Show>
            </tbody>
          </table>
        </div>
        <Show when={next()}>
          <div class="pager">
            <button type="button" class="btn" disabled={loadingMore()} onClick={() => void loadMore()}>
              {loadingMore() ? 'Loading…' : 'Load more'}
            </button>
          </div>
        </Show>
      </div>
    </div>
  );
}
