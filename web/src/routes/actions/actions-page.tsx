import { A, useNavigate } from '@solidjs/router';
import { createEffect, createMemo, createResource, createSignal, For, on, Show } from 'solid-js';
import { type ActionDefinition, type ActionInputs, actionsApi } from '../../api/actions.ts';
import { ApiError } from '../../api/client.ts';
import { useRouteParams } from '../../api/route-params.ts';
import { ActionForm } from '../../components/action-form.tsx';
import { useConfirm } from '../../components/confirm-dialog.tsx';
import { Icon } from '../../components/icons.tsx';
import { peek } from '../../components/peek.ts';
import { formatDate } from '../../components/property-value.tsx';
import { Empty, ErrorState, Loading } from '../../components/states.tsx';
import { useToast } from '../../components/toasts.tsx';
import { useApi } from '../../session.tsx';
import { useMe } from './run-action-dialog.tsx';
import './actions.css';

/** Every action the caller may see, with its kind, target blueprint and invoker. */
export function ActionsPage() {
  const api = useApi();
  const [actions, { refetch }] = createResource(() => actionsApi(api).list());
  return (
    <div class="page" data-testid="actions-page">
      <div class="page-header">
        <div class="titles">
          <h1>Actions</h1>
          <div class="subtitle">
            Self-service actions: what they run, on which kind of entity, with which form.
          </div>
        </div>
        <A class="btn" href="/runs">
          Runs
        </A>
        <A class="btn primary" href="/actions/new" data-testid="new-action">
          <Icon name="plus" /> New action
        </A>
      </div>
      <Show when={actions.error}>
        <ErrorState error={actions.error} retry={refetch} />
      </Show>
      <Show when={actions.loading && !peek(actions)}>
        <Loading label="Loading actions…" />
      </Show>
      <Show when={peek(actions)?.length === 0}>
        <Empty
          title="No actions yet"
          action={
            <A class="btn primary" href="/actions/new">
              Create one
            </A>
          }
        >
          Actions let people deploy, roll back or request resources from the catalog.
        </Empty>
      </Show>
      <Show when={(peek(actions)?.length ?? 0) > 0}>
        <div class="card table-wrap">
          <table class="data">
            <thead>
              <tr>
                <th>Action</th>
                <th>Operation</th>
                <th>Blueprint</th>
                <th>Invoker</th>
                <th>Approval</th>
                <th>Updated</th>
              </tr>
            </thead>
            <tbody>
              <For each={peek(actions)}>
                {(a) => (
                  <tr data-action={a.identifier}>
                    <td>
                      <A href={`/actions/${encodeURIComponent(a.identifier)}`}>{a.title || a.identifier}</A>
                      <div class="faint small mono">{a.identifier}</div>
                    </td>
                    <td>
                      <span class={`badge ${a.operation === 'DELETE' ? 'danger' : ''}`}>{a.operation}</span>
                    </td>
                    <td>{a.blueprint ? <A href={`/catalog/${a.blueprint}`}>{a.blueprint}</A> : '—'}</td>
                    <td>{a.invoker?.type}</td>
                    <td>{a.approval?.required ? (a.approval.type ?? 'ANY') : '—'}</td>
                    <td>{a.updatedAt ? formatDate(a.updatedAt).relative : ''}</td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </Show>
    </div>
  );
}

const template: Partial<ActionDefinition> = {
  identifier: 'my-action',
  title: 'My action',
  description: 'What it does, for whom.',
  blueprint: 'service',
  operation: 'DAY-2',
  inputs: {
    properties: {
      version: { type: 'string', title: 'Version', pattern: '^v\\d+' },
      environment: {
        type: 'string',
        title: 'Environment',
        enum: ['staging', 'production'],
        default: 'staging',
      },
      reason: {
        type: 'string',
        title: 'Reason',
        format: 'multi-line',
        required: { jsonata: "form.environment = 'production'" },
      },
    },
    required: ['version'],
  },
  invoker: { type: 'webhook', url: 'https://deployer.internal/hooks/plexus', secret: 'change me' },
  approval: { required: false },
};

/**
 * The action editor: the definition as JSON beside a live preview of the form it generates
 * (the dynamic rules run as you type); saving PUTs (or POSTs a new one) and shows the server's
 * field-level 422 details.
 */
export function ActionEditorPage() {
  const params = useRouteParams<{ id: string }>();
  const api = useApi();
  const toast = useToast();
  const ask = useConfirm();
  const navigate = useNavigate();
  const me = useMe();
  const isNew = () => params.id === 'new';
  const [loaded, { refetch }] = createResource(
    () => params.id,
    async (id) => (id === 'new' ? (template as ActionDefinition) : await actionsApi(api).get(id)),
  );
  const [text, setText] = createSignal('');
  const [problems, setProblems] = createSignal<string[]>([]);
  const [busy, setBusy] = createSignal(false);
  const [previewValues, setPreviewValues] = createSignal<Record<string, unknown> | null>(null);
  createEffect(
    on(
      () => peek(loaded),
      (a) => {
        if (!a) return;
        const { createdAt, updatedAt, createdBy, updatedBy, ...editable } = a;
        setText(JSON.stringify(editable, null, 2));
      },
    ),
  );
  const parsed = createMemo<{ value?: ActionDefinition; error?: string }>(() => {
    if (!text().trim()) return { error: 'empty' };
    try {
      const v = JSON.parse(text());
      if (typeof v !== 'object' || v === null || Array.isArray(v))
        return { error: 'the definition must be a JSON object' };
      return { value: v as ActionDefinition };
    } catch (err) {
      return { error: (err as Error).message };
    }
  });
  // The preview keeps the last definition that parsed, so it does not flicker while typing.
  const [previewInputs, setPreviewInputs] = createSignal<ActionInputs>({ properties: {} });
  createEffect(
    on(parsed, (p) => {
      const inputs = p.value?.inputs;
      if (inputs && typeof inputs === 'object' && typeof inputs.properties === 'object' && inputs.properties)
        setPreviewInputs(inputs);
    }),
  );

  const save = async () => {
    const p = parsed();
    if (!p.value) {
      setProblems([`The JSON does not parse: ${p.error}`]);
      return;
    }
    setBusy(true);
    setProblems([]);
    try {
      const saved = isNew()
        ? await actionsApi(api).create(p.value)
        : await actionsApi(api).replace(params.id, p.value);
      toast(`Saved ${saved.title || saved.identifier}`, 'success');
      if (isNew() || saved.identifier !== params.id)
        navigate(`/actions/${encodeURIComponent(saved.identifier)}`);
      else void refetch();
    } catch (err) {
      if (err instanceof ApiError)
        setProblems([
          err.message,
          ...err.details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)),
        ]);
      else setProblems([(err as Error).message]);
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    const yes = await ask({
      title: `Delete the action “${params.id}”?`,
      message: 'Its past runs stay.',
      confirmLabel: 'Delete action',
      danger: true,
    });
    if (!yes) return;
    try {
      await actionsApi(api).remove(params.id);
      toast('Action deleted', 'success');
      navigate('/actions');
    } catch (err) {
      toast((err as Error).message, 'error');
    }
  };

  return (
    <div class="page" data-testid="action-editor">
      <div class="breadcrumbs">
        <A href="/actions">Actions</A> <span>/</span> <span class="mono">{params.id}</span>
      </div>
      <div class="page-header">
        <div class="titles">
          <h1>{isNew() ? 'New action' : (parsed().value?.title ?? params.id)}</h1>
          <div class="subtitle">
            Edit the definition as JSON; the form on the right is what people will fill in.
          </div>
        </div>
        <Show when={!isNew()}>
          <A class="btn" href={`/runs?action=${encodeURIComponent(params.id)}`}>
            Runs
          </A>
          <button
            type="button"
            class="btn icon danger"
            onClick={() => void remove()}
            aria-label="Delete action"
            title="Delete"
          >
            <Icon name="trash" />
          </button>
        </Show>
        <button
          type="button"
          class="btn primary"
          disabled={busy()}
          onClick={() => void save()}
          data-testid="save-action"
        >
          {busy() ? 'Saving…' : isNew() ? 'Create action' : 'Save'}
        </button>
      </div>
      <Show when={loaded.error}>
        <ErrorState error={loaded.error} retry={refetch} />
      </Show>
      <Show when={problems().length > 0}>
        <div class="alert error" role="alert" data-testid="action-problems">
          <div class="alert-body">
            <strong>{problems()[0]}</strong>
            <Show when={problems().length > 1}>
              <ul>
                <For each={problems().slice(1)}>{(p) => <li>{p}</li>}</For>
              </ul>
            </Show>
          </div>
        </div>
      </Show>
      <div class="editor-layout">
        <div class="card">
          <div class="card-header">
            <h3>Definition</h3>
            <Show when={parsed().error && text().trim()}>
              <span class="badge danger" title={parsed().error}>
                invalid JSON
              </span>
            </Show>
          </div>
          <div class="card-body">
            <textarea
              class={`textarea json-editor ${parsed().error ? 'invalid' : ''}`}
              spellcheck={false}
              aria-label="Action definition (JSON)"
              value={text()}
              onInput={(e) => setText(e.currentTarget.value)}
              data-testid="action-json"
            />
            <Show when={parsed().error && text().trim()}>
              <span class="field-error">{parsed().error}</span>
            </Show>
          </div>
        </div>
        <div class="card">
          <div class="card-header">
            <h3>Form preview</h3>
            <span class="faint small">{parsed().value?.operation ?? ''}</span>
          </div>
          <div class="card-body" data-testid="form-preview">
            <Show when={peek(me) !== undefined || me.error}>
              <ActionForm
                inputs={previewInputs()}
                entity={null}
                user={peek(me) ?? null}
                formId="preview"
                onSubmit={(v) => setPreviewValues(v)}
                footer={(nav) => (
                  <div class="row" style={{ 'margin-top': 'var(--space-3)', 'justify-content': 'flex-end' }}>
                    <Show when={nav.page > 0}>
                      <button type="button" class="btn" onClick={nav.back}>
                        Back
                      </button>
                    </Show>
                    <button type="submit" class="btn">
                      {nav.last ? 'Check inputs' : 'Next'}
                    </button>
                  </div>
                )}
              />
            </Show>
            <Show when={previewValues()}>
              <div class="alert info" data-testid="preview-values">
                <div class="alert-body">
                  Valid. A run would get: <code>{JSON.stringify(previewValues())}</code>
                </div>
              </div>
            </Show>
          </div>
        </div>
      </div>
    </div>
  );
}
