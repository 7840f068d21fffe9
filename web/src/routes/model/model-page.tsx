import { A, useNavigate } from '@solidjs/router';
import { createEffect, createMemo, createSignal, For, Index, on, Show } from 'solid-js';
import { ApiError, withSchemaRetry } from '../../api/client.ts';
import { targetsOf } from '../../api/names.ts';
import { useRouteParams } from '../../api/route-params.ts';
import type { Blueprint } from '../../api/types.ts';
import { useConfirm } from '../../components/confirm-dialog.tsx';
import { KindDot } from '../../components/entity-chip.tsx';
import { Icon } from '../../components/icons.tsx';
import { kindLabel } from '../../components/kind-label.ts';
import { count } from '../../components/plural.ts';
import { Empty, ErrorState, Loading } from '../../components/states.tsx';
import { useToast } from '../../components/toasts.tsx';
import { createGraphView } from '../../graph/create-graph-view.ts';
import { useModel } from '../../model.tsx';
import { useApi } from '../../session.tsx';
import { schemaProbe } from './schema-probe.ts';
import {
  type BlueprintDraft,
  emptyDraft,
  fromDraft,
  itemTypes,
  newProperty,
  newRelation,
  type PlacedErrors,
  placeErrors,
  propertyTypes,
  stringFormats,
  toDraft,
} from './blueprint-draft.ts';

/** The blueprints as a graph: kinds are nodes, relations are edges; clicking a kind opens its form. */
function ModelGraph(props: { blueprints: Blueprint[]; selected?: string }) {
  const navigate = useNavigate();
  const view = createGraphView((g) => g.onNodeTap((id) => navigate(`/model/${id}`)));
  createEffect(
    on([() => props.blueprints, () => view.graph()], ([list, g]) => {
      if (!g) return;
      const ids = new Set(list.map((b) => b.identifier));
      const nodes = list.map((b) => ({
        id: b.identifier,
        blueprint: b.identifier,
        identifier: b.identifier,
        label: b.title || b.identifier,
      }));
      const edges = list.flatMap((b) =>
        Object.entries(b.relations ?? {}).flatMap(([name, rel]) =>
          targetsOf(rel)
            .filter((t) => ids.has(t))
            .map((t) => ({ source: b.identifier, target: t, relation: name })),
        ),
      );
      g.setElements(nodes, edges);
      void view.layout(nodes.length > 2 ? 'fcose' : 'grid', { animate: false });
    }),
  );
  createEffect(() => view.graph()?.select(props.selected ?? null));
  return (
    <div
      class="graph-canvas model-graph"
      ref={view.ref}
      data-testid="model-graph"
      style={{ 'border-radius': '0 0 var(--radius-lg) var(--radius-lg)' }}
    />
  );
}

