import { A, useNavigate, useSearchParams } from '@solidjs/router';
import {
  createEffect,
  createMemo,
  createResource,
  createSignal,
  For,
  Match,
  on,
  onCleanup,
  Show,
  Switch,
} from 'solid-js';
import { ApiError, withSchemaRetry } from '../../api/client.ts';
import { useRouteParams } from '../../api/route-params.ts';
import type { Blueprint, SavedView } from '../../api/types.ts';
import { useConfirm } from '../../components/confirm-dialog.tsx';
import { EntityChip, entityHref } from '../../components/entity-chip.tsx';
import { EntityFormDialog } from '../../components/entity-form.tsx';
import { Icon } from '../../components/icons.tsx';
import { Dialog, Popover } from '../../components/popover.tsx';
import { PropertyValue } from '../../components/property-value.tsx';
import { Empty, ErrorState, SkeletonRows } from '../../components/states.tsx';
import { useToast } from '../../components/toasts.tsx';
import { useModel } from '../../model.tsx';
import { useApi } from '../../session.tsx';
import { CreateActions } from '../actions/actions-panel.tsx';
import { CatalogChart } from './catalog-chart.tsx';
import { ColumnPicker } from './column-picker.tsx';
import { describeFilter, FilterBuilder } from './filter-builder.tsx';
import {
  buildTableQuery,
  type ColumnDef,
  columnsOf,
  defaultDefinition,
  definitionFromSearch,
  definitionToSearch,
  filterableColumns,
  normaliseDefinition,
  pageSizes,
  type RelatedRef,
  type ViewDefinition,
} from './table-query.ts';

type Row = Record<string, unknown> & { identifier: string; title: string | null; _blueprint: string };

/** The catalog table of one blueprint: columns, sort, filters and page live in the URL; views are saved on the server. */
export function CatalogPage() {
  const params = useRouteParams<{ blueprint: string }>();
  const model = useModel();
  const bp = () => model.get(params.blueprint);
  return (
    <Switch>
      <Match when={model.blueprints.loading && !model.blueprints()}>
        <div class="page">
          <div class="skeleton" style={{ width: '240px', height: '28px' }} />
        </div>
      </Match>
      <Match when={model.blueprints() && !bp()}>
        <div class="page">
          <Empty
            title={`No blueprint “${params.blueprint}”`}
            action={
              <A href="/model/new" class="btn">
                Create it in the data model
              </A>
            }
          >
            It may have been deleted, or the link is mistyped.
          </Empty>
        </div>
      </Match>
      <Match when={bp()} keyed>
        {(b) => <CatalogTable blueprint={b} />}
      </Match>
    </Switch>
  );
}

