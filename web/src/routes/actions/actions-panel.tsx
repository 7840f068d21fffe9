import { A } from '@solidjs/router';
import { createResource, createSignal, For, lazy, Show, Suspense } from 'solid-js';
import { type ActionDefinition, actionsApi } from '../../api/actions.ts';
import { entityKey, type StoredEntity } from '../../api/types.ts';
import { Icon } from '../../components/icons.tsx';
import { peek } from '../../components/peek.ts';
import { formatDate } from '../../components/property-value.tsx';
import { ErrorState } from '../../components/states.tsx';
import { useApi } from '../../session.tsx';
import { RunStatusBadge } from './run-status.tsx';
import './actions.css';

// The form (and the JSONata its rules run) loads when a form is first opened.
const RunActionDialog = lazy(() =>
  import('./run-action-dialog.tsx').then((m) => ({ default: m.RunActionDialog })),
);

const operationIcon: Record<string, string> = { CREATE: 'plus', 'DAY-2': 'radius', DELETE: 'trash' };

/**
 * The entity page's actions: those whose condition matches this entity and that the caller may
 * run (the server decides: `GET /actions?entity=`), each opening its form; and the entity's
 * latest runs.
 */
export function ActionsPanel(props: { entity: StoredEntity }) {
  const api = useApi();
  const key = () => entityKey(props.entity.blueprint, props.entity.identifier);
  const [actions, { refetch }] = createResource(key, (entity) => actionsApi(api).list({ entity }));
  const [runs] = createResource(
    () => ({ entity: key(), v: props.entity.meta.updatedAt }),
    async ({ entity }) => {
      try {
        return (await actionsApi(api).runs({ entity, limit: 5 })).runs;
      } catch {
        return [];
      }
    },
  );
  const [open, setOpen] = createSignal<ActionDefinition | null>(null);
  const list = () => (peek(actions) ?? []).filter((a) => a.operation !== 'CREATE');
  return (
    <div class="card" data-testid="entity-actions">
      <div class="card-header">
        <h3>Actions</h3>
        <Show when={actions.loading}>
          <div class="spinner" />
        </Show>
        <A class="btn ghost small" href={`/runs?entity=${encodeURIComponent(key())}`}>
          All runs
        </A>
      </div>
      <Show when={actions.error}>
        <ErrorState error={actions.error} retry={refetch} compact />
      </Show>
      <Show when={peek(actions) && list().length === 0}>
        <div class="card-body faint small">No action applies to this entity, or none you may run.</div>
      </Show>
      <div class="action-list">
        <For each={list()}>
          {(a) => (
            <button
              type="button"
              class="action-item"
              onClick={() => setOpen(a)}
              data-action={a.identifier}
              data-testid="action-button"
            >
              <span class="action-icon">
                <Icon name={a.icon ?? operationIcon[a.operation] ?? 'cube'} size={15} />
              </span>
              <span class="truncate">
                <div class="action-title">{a.title || a.identifier}</div>
                <Show when={a.description}>
                  <div class="action-sub truncate">{a.description}</div>
                </Show>
              </span>
              <span class="row">
                <Show when={a.approval?.required}>
                  <span class="badge warning" title="Needs approval">
                    approval
                  </span>
                </Show>
                <span class={`badge ${a.operation === 'DELETE' ? 'danger' : ''}`}>{a.operation}</span>
              </span>
            </button>
          )}
        </For>
      </div>
      <Show when={(peek(runs) ?? []).length > 0}>
        <div class="recent-runs">
          <h4>Recent runs</h4>
          <For each={peek(runs)}>
            {(r) => (
              <div class="run-line">
                <A href={`/runs/${encodeURIComponent(r.id)}`} class="grow truncate">
                  {peek(actions)?.find((a) => a.identifier === r.action)?.title || r.action}
                </A>
                <RunStatusBadge status={r.status} />
                <span class="faint small">{formatDate(r.createdAt).relative}</span>
              </div>
            )}
          </For>
        </div>
      </Show>
      <Show when={open()}>
        <Suspense>
          <RunActionDialog action={open()!} entity={props.entity} onClose={() => setOpen(null)} />
        </Suspense>
      </Show>
    </div>
  );
}

/**
 * The CREATE actions of a blueprint, for its catalog page: one button, or a menu when there
 * are several. Renders nothing when the caller may run none.
 */
export function CreateActions(props: { blueprint: string }) {
  const api = useApi();
  const [actions] = createResource(
    () => props.blueprint,
    async (blueprint) => {
      try {
        return await actionsApi(api).list({ blueprint, operation: 'CREATE' });
      } catch {
        return [];
      }
    },
  );
  const [open, setOpen] = createSignal<ActionDefinition | null>(null);
  const list = () => (peek(actions) ?? []).filter((a) => a.operation === 'CREATE');
  return (
    <>
      <For each={list()}>
        {(a) => (
          <button
            type="button"
            class="btn"
            onClick={() => setOpen(a)}
            data-action={a.identifier}
            data-testid="create-action"
            title={a.description ?? a.title}
          >
            <Icon name={a.icon ?? 'plus'} /> {a.title || a.identifier}
          </button>
        )}
      </For>
      <Show when={open()}>
        <Suspense>
          <RunActionDialog action={open()!} entity={null} onClose={() => setOpen(null)} />
        </Suspense>
      </Show>
    </>
  );
}