/** The data-model editor: the model drawn as a graph beside a form for one blueprint. */
export function ModelPage() {
  const params = useRouteParams<{ blueprint?: string }>();
  const model = useModel();
  const isNew = () => params.blueprint === 'new';
  const selected = () => (params.blueprint && !isNew() ? model.get(params.blueprint) : undefined);
  const api = useApi();
  /** The GraphQL schema catching up with the last save: shown beside the form, never blocking it. */
  const [schemaNotice, setSchemaNotice] = createSignal<'updating' | 'updated' | 'late' | null>(null);
  let probeRun = 0;
  const followSchema = (bp: Pick<Blueprint, 'identifier' | 'schema'>) => {
    const run = ++probeRun;
    setSchemaNotice('updating');
    withSchemaRetry(() => api.graphql(schemaProbe(bp)), undefined, 180_000).then(
      () => run === probeRun && setSchemaNotice('updated'),
      () => run === probeRun && setSchemaNotice('late'),
    );
  };
  return (
    <div class="page" data-testid="model-page">
      <div class="page-header">
        <div class="titles">
          <h1>Data model</h1>
          <div class="subtitle">
            Blueprints are the kinds of thing in the catalog; relations are how they connect. Changes apply at
            once.
          </div>
        </div>
        <Show when={schemaNotice()}>
          {(n) => (
            <span
              class={`badge ${n() === 'updated' ? 'success' : n() === 'late' ? 'warning' : 'info'}`}
              data-testid="schema-notice"
              data-state={n()}
              role="status"
            >
              {n() === 'updating'
                ? 'GraphQL schema updating…'
                : n() === 'updated'
                  ? 'GraphQL updated'
                  : 'GraphQL is taking long to update; the REST API already has the change'}
            </span>
          )}
        </Show>
        <A href="/model/new" class="btn primary" data-testid="new-blueprint">
          <Icon name="plus" /> New blueprint
        </A>
      </div>
      <Show when={model.blueprints.error}>
        <ErrorState error={model.blueprints.error} retry={() => void model.refresh()} />
      </Show>
      <div class="model-layout">
        <div class="card">
          <div class="card-header">
            <h3>{count(model.blueprints()?.length ?? 0, 'blueprint')}</h3>
            <span class="faint small">Click a kind to edit it</span>
          </div>
          <Show when={model.blueprints()} fallback={<Loading />}>
            <ModelGraph blueprints={model.blueprints()!} selected={params.blueprint} />
          </Show>
        </div>
        <div>
          <Show
            when={isNew() || selected()}
            keyed
            fallback={
              <div class="card">
                <Show
                  when={params.blueprint && model.blueprints()}
                  fallback={
                    <Empty
                      title="Choose a blueprint"
                      action={
                        <A href="/model/new" class="btn primary">
                          New blueprint
                        </A>
                      }
                    >
                      Pick a kind in the graph to edit its properties and relations, or create a new one.
                    </Empty>
                  }
                >
                  <Empty title={`No blueprint “${params.blueprint}”`} />
                </Show>
              </div>
            }
          >
            {(bp) => (
              <BlueprintForm
                blueprint={bp === true ? undefined : (bp as Blueprint)}
                onStored={followSchema}
              />
            )}
          </Show>
          <div class="card" style={{ 'margin-top': 'var(--space-4)' }}>
            <div class="card-body flush">
              <For each={model.blueprints() ?? []}>
                {(b) => (
                  <A
                    href={`/model/${b.identifier}`}
                    class={`menu-item ${params.blueprint === b.identifier ? 'active' : ''}`}
                    style={{ 'border-radius': 0, padding: '8px 16px' }}
                  >
                    <KindDot blueprint={b.identifier} />
                    <span class="grow">{kindLabel(b, model.blueprints() ?? [])}</span>
                    <span class="faint small">
                      {count(Object.keys(b.schema.properties).length, 'property', 'properties')} ·{' '}
                      {count(Object.keys(b.relations ?? {}).length, 'relation')}
                    </span>
                  </A>
                )}
              </For>
            </div>
          </div>
        </div>
      </div>
    </div>
  );
}