function CatalogTable(props: { blueprint: Blueprint }) {
  const api = useApi();
  const model = useModel();
  const toast = useToast();
  const ask = useConfirm();
  const navigate = useNavigate();
  const [search, setSearch] = useSearchParams<{
    view?: string;
    cols?: string;
    sort?: string;
    filters?: string;
    q?: string;
    size?: string;
    page?: string;
  }>();
  const bp = () => props.blueprint;
  const all = () => model.blueprints() ?? [];
  const columns = createMemo(() => columnsOf(bp(), all()));
  const filterCols = createMemo(() => filterableColumns(bp(), all()));
  const [reload, setReload] = createSignal(0);
  const [schemaWait, setSchemaWait] = createSignal(false);
  const [creating, setCreating] = createSignal(false);
  const [saving, setSaving] = createSignal(false);

  const [views, { refetch: refetchViews }] = createResource(
    () => bp().identifier,
    async (id) => {
      try {
        return (await api.get<{ views: SavedView[] }>(`/api/v1/views?blueprint=${encodeURIComponent(id)}`))
          .views;
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return null;
        throw err;
      }
    },
  );
  const currentView = () => (search.view ? views()?.find((v) => v.id === search.view) : undefined);
  const base = createMemo<ViewDefinition>(() => {
    const fallback = defaultDefinition(bp(), all());
    const v = currentView();
    return v ? normaliseDefinition(v.definition, fallback) : fallback;
  });
  const def = createMemo(() => definitionFromSearch(search as Record<string, string | undefined>, base()));
  const page = () => Math.max(1, Number(search.page) || 1);
  const modified = () => Object.values(definitionToSearch(def(), base())).some((v) => v !== undefined);

  // A column added in the picker is scrolled into view: it lands at the right end, often off-screen.
  let tableWrap: HTMLDivElement | undefined;
  let seenColumns: string[] | null = null;
  createEffect(
    on(
      () => def().columns,
      (cols) => {
        const added = seenColumns ? cols.filter((c) => !seenColumns!.includes(c)) : [];
        seenColumns = cols;
        if (added.length === 0) return;
        requestAnimationFrame(() =>
          tableWrap
            ?.querySelector(`th[data-column="${CSS.escape(added[added.length - 1])}"]`)
            ?.scrollIntoView({ inline: 'nearest', block: 'nearest' }),
        );
      },
    ),
  );
  const update = (next: ViewDefinition, keepPage = false) =>
    setSearch({ ...definitionToSearch(next, base()), page: keepPage ? search.page : undefined });

  const [data] = createResource(
    () => ({ d: def(), p: page(), r: reload(), id: bp().identifier }),
    async ({ d, p }) => {
      setSchemaWait(false);
      const { query, variables } = buildTableQuery(bp(), all(), d, p);
      const res = await withSchemaRetry(
        () => api.graphql<{ rows: Row[]; total: { totalCount: number } }>(query, variables),
        () => setSchemaWait(true),
      );
      setSchemaWait(false);
      return res;
    },
  );
  const rows = () => data.latest?.rows ?? [];
  const total = () => data.latest?.total.totalCount ?? 0;
  const shown = createMemo(() =>
    def()
      .columns.map((k) => columns().find((c) => c.key === k))
      .filter((c): c is ColumnDef => !!c),
  );
  const pages = () => Math.max(1, Math.ceil(total() / def().pageSize));

  const sortBy = (field: string) => {
    const d = def();
    const direction = d.sort.field === field && d.sort.direction === 'ASC' ? 'DESC' : 'ASC';
    update({ ...d, sort: { field, direction } });
  };

  // The box keeps its own text: the URL catches up after a pause, and writing it back into the
  // box then would eat what was typed meanwhile. It follows the URL only when that changes
  // from elsewhere (Clear filters, a saved view, back/forward).
  const [qText, setQText] = createSignal(def().q ?? '');
  createEffect(
    on(
      () => def().q ?? '',
      (q) => {
        if (q !== qText().trim()) setQText(q);
      },
      { defer: true },
    ),
  );
  let qTimer: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(qTimer));
  const onQuickFilter = (text: string) => {
    setQText(text);
    clearTimeout(qTimer);
    qTimer = setTimeout(() => update({ ...def(), q: text.trim() || undefined }), 250);
  };

  const saveAs = async (name: string) => {
    try {
      const v = await api.post<SavedView>('/api/v1/views', {
        blueprint: bp().identifier,
        name,
        definition: def(),
      });
      await refetchViews();
      setSaving(false);
      setSearch({
        view: v.id,
        cols: undefined,
        sort: undefined,
        filters: undefined,
        q: undefined,
        size: undefined,
        page: undefined,
      });
      toast(`Saved view “${name}”`, 'success');
    } catch (err) {
      toast((err as Error).message, 'error');
    }
  };
  const updateView = async () => {
    const v = currentView();
    if (!v) return;
    try {
      await api.put(`/api/v1/views/${v.id}`, { definition: def() });
      await refetchViews();
      setSearch({
        cols: undefined,
        sort: undefined,
        filters: undefined,
        q: undefined,
        size: undefined,
        page: undefined,
      });
      toast(`Updated view “${v.name}”`, 'success');
    } catch (err) {
      toast((err as Error).message, 'error');
    }
  };
  const deleteView = async (v: SavedView) => {
    const yes = await ask({
      title: `Delete the view “${v.name}”?`,
      message: 'The view goes for everyone who uses it. The entities stay.',
      confirmLabel: 'Delete view',
      danger: true,
    });
    if (!yes) return;
    try {
      await api.delete(`/api/v1/views/${v.id}`);
      await refetchViews();
      if (search.view === v.id) setSearch({ view: undefined });
      toast(`Deleted view “${v.name}”`, 'success');
    } catch (err) {
      toast((err as Error).message, 'error');
    }
  };

  const cell = (row: Row, col: ColumnDef) => {
    const value = row[col.key];
    if (col.kind === 'relation' || col.kind === 'inverse') {
      const refs = (value as RelatedRef[] | undefined) ?? [];
      if (refs.length === 0) return <span class="faint">—</span>;
      return (
        <div class="cell-rel">
          <For each={refs.slice(0, 3)}>
            {(r) => <EntityChip blueprint={r._blueprint} identifier={r.identifier} title={r.title} />}
          </For>
          <Show when={refs.length > 3}>
            <A class="badge" href={entityHref(row._blueprint, row.identifier)}>
              more
            </A>
          </Show>
        </div>
      );
    }
    return <PropertyValue schema={col.schema} value={value} compact />;
  };

  return (
    <div class="page" data-testid="catalog-page">
      <div class="breadcrumbs">
        <A href="/">Catalog</A> <span>/</span> <span>{bp().title || bp().identifier}</span>
      </div>
      <div class="page-header">
        <div class="titles">
          <h1 class="row" style={{ gap: 'var(--space-3)' }}>
            <Icon name={bp().icon ?? bp().identifier} size={26} />
            {bp().title || bp().identifier}
            <Show when={data.latest}>
              <span class="badge" data-testid="total-count">
                {total().toLocaleString()}
              </span>
            </Show>
          </h1>
          <div class="subtitle">{bp().description ?? `Entities of the ${bp().identifier} blueprint.`}</div>
        </div>
        <A href={`/model/${bp().identifier}`} class="btn">
          <Icon name="edit" /> Edit blueprint
        </A>
        <CreateActions blueprint={bp().identifier} />
        <button type="button" class="btn primary" onClick={() => setCreating(true)} data-testid="new-entity">
          <Icon name="plus" /> New {bp().title || bp().identifier}
        </button>
      </div>

      <div class="card">
        <div class="toolbar">
          <Popover
            testId="views-menu"
            label={
              <>
                <Icon name="bookmark" /> {currentView()?.name ?? 'All entities'}
                <Show when={modified()}>
                  <span class="badge warning">edited</span>
                </Show>
                <Icon name="chevronDown" size={14} />
              </>
            }
          >
            {(close) => (
              <div style={{ width: '280px' }}>
                <h4>Saved views</h4>
                <button
                  type="button"
                  class={`menu-item ${!search.view ? 'active' : ''}`}
                  onClick={() => {
                    close();
                    navigate(`/catalog/${bp().identifier}`);
                  }}
                >
                  All entities
                </button>
                <Show when={views() === null}>
                  <div class="faint small" style={{ padding: '6px 8px' }}>
                    Saved views are not available on this server.
                  </div>
                </Show>
                <Show when={views.error}>
                  <div class="faint small" style={{ padding: '6px 8px' }}>
                    Could not load views: {(views.error as Error).message}
                  </div>
                </Show>
                <For each={views() ?? []}>
                  {(v) => (
                    <div class="row" style={{ 'flex-wrap': 'nowrap', gap: '2px' }}>
                      <button
                        type="button"
                        class={`menu-item ${search.view === v.id ? 'active' : ''}`}
                        onClick={() => {
                          close();
                          navigate(`/catalog/${bp().identifier}?view=${encodeURIComponent(v.id)}`);
                        }}
                      >
                        <span class="grow truncate">{v.name}</span>
                        <span class="faint small">{v.createdBy}</span>
                      </button>
                      <button
                        type="button"
                        class="btn icon small ghost"
                        title="Delete view"
                        aria-label={`Delete view ${v.name}`}
                        onClick={() => deleteView(v)}
                      >
                        <Icon name="trash" size={13} />
                      </button>
                    </div>
                  )}
                </For>
              </div>
            )}
          </Popover>
          <Show when={modified() && views() !== null}>
            <Show when={currentView()}>
              <button type="button" class="btn" onClick={updateView}>
                Update view
              </button>
            </Show>
            <button type="button" class="btn" onClick={() => setSaving(true)} data-testid="save-view">
              Save as view
            </button>
          </Show>
          <div style={{ width: '1px', height: '22px', background: 'var(--border)', margin: '0 4px' }} />
          <input
            class="input"
            style={{ width: '220px' }}
            placeholder="Filter by identifier or title"
            value={qText()}
            onInput={(e) => onQuickFilter(e.currentTarget.value)}
            aria-label="Quick filter"
            data-testid="quick-filter"
          />
          <Popover
            testId="add-filter-button"
            label={
              <>
                <Icon name="filter" /> Filter
              </>
            }
          >
            {(close) => (
              <FilterBuilder
                columns={filterCols()}
                onAdd={(f) => {
                  close();
                  update({ ...def(), filters: [...def().filters, f] });
                }}
              />
            )}
          </Popover>
          <For each={def().filters}>
            {(f, i) => (
              <span class="filter-chip" data-testid="filter-chip">
                {describeFilter(f, filterCols())}
                <button
                  type="button"
                  aria-label="Remove filter"
                  onClick={() => update({ ...def(), filters: def().filters.filter((_, j) => j !== i()) })}
                >
                  <Icon name="x" size={12} />
                </button>
              </span>
            )}
          </For>
          <div class="grow" />
          <Show when={data.loading && data.latest}>
            <div class="spinner" title="Loading" />
          </Show>
          <Popover
            align="right"
            testId="columns-button"
            label={
              <>
                <Icon name="columns" /> Columns
              </>
            }
          >
            {() => (
              <ColumnPicker
                columns={columns()}
                selected={def().columns}
                onChange={(cols) => update({ ...def(), columns: cols }, true)}
                onReset={() => update({ ...def(), columns: defaultDefinition(bp(), all()).columns }, true)}
              />
            )}
          </Popover>
        </div>

        <Show when={schemaWait()}>
          <div class="alert info" style={{ margin: 'var(--space-3) var(--space-4) 0' }}>
            The GraphQL schema is catching up with a model change; retrying…
          </div>
        </Show>
        <Show when={data.error}>
          <ErrorState error={data.error} retry={() => setReload((n) => n + 1)} />
        </Show>
        <Show when={!data.error}>
          <div class="table-wrap" ref={tableWrap}>
            <table class="data" data-testid="catalog-table">
              <thead>
                <tr>
                  <th class={def().sort.field === 'identifier' ? 'sorted' : ''}>
                    <button type="button" class="sort" onClick={() => sortBy('identifier')}>
                      Name{' '}
                      {def().sort.field === 'identifier' ? (def().sort.direction === 'ASC' ? '↑' : '↓') : ''}
                    </button>
                  </th>
                  <For each={shown()}>
                    {(col) => (
                      <th class={def().sort.field === col.key ? 'sorted' : ''} data-column={col.key}>
                        <Show when={col.sortable} fallback={col.title}>
                          <button type="button" class="sort" onClick={() => sortBy(col.key)}>
                            {col.title}{' '}
                            {def().sort.field === col.key ? (def().sort.direction === 'ASC' ? '↑' : '↓') : ''}
                          </button>
                        </Show>
                      </th>
                    )}
                  </For>
                </tr>
              </thead>
              <tbody>
                <Show when={data.latest} fallback={<SkeletonRows columns={shown().length + 1} />}>
                  <For each={rows()}>
                    {(row) => (
                      <tr data-identifier={row.identifier}>
                        <td style={{ 'min-width': '200px' }}>
                          <A class="entity-link" href={entityHref(row._blueprint, row.identifier)}>
                            {row.title || row.identifier}
                          </A>
                          <Show when={row.title}>
                            <span class="entity-id">{row.identifier}</span>
                          </Show>
                        </td>
                        <For each={shown()}>{(col) => <td>{cell(row, col)}</td>}</For>
                      </tr>
                    )}
                  </For>
                </Show>
              </tbody>
            </table>
          </div>
          <CatalogChart blueprint={bp()} />
          <Show when={data.latest && rows().length === 0}>
            <Show
              when={def().filters.length > 0 || def().q}
              fallback={
                <Empty
                  title={`No ${bp().title || bp().identifier} yet`}
                  action={
                    <button type="button" class="btn primary" onClick={() => setCreating(true)}>
                      Create the first one
                    </button>
                  }
                >
                  Entities arrive from connectors, the API, or this page.
                </Empty>
              }
            >
              <Empty
                title="No entity matches these filters"
                action={
                  <button
                    type="button"
                    class="btn"
                    onClick={() => update({ ...def(), filters: [], q: undefined })}
                  >
                    Clear filters
                  </button>
                }
              />
            </Show>
          </Show>
          <div class="pager">
            <span data-testid="page-range">
              {total() === 0
                ? 'No results'
                : `${((page() - 1) * def().pageSize + 1).toLocaleString()}–${Math.min(page() * def().pageSize, total()).toLocaleString()} of ${total().toLocaleString()}`}
            </span>
            <div class="grow" />
            <label class="row small">
              Rows
              <select
                class="select"
                value={def().pageSize}
                onChange={(e) => update({ ...def(), pageSize: Number(e.currentTarget.value) })}
                aria-label="Rows per page"
              >
                <For each={[...pageSizes]}>{(n) => <option value={n}>{n}</option>}</For>
              </select>
            </label>
            <button
              type="button"
              class="btn icon"
              disabled={page() <= 1}
              onClick={() => setSearch({ page: page() - 1 > 1 ? String(page() - 1) : undefined })}
              aria-label="Previous page"
            >
              <Icon name="chevronLeft" />
            </button>
            <span>
              Page {page()} of {pages().toLocaleString()}
            </span>
            <button
              type="button"
              class="btn icon"
              disabled={page() >= pages()}
              onClick={() => setSearch({ page: String(page() + 1) })}
              aria-label="Next page"
              data-testid="next-page"
            >
              <Icon name="chevronRight" />
            </button>
          </div>
        </Show>
      </div>

      <Show when={creating()}>
        <EntityFormDialog
          blueprint={bp()}
          onClose={() => setCreating(false)}
          onSaved={(e) => {
            setCreating(false);
            toast(`Created ${e.title || e.identifier}`, 'success');
            setReload((n) => n + 1);
            model.refreshCounts();
          }}
        />
      </Show>
      <Show when={saving()}>
        <SaveViewDialog onClose={() => setSaving(false)} onSave={saveAs} />
      </Show>
    </div>
  );
}

function SaveViewDialog(props: { onClose: () => void; onSave: (name: string) => Promise<void> }) {
  const [name, setName] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!name().trim()) return;
    setBusy(true);
    await props.onSave(name().trim());
    setBusy(false);
  };
  return (
    <Dialog
      title="Save view"
      onClose={props.onClose}
      testId="save-view-dialog"
      footer={
        <>
          <button type="button" class="btn ghost" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" form="save-view-form" class="btn primary" disabled={busy() || !name().trim()}>
            Save for everyone
          </button>
        </>
      }
    >
      <form id="save-view-form" class="field" onSubmit={submit}>
        <label for="view-name">Name</label>
        <input
          id="view-name"
          class="input"
          value={name()}
          onInput={(e) => setName(e.currentTarget.value)}
          placeholder="Tier 1 services owned by payments"
          autofocus
        />
        <span class="field-hint">
          Columns, filters, sort and page size are saved; everyone who can read this kind sees the view.
        </span>
      </form>
    </Dialog>
  );
}
