import { A } from '@solidjs/router';
import { createResource, createSignal, For, Show } from 'solid-js';
import { actionsApi, type Run } from '../../api/actions.ts';
import { peek } from '../../components/peek.ts';
import { formatDate } from '../../components/property-value.tsx';
import { Empty, ErrorState, Loading } from '../../components/states.tsx';
import { useToast } from '../../components/toasts.tsx';
import { useApi } from '../../session.tsx';
import { EntityRef } from './entity-ref.tsx';
import { RunStatusBadge } from './run-status.tsx';
import './actions.css';

/** Approve or decline a waiting run, with an optional reason (required to decline). */
export function ApprovalBox(props: { run: Run; onDecided: (run: Run) => void; compact?: boolean }) {
  const api = useApi();
  const toast = useToast();
  const [reason, setReason] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  const decide = async (decision: 'approve' | 'decline') => {
    if (decision === 'decline' && !reason().trim()) {
      setError('Say why you decline: the requester sees the reason.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const after = await actionsApi(api).approve(props.run.id, decision, reason().trim() || undefined);
      toast(decision === 'approve' ? 'Approved' : 'Declined', 'success');
      props.onDecided(after);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class={props.compact ? 'approval-box' : 'alert warning approval-box'} data-testid="approval-box">
      <div class="grow stack">
        <Show when={!props.compact}>
          <strong>This run waits for approval.</strong>
        </Show>
        <div class="approval-actions">
          <div class="field grow">
            <label for={`reason-${props.run.id}`}>Reason</label>
            <input
              id={`reason-${props.run.id}`}
              class="input"
              value={reason()}
              onInput={(e) => setReason(e.currentTarget.value)}
              placeholder="Optional for approval, required to decline"
              data-testid="approval-reason"
            />
          </div>
          <button
            type="button"
            class="btn primary"
            disabled={busy()}
            onClick={() => void decide('approve')}
            data-testid="approve"
          >
            Approve
          </button>
          <button
            type="button"
            class="btn danger"
            disabled={busy()}
            onClick={() => void decide('decline')}
            data-testid="decline"
          >
            Decline
          </button>
        </div>
        <Show when={error()}>
          <span class="field-error" role="alert">
            {error()}
          </span>
        </Show>
      </div>
    </div>
  );
}

/** Runs waiting for the caller's approval (`GET /runs?approver=me&status=WAITING_FOR_APPROVAL`). */
export function ApprovalsPage() {
  const api = useApi();
  const [runs, { refetch, mutate }] = createResource(async () => {
    const all: Run[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10; i++) {
      const page = await actionsApi(api).runs({
        approver: 'me',
        status: 'WAITING_FOR_APPROVAL',
        limit: 50,
        cursor,
      });
      all.push(...page.runs);
      cursor = page.next;
      if (!cursor) break;
    }
    return all;
  });
  const [actions] = createResource(async () => {
    try {
      return await actionsApi(api).list();
    } catch {
      return [];
    }
  });
  const titleOf = (id: string) => peek(actions)?.find((a) => a.identifier === id)?.title || id;
  const [decided, setDecided] = createSignal<Run[]>([]);
  return (
    <div class="page" data-testid="approvals-page">
      <div class="page-header">
        <div class="titles">
          <h1>Approvals</h1>
          <div class="subtitle">
            Runs that wait for your decision. Approving starts them; declining ends them.
          </div>
        </div>
        <button type="button" class="btn" onClick={() => void refetch()}>
          Refresh
        </button>
      </div>
      <Show when={runs.error}>
        <ErrorState error={runs.error} retry={refetch} />
      </Show>
      <Show when={runs.loading && !peek(runs)}>
        <Loading label="Loading approvals…" />
      </Show>
      <Show when={peek(runs)?.length === 0 && decided().length === 0}>
        <Empty title="Nothing to approve">No run is waiting for your approval.</Empty>
      </Show>
      <div class="stack">
        <For each={peek(runs) ?? []}>
          {(r) => (
            <div class="card approval-card" data-testid="approval-card" data-run={r.id}>
              <div class="card-header">
                <h3 class="grow">
                  <A href={`/runs/${encodeURIComponent(r.id)}`}>{titleOf(r.action)}</A>
                </h3>
                <span class="faint small">
                  requested by <strong>{r.createdBy}</strong> {formatDate(r.createdAt).relative}
                </span>
              </div>
              <div class="card-body">
                <Show when={r.entity}>
                  <div class="row">
                    <span class="faint small">On</span> <EntityRef entityKey={r.entity!} />
                  </div>
                </Show>
                <Show when={Object.keys(r.inputs ?? {}).length > 0}>
                  <table class="inputs-table">
                    <tbody>
                      <For each={Object.entries(r.inputs)}>
                        {([k, v]) => (
                          <tr>
                            <th>{k}</th>
                            <td class="mono">{typeof v === 'string' ? v : JSON.stringify(v)}</td>
                          </tr>
                        )}
                      </For>
                    </tbody>
                  </table>
                </Show>
                <ApprovalBox
                  run={r}
                  compact
                  onDecided={(after) => {
                    setDecided((d) => [after, ...d]);
                    mutate((list) => (list ?? []).filter((x) => x.id !== r.id));
                  }}
                />
              </div>
            </div>
          )}
        </For>
      </div>
      <Show when={decided().length > 0}>
        <h3 class="section-title">Decided just now</h3>
        <div class="card">
          <For each={decided()}>
            {(r) => (
              <div class="run-line card-body" data-testid="decided-run">
                <A href={`/runs/${encodeURIComponent(r.id)}`} class="grow">
                  {titleOf(r.action)}
                </A>
                <RunStatusBadge status={r.status} label={r.statusLabel} />
              </div>
            )}
          </For>
        </div>
      </Show>
    </div>
  );
}