function BlueprintForm(props: {
  blueprint?: Blueprint;
  /** Called once the server stored the blueprint (before GraphQL has caught up). */
  onStored?: (bp: Pick<Blueprint, 'identifier' | 'schema'>) => void;
}) {
  const api = useApi();
  const model = useModel();
  const toast = useToast();
  const ask = useConfirm();
  const navigate = useNavigate();
  const creating = () => !props.blueprint;
  const [draft, setDraft] = createSignal<BlueprintDraft>(
    props.blueprint ? toDraft(props.blueprint) : emptyDraft(),
  );
  const [errors, setErrors] = createSignal<PlacedErrors>({
    fields: {},
    properties: {},
    relations: {},
    general: [],
  });
  const [message, setMessage] = createSignal<string | null>(null);
  const [needsForce, setNeedsForce] = createSignal(false);
  const [busy, setBusy] = createSignal(false);
  const kinds = createMemo(() => (model.blueprints() ?? []).map((b) => b.identifier));

  const patch = (p: Partial<BlueprintDraft>) => setDraft((d) => ({ ...d, ...p }));
  const patchProp = (rowId: number, p: Partial<BlueprintDraft['properties'][number]>) =>
    setDraft((d) => ({
      ...d,
      properties: d.properties.map((x) => (x.rowId === rowId ? { ...x, ...p } : x)),
    }));
  const patchRel = (rowId: number, p: Partial<BlueprintDraft['relations'][number]>) =>
    setDraft((d) => ({ ...d, relations: d.relations.map((x) => (x.rowId === rowId ? { ...x, ...p } : x)) }));

  const save = async (force = false) => {
    setBusy(true);
    setMessage(null);
    setNeedsForce(false);
    setErrors({ fields: {}, properties: {}, relations: {}, general: [] });
    const body = fromDraft(draft());
    try {
      if (creating()) await api.post('/api/v1/blueprints', body);
      else await api.put(`/api/v1/blueprints/${body.identifier}${force ? '?force=true' : ''}`, body);
      // The blueprint is stored: the editor is done. GraphQL follows in the background.
      props.onStored?.(body as Pick<Blueprint, 'identifier' | 'schema'>);
      await model.refresh();
      toast(
        creating()
          ? `Created blueprint ${body.title || body.identifier}`
          : `Saved ${body.title || body.identifier}`,
        'success',
      );
      if (creating()) navigate(`/model/${body.identifier}`);
    } catch (err) {
      if (err instanceof ApiError) {
        setErrors(placeErrors(draft(), err.details));
        setMessage(err.message);
        setNeedsForce(err.status === 409 && !creating());
      } else setMessage((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    const id = props.blueprint?.identifier;
    if (!id) return;
    const yes = await ask({
      title: `Delete the blueprint “${id}”?`,
      message: 'This cannot be undone.',
      confirmLabel: 'Delete blueprint',
      danger: true,
    });
    if (!yes) return;
    try {
      await api.delete(`/api/v1/blueprints/${id}`);
    } catch (err) {
      if (
        err instanceof ApiError &&
        err.status === 409 &&
        !/target|relation/i.test(err.message) &&
        (await ask({
          title: `Delete “${id}” and its entities?`,
          message: `${err.message} Deleting the blueprint deletes them too.`,
          confirmLabel: 'Delete everything',
          danger: true,
        }))
      ) {
        try {
          await api.delete(`/api/v1/blueprints/${id}?force=true`);
        } catch (e2) {
          toast((e2 as Error).message, 'error');
          return;
        }
      } else {
        toast((err as Error).message, 'error');
        return;
      }
    }
    await model.refresh();
    toast(`Deleted blueprint ${id}`, 'success');
    navigate('/model');
  };

  const fieldError = (k: string) => errors().fields[k] ?? [];

  return (
    <form
      class="card"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
      data-testid="blueprint-form"
    >
      <div class="card-header">
        <h3>
          {creating() ? 'New blueprint' : `Edit ${props.blueprint?.title || props.blueprint?.identifier}`}
        </h3>
        <Show when={!creating()}>
          <A class="btn small" href={`/catalog/${props.blueprint!.identifier}`} data-testid="open-catalog">
            Open catalog <Icon name="chevronRight" size={12} />
          </A>
        </Show>
      </div>
      <div class="card-body stack">
        <Show when={message()}>
          <div class="alert error" role="alert" data-testid="blueprint-errors">
            <div class="alert-body">
              <strong>{message()}</strong>
              <Show when={errors().general.length > 0}>
                <ul>
                  <For each={errors().general}>{(m) => <li>{m}</li>}</For>
                </ul>
              </Show>
            </div>
            <Show when={needsForce()}>
              <button type="button" class="btn small danger" onClick={() => save(true)}>
                Apply anyway
              </button>
            </Show>
          </div>
        </Show>
        <div class="form-grid">
          <div class="field">
            <label for="bp-identifier">Identifier</label>
            <input
              id="bp-identifier"
              name="identifier"
              class={`input mono ${fieldError('identifier').length ? 'invalid' : ''}`}
              value={draft().identifier}
              disabled={!creating()}
              placeholder="service"
              onInput={(e) => patch({ identifier: e.currentTarget.value })}
            />
            <For each={fieldError('identifier')}>{(m) => <span class="field-error">{m}</span>}</For>
            <Show when={creating()}>
              <span class="field-hint">
                camelCase; becomes the GraphQL type and Neo4j label. Cannot change later.
              </span>
            </Show>
          </div>
          <div class="field">
            <label for="bp-title">Title</label>
            <input
              id="bp-title"
              name="title"
              class={`input ${fieldError('title').length ? 'invalid' : ''}`}
              value={draft().title}
              placeholder="Service"
              onInput={(e) => patch({ title: e.currentTarget.value })}
            />
            <For each={fieldError('title')}>{(m) => <span class="field-error">{m}</span>}</For>
          </div>
          <div class="field span-2">
            <label for="bp-description">Description</label>
            <input
              id="bp-description"
              class="input"
              value={draft().description}
              placeholder="What one of these is"
              onInput={(e) => patch({ description: e.currentTarget.value })}
            />
          </div>
        </div>

        <div class="section-title">
          <h4>Properties</h4>
          <button
            type="button"
            class="btn small"
            onClick={() => patch({ properties: [...draft().properties, newProperty()] })}
            data-testid="add-property"
          >
            <Icon name="plus" size={12} /> Property
          </button>
        </div>
        <Index each={draft().properties} fallback={<span class="faint small">No properties.</span>}>
          {(p, i) => (
            <div
              class={`def-row ${errors().properties[p().rowId] ? 'invalid' : ''}`}
              data-testid="property-row"
            >
              <div class="field">
                <label for={`prop-name-${i}`}>Name</label>
                <input
                  id={`prop-name-${i}`}
                  class="input mono"
                  value={p().name}
                  placeholder="tier"
                  onInput={(e) => patchProp(p().rowId, { name: e.currentTarget.value })}
                  data-testid="property-name"
                />
              </div>
              <div class="field">
                <label for={`prop-type-${i}`}>Type</label>
                <select
                  id={`prop-type-${i}`}
                  class="select"
                  value={p().type}
                  onChange={(e) => patchProp(p().rowId, { type: e.currentTarget.value as never })}
                  data-testid="property-type"
                >
                  <For each={propertyTypes}>{(t) => <option value={t}>{t}</option>}</For>
                </select>
              </div>
              <button
                type="button"
                class="btn icon ghost"
                aria-label="Remove property"
                onClick={() => patch({ properties: draft().properties.filter((x) => x.rowId !== p().rowId) })}
              >
                <Icon name="trash" />
              </button>
              <div class="field">
                <label for={`prop-title-${i}`}>Title</label>
                <input
                  id={`prop-title-${i}`}
                  class="input"
                  value={p().title}
                  placeholder="Tier"
                  onInput={(e) => patchProp(p().rowId, { title: e.currentTarget.value })}
                />
              </div>
              <Show
                when={p().type === 'string'}
                fallback={
                  <Show when={p().type === 'array'} fallback={<div />}>
                    <div class="field">
                      <label for={`prop-items-${i}`}>Items</label>
                      <select
                        id={`prop-items-${i}`}
                        class="select"
                        value={p().itemsType}
                        onChange={(e) => patchProp(p().rowId, { itemsType: e.currentTarget.value })}
                      >
                        <For each={itemTypes}>{(t) => <option value={t}>{t}</option>}</For>
                      </select>
                    </div>
                  </Show>
                }
              >
                <div class="field">
                  <label for={`prop-format-${i}`}>Format</label>
                  <select
                    id={`prop-format-${i}`}
                    class="select"
                    value={p().format}
                    onChange={(e) => patchProp(p().rowId, { format: e.currentTarget.value })}
                  >
                    <For each={stringFormats}>{(f) => <option value={f}>{f || 'plain text'}</option>}</For>
                  </select>
                </div>
              </Show>
              <label class="check" title="Every entity must have a value">
                <input
                  type="checkbox"
                  checked={p().required}
                  onChange={(e) => patchProp(p().rowId, { required: e.currentTarget.checked })}
                />{' '}
                Required
              </label>
              <Show when={p().type !== 'object'}>
                <div class="field wide">
                  <label for={`prop-enum-${i}`}>Allowed values</label>
                  <input
                    id={`prop-enum-${i}`}
                    class="input"
                    value={p().enumText}
                    placeholder="any value (or: go, ts, java)"
                    onInput={(e) => patchProp(p().rowId, { enumText: e.currentTarget.value })}
                  />
                </div>
              </Show>
              <Show when={errors().properties[p().rowId]}>
                <div class="errors">
                  <For each={errors().properties[p().rowId]}>{(m) => <div class="field-error">{m}</div>}</For>
                </div>
              </Show>
            </div>
          )}
        </Index>

        <div class="section-title">
          <h4>Relations</h4>
          <button
            type="button"
            class="btn small"
            onClick={() => patch({ relations: [...draft().relations, newRelation(kinds()[0])] })}
            data-testid="add-relation"
          >
            <Icon name="plus" size={12} /> Relation
          </button>
        </div>
        <Index
          each={draft().relations}
          fallback={<span class="faint small">No relations. Add one to connect this kind to others.</span>}
        >
          {(r, i) => (
            <div
              class={`def-row ${errors().relations[r().rowId] ? 'invalid' : ''}`}
              data-testid="relation-row"
            >
              <div class="field">
                <label for={`rel-name-${i}`}>Name</label>
                <input
                  id={`rel-name-${i}`}
                  class="input mono"
                  value={r().name}
                  placeholder="dependsOn"
                  onInput={(e) => patchRel(r().rowId, { name: e.currentTarget.value })}
                />
              </div>
              <div class="field">
                <label for={`rel-target-${i}`}>Target</label>
                <select
                  id={`rel-target-${i}`}
                  class="select"
                  multiple={r().targets.length > 1}
                  value={r().targets[0] ?? ''}
                  onChange={(e) =>
                    patchRel(r().rowId, { targets: [...e.currentTarget.selectedOptions].map((o) => o.value) })
                  }
                >
                  <For
                    each={[
                      ...new Set([
                        ...kinds(),
                        ...(draft().identifier.trim() && creating() ? [draft().identifier.trim()] : []),
                      ]),
                    ]}
                  >
                    {(k) => (
                      <option value={k} selected={r().targets.includes(k)}>
                        {model.get(k) ? kindLabel(model.get(k)!, model.blueprints() ?? []) : k}
                      </option>
                    )}
                  </For>
                </select>
              </div>
              <button
                type="button"
                class="btn icon ghost"
                aria-label="Remove relation"
                onClick={() => patch({ relations: draft().relations.filter((x) => x.rowId !== r().rowId) })}
              >
                <Icon name="trash" />
              </button>
              <div class="field">
                <label for={`rel-title-${i}`}>Title</label>
                <input
                  id={`rel-title-${i}`}
                  class="input"
                  value={r().title}
                  placeholder="Depends on"
                  onInput={(e) => patchRel(r().rowId, { title: e.currentTarget.value })}
                />
              </div>
              <div class="field">
                <label for={`rel-inverse-${i}`}>Inverse name</label>
                <input
                  id={`rel-inverse-${i}`}
                  class="input mono"
                  value={r().inverse}
                  placeholder="(generated)"
                  onInput={(e) => patchRel(r().rowId, { inverse: e.currentTarget.value })}
                />
              </div>
              <div class="field">
                <label for={`rel-role-${i}`}>Impact role</label>
                <select
                  id={`rel-role-${i}`}
                  class="input"
                  onChange={(e) => patchRel(r().rowId, { role: e.currentTarget.value })}
                >
                  <For each={['', 'dependency', 'ownership', 'membership', 'oncall']}>
                    {(role) => (
                      <option value={role} selected={r().role === role}>
                        {role || 'other'}
                      </option>
                    )}
                  </For>
                </select>
              </div>
              <div class="stack" style={{ gap: '4px' }}>
                <label class="check">
                  <input
                    type="checkbox"
                    checked={r().many}
                    onChange={(e) => patchRel(r().rowId, { many: e.currentTarget.checked })}
                  />{' '}
                  Many
                </label>
                <label class="check">
                  <input
                    type="checkbox"
                    checked={r().required}
                    onChange={(e) => patchRel(r().rowId, { required: e.currentTarget.checked })}
                  />{' '}
                  Required
                </label>
              </div>
              <Show when={errors().relations[r().rowId]}>
                <div class="errors">
                  <For each={errors().relations[r().rowId]}>{(m) => <div class="field-error">{m}</div>}</For>
                </div>
              </Show>
            </div>
          )}
        </Index>
      </div>
      <div
        class="dialog-footer"
        style={{
          'justify-content': 'space-between',
          'border-radius': '0 0 var(--radius-lg) var(--radius-lg)',
        }}
      >
        <Show when={!creating()} fallback={<span />}>
          <button type="button" class="btn danger" onClick={remove}>
            <Icon name="trash" /> Delete blueprint
          </button>
        </Show>
        <button type="submit" class="btn primary" disabled={busy()} data-testid="save-blueprint">
          {busy() ? 'Saving…' : creating() ? 'Create blueprint' : 'Save changes'}
        </button>
      </div>
    </form>
  );
}
