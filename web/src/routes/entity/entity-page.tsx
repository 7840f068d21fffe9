import { A, useNavigate, useSearchParams } from '@solidjs/router';
import {
  createEffect,
  createMemo,
  createResource,
  createSignal,
  For,
  Match,
  on,
  Show,
  Switch,
} from 'solid-js';
import { actionsApi } from '../../api/actions.ts';
import { ApiError, seg } from '../../api/client.ts';
import { useRouteParams } from '../../api/route-params.ts';
import type { Blueprint, ImpactResult, StoredEntity } from '../../api/types.ts';
import { useConfirm } from '../../components/confirm-dialog.tsx';
import { EntityChip, KindDot } from '../../components/entity-chip.tsx';
import { EntityFormDialog } from '../../components/entity-form.tsx';
import { Icon } from '../../components/icons.tsx';
import { count } from '../../components/plural.ts';
import { formatDate, PropertyValue } from '../../components/property-value.tsx';
import { Empty, ErrorState, Loading } from '../../components/states.tsx';
import { useToast } from '../../components/toasts.tsx';
import { createGraphView } from '../../graph/create-graph-view.ts';
import { impactQuery, impactToGraph } from '../../graph/graph-data.ts';
import { useModel } from '../../model.tsx';
import { useApi } from '../../session.tsx';
import { ActionsPanel } from '../actions/actions-panel.tsx';
import { aboutOf } from './entity-about.ts';
import { HistoryPanel } from './history-panel.tsx';
import { ScorecardsPanel } from './scorecards-panel.tsx';
import './entity.css';

/** The entity page's tabs, in order; `actions` only when actions apply to the entity. */
const tabs = [
  ['overview', 'Overview'],
  ['relations', 'Relations'],
  ['graph', 'Graph'],
  ['scorecards', 'Scorecards'],
  ['history', 'History'],
  ['actions', 'Actions'],
] as const;
type Tab = (typeof tabs)[number][0];

interface RelGroup {
  relation: string;
  title: string;
  direction: 'out' | 'in';
  /** The kind at the other end, for incoming groups ("Services · owned by"). */
  peer?: string;
  entities: { blueprint: string; identifier: string; title: string | null }[];
}

/** The entity page: typed properties, relations both ways, neighbourhood graph, provenance, and slots for what comes next. */
export function EntityPage() {
  const params = useRouteParams<{ blueprint: string; identifier: string }>();
  const api = useApi();
  const model = useModel();
  const toast = useToast();
  const ask = useConfirm();
  const navigate = useNavigate();
  const bp = () => model.get(params.blueprint);
  const [editing, setEditing] = createSignal(false);

  const [entity, { refetch }] = createResource(
    () => ({ b: params.blueprint, i: params.identifier }),
    ({ b, i }) => api.get<StoredEntity>(`/api/v1/blueprints/${seg(b)}/entities/${seg(i)}`),
  );
  const [neighbours, { refetch: refetchNeighbours }] = createResource(
    () => ({ b: params.blueprint, i: params.identifier }),
    async ({ b, i }) => {
      try {
        return await api.get<ImpactResult>(
          `/api/v1/blueprints/${seg(b)}/entities/${seg(i)}/impact?${impactQuery({ direction: 'both', depth: 1 })}`,
        );
      } catch (err) {
        if (err instanceof ApiError && err.status === 404 && /no route/.test(err.message)) return null;
        throw err;
      }
    },
  );
  const rootKey = () => `${params.blueprint}:${params.identifier}`;

  // Relations grouped by name and direction. Titles come from the neighbourhood answer; the
  // entity's own relation lists are the fallback when the impact API is unavailable.
  const groups = createMemo<RelGroup[]>(() => {
    const e = entity();
    const b = bp();
    if (!e || !b) return [];
    const titles = new Map<string, string | null>();
    for (const n of neighbours()?.nodes ?? []) titles.set(`${n.blueprint}:${n.identifier}`, n.title);
    const out: RelGroup[] = [];
    for (const [name, def] of Object.entries(b.relations ?? {})) {
      const raw = e.relations[name];
      const ids = raw === null || raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
      const targets = Array.isArray(def.target) ? def.target : [def.target];
      out.push({
        relation: name,
        title: def.title ?? name,
        direction: 'out',
        entities: ids.map((id) => {
          const i = id.indexOf(':');
          const [blueprint, identifier] =
            targets.length > 1 && i > 0 ? [id.slice(0, i), id.slice(i + 1)] : [targets[0], id];
          return { blueprint, identifier, title: titles.get(`${blueprint}:${identifier}`) ?? null };
        }),
      });
    }
    const incoming = new Map<string, RelGroup>();
    for (const edge of neighbours()?.edges ?? []) {
      if (edge.target !== rootKey() || edge.source === rootKey()) continue;
      const i = edge.source.indexOf(':');
      const source = { blueprint: edge.source.slice(0, i), identifier: edge.source.slice(i + 1) };
      const k = `${source.blueprint}|${edge.relation}`;
      const srcBp = model.get(source.blueprint);
      const g = incoming.get(k) ?? {
        relation: edge.relation,
        title: srcBp?.relations?.[edge.relation]?.title ?? edge.relation,
        direction: 'in' as const,
        peer: srcBp?.title ?? source.blueprint,
        entities: [],
      };
      g.entities.push({ ...source, title: titles.get(edge.source) ?? null });
      incoming.set(k, g);
    }
    const byName = (
      a: { title: string | null; identifier: string },
      b: { title: string | null; identifier: string },
    ) => (a.title ?? a.identifier).localeCompare(b.title ?? b.identifier);
    for (const g of incoming.values()) g.entities.sort(byName);
    return [...out, ...incoming.values()];
  });

  const remove = async () => {
    const e = entity();
    if (!e) return;
    const yes = await ask({
      title: `Delete ${e.title || e.identifier}?`,
      message: 'Its relations go with it.',
      confirmLabel: 'Delete',
      danger: true,
    });
    if (!yes) return;
    try {
      await api.delete(`/api/v1/blueprints/${seg(e.blueprint)}/entities/${seg(e.identifier)}`);
      toast(`Deleted ${e.title || e.identifier}`, 'success');
      model.refreshCounts();
      navigate(`/catalog/${e.blueprint}`);
    } catch (err) {
      toast((err as Error).message, 'error');
    }
  };

  return (
    <div class="page" data-testid="entity-page">
      <div class="breadcrumbs">
        <A href="/">Catalog</A> <span>/</span>{' '}
        <A href={`/catalog/${params.blueprint}`}>{bp()?.title ?? params.blueprint}</A> <span>/</span>{' '}
        <span class="mono">{params.identifier}</span>
      </div>
      <Switch>
        <Match when={entity.error}>
          <Show
            when={entity.error instanceof ApiError && entity.error.status === 404}
            fallback={<ErrorState error={entity.error} retry={refetch} />}
          >
            <Empty
              title="This entity does not exist"
              action={
                <A class="btn" href={`/catalog/${params.blueprint}`}>
                  Back to {bp()?.title ?? params.blueprint}
                </A>
              }
            >
              <span class="mono">{rootKey()}</span> may have been deleted or renamed by its source.
            </Empty>
          </Show>
        </Match>
        <Match when={entity.loading && !entity.latest}>
          <Loading label="Loading entity…" />
        </Match>
        <Match when={entity.latest && bp()}>
          <EntityBody
            entity={entity.latest!}
            blueprint={bp()!}
            groups={groups()}
            neighbours={neighbours}
            rootKey={rootKey()}
            onEdit={() => setEditing(true)}
            onDelete={remove}
            onRetryNeighbours={refetchNeighbours}
          />
        </Match>
      </Switch>
      <Show when={editing() && entity.latest && bp()}>
        <EntityFormDialog
          blueprint={bp()!}
          entity={entity.latest}
          onClose={() => setEditing(false)}
          onSaved={() => {
            setEditing(false);
            toast('Saved', 'success');
            void refetch();
            void refetchNeighbours();
          }}
        />
      </Show>
    </div>
  );
}

/** Related entities as chips; long lists show the first dozen until asked for all. */
function RelList(props: { entities: RelGroup['entities'] }) {
  const [all, setAll] = createSignal(false);
  const limit = 12;
  return (
    <div class="rel-list">
      <For
        each={all() ? props.entities : props.entities.slice(0, limit)}
        fallback={<span class="faint small">none</span>}
      >
        {(t) => <EntityChip blueprint={t.blueprint} identifier={t.identifier} title={t.title} />}
      </For>
      <Show when={!all() && props.entities.length > limit}>
        <button type="button" class="btn small ghost" onClick={() => setAll(true)}>
          Show all {props.entities.length}
        </button>
      </Show>
    </div>
  );
}

/** The entity and its direct neighbours; clicking a neighbour opens its page. */
function NeighbourhoodGraph(props: { data: ImpactResult | null | undefined; rootKey: string }) {
  const navigate = useNavigate();
  const model = useModel();
  const view = createGraphView((g) =>
    g.onNodeTap((id) => {
      if (id === props.rootKey) return;
      const i = id.indexOf(':');
      navigate(`/entities/${seg(id.slice(0, i))}/${seg(id.slice(i + 1))}`);
    }),
  );
  createEffect(
    on([() => props.data, () => view.graph()], ([n, g]) => {
      if (!g || !n) return;
      const { nodes, edges } = impactToGraph(n);
      g.setElements(
        nodes,
        edges.map((e) => ({
          ...e,
          title: model.get(e.source.slice(0, e.source.indexOf(':')))?.relations?.[e.relation]?.title,
        })),
      );
      g.highlight(null, props.rootKey);
      void view.layout(nodes.length > 12 ? 'fcose' : 'concentric', { root: props.rootKey, animate: false });
    }),
  );
  return (
    <div
      class="graph-canvas small"
      ref={view.ref}
      data-testid="neighbourhood-graph"
      data-ready={view.graph() && !view.layingOut() && props.data ? 'true' : 'false'}
    >
      <div class="graph-status">{props.data ? count(props.data.nodes.length, 'neighbour') : 'Loading…'}</div>
    </div>
  );
}

function EntityBody(props: {
  entity: StoredEntity;
  blueprint: Blueprint;
  groups: RelGroup[];
  neighbours: { (): ImpactResult | null | undefined; loading: boolean; error: unknown };
  rootKey: string;
  onEdit: () => void;
  onDelete: () => void;
  onRetryNeighbours: () => void;
}) {
  const e = () => props.entity;
  const b = () => props.blueprint;
  const required = () => new Set(b().schema.required ?? []);
  const api = useApi();
  const [search, setSearch] = useSearchParams<{ tab?: string }>();
  // Actions that apply to this entity (not the ones that create new entities) earn a tab.
  const [actions] = createResource(
    () => `${e().blueprint}:${e().identifier}`,
    async (entity) => {
      try {
        return (await actionsApi(api).list({ entity })).filter((a) => a.operation !== 'CREATE').length;
      } catch {
        return 0;
      }
    },
  );
  const hasActions = () => (actions.latest ?? 0) > 0;
  const tab = (): Tab => {
    const t = tabs.find(([name]) => name === search.tab)?.[0] ?? 'overview';
    return t === 'actions' && !hasActions() && !actions.loading ? 'overview' : t;
  };
  const setTab = (t: Tab) => setSearch({ tab: t === 'overview' ? undefined : t });
  const relatedCount = () => props.groups.reduce((n, g) => n + g.entities.length, 0);
  const plainProperties = createMemo(() => {
    const shown = aboutOf(b(), e()).shown;
    return Object.entries(b().schema.properties).filter(([k]) => !shown.has(k));
  });
  return (
    <>
      <div class="page-header">
        <div class="titles">
          <div class="row" style={{ gap: 'var(--space-2)', 'margin-bottom': '4px' }}>
            <span class="badge accent">
              <KindDot blueprint={b().identifier} /> {b().title || b().identifier}
            </span>
            <For each={e().meta.sources}>{(s) => <span class="badge info">{s}</span>}</For>
          </div>
          <h1 data-testid="entity-title">{e().title || e().identifier}</h1>
          <div class="subtitle mono small">{e().identifier}</div>
        </div>
        <A class="btn" href={`/graph?root=${encodeURIComponent(props.rootKey)}`} data-testid="explore-graph">
          <Icon name="graph" /> Explore
        </A>
        <button type="button" class="btn" onClick={props.onEdit}>
          <Icon name="edit" /> Edit
        </button>
        <button
          type="button"
          class="btn icon danger"
          onClick={props.onDelete}
          aria-label="Delete entity"
          title="Delete"
        >
          <Icon name="trash" />
        </button>
      </div>

      <div class="tabs" role="tablist" aria-label="Entity sections">
        <For each={tabs.filter(([t]) => t !== 'actions' || hasActions())}>
          {([t, title]) => (
            <button
              type="button"
              role="tab"
              class={`tab ${tab() === t ? 'active' : ''}`}
              aria-selected={tab() === t}
              data-tab={t}
              onClick={() => setTab(t)}
            >
              {title}
              <Show when={t === 'relations' && relatedCount() > 0}>
                <span class="badge">{relatedCount()}</span>
              </Show>
            </button>
          )}
        </For>
      </div>

      <Switch>
        <Match when={tab() === 'overview'}>
          <div class="grid cols-2">
            <div class="stack">
              <AboutCard entity={e()} blueprint={b()} groups={props.groups} />
              <div class="card">
                <div class="card-header">
                  <h3>Properties</h3>
                </div>
                <div class="card-body flush">
                  <Show
                    when={plainProperties().length + Object.keys(b().calculated ?? {}).length > 0}
                    fallback={<div class="card-body faint">No other properties.</div>}
                  >
                    <dl class="props" data-testid="entity-properties">
                      <For each={plainProperties()}>
                        {([k, s]) => (
                          <>
                            <dt title={s.description ?? k}>
                              {s.title ?? k}
                              {required().has(k) ? ' *' : ''}
                            </dt>
                            <dd data-property={k}>
                              <PropertyValue schema={s} value={e().properties[k]} />
                            </dd>
                          </>
                        )}
                      </For>
                      <For each={Object.entries(b().calculated ?? {})}>
                        {([k, c]) => (
                          <>
                            <dt title="Calculated by a Cypher expression">{c.title ?? k} ƒ</dt>
                            <dd>
                              <PropertyValue
                                schema={{ type: c.type }}
                                value={
                                  (e() as StoredEntity & { calculated?: Record<string, unknown> })
                                    .calculated?.[k]
                                }
                              />
                            </dd>
                          </>
                        )}
                      </For>
                    </dl>
                  </Show>
                </div>
              </div>
            </div>
            <div class="stack">
              <KeyedScorecards blueprint={b().identifier} identifier={e().identifier} version={e().meta.updatedAt} />
              <ProvenanceCard entity={e()} />
            </div>
          </div>
        </Match>
        <Match when={tab() === 'relations'}>
          <RelationsCard groups={props.groups} loading={props.neighbours.loading} />
        </Match>
        <Match when={tab() === 'graph'}>
          <div class="card">
            <div class="card-header">
              <h3>Neighbourhood</h3>
              <A class="btn small" href={`/graph?root=${encodeURIComponent(props.rootKey)}`}>
                Open in explorer <Icon name="chevronRight" size={12} />
              </A>
            </div>
            <Show when={props.neighbours() === null}>
              <div class="alert warning" style={{ margin: 'var(--space-3)' }}>
                The impact API is not available on this server yet, so the neighbourhood cannot be drawn.
              </div>
            </Show>
            <Show when={props.neighbours.error}>
              <ErrorState error={props.neighbours.error} retry={props.onRetryNeighbours} />
            </Show>
            <NeighbourhoodGraph data={props.neighbours()} rootKey={props.rootKey} />
          </div>
        </Match>
        <Match when={tab() === 'scorecards'}>
          <KeyedScorecards blueprint={b().identifier} identifier={e().identifier} version={e().meta.updatedAt} />
        </Match>
        <Match when={tab() === 'history'}>
          <HistoryPanel blueprint={b()} identifier={e().identifier} version={e().meta.updatedAt} />
        </Match>
        <Match when={tab() === 'actions'}>
          <ActionsPanel entity={e()} />
        </Match>
      </Switch>
    </>
  );
}

/** Owner and on-call first, then links with their titles, then annotations and labels. */
function AboutCard(props: { entity: StoredEntity; blueprint: Blueprint; groups: RelGroup[] }) {
  const api = useApi();
  const model = useModel();
  const about = createMemo(() => aboutOf(props.blueprint, props.entity));
  const ownerChips = () =>
    about().owners.flatMap(
      (o) => props.groups.find((g) => g.direction === 'out' && g.relation === o.relation)?.entities ?? [],
    );
  // Nobody on call on the entity itself: the single owner's on-call, one request.
  const [ownerOnCall] = createResource(
    () => (about().onCall.length === 0 && ownerChips().length === 1 ? ownerChips()[0] : false),
    async (o) => {
      const bp = model.get(o.blueprint);
      if (!bp) return null;
      try {
        const owner = await api.get<StoredEntity>(
          `/api/v1/blueprints/${seg(o.blueprint)}/entities/${seg(o.identifier)}`,
        );
        return { owner: owner.title || owner.identifier, items: aboutOf(bp, owner).onCall };
      } catch {
        return null;
      }
    },
  );
  const onCall = () =>
    about().onCall.length > 0
      ? { owner: null, items: about().onCall }
      : (ownerOnCall.latest ?? { owner: null, items: [] });
  return (
    <div class="card" data-testid="entity-about">
      <div class="card-header">
        <h3>About</h3>
      </div>
      <div class="card-body">
        <dl class="meta-list about-list">
          <dt>Owner</dt>
          <dd data-testid="about-owner">
            <Show when={ownerChips().length > 0} fallback={<span class="faint">No owner</span>}>
              <div class="rel-list">
                <For each={ownerChips()}>
                  {(t) => <EntityChip blueprint={t.blueprint} identifier={t.identifier} title={t.title} />}
                </For>
              </div>
            </Show>
          </dd>
          <dt>On call</dt>
          <dd data-testid="about-on-call">
            <Show when={onCall().items.length > 0} fallback={<span class="faint">Not known</span>}>
              <For each={onCall().items}>
                {(o) => (
                  <div>
                    <PropertyValue schema={o.schema} value={o.value} />
                    <Show when={onCall().owner}>
                      <span class="faint small"> (from {onCall().owner})</span>
                    </Show>
                  </div>
                )}
              </For>
            </Show>
          </dd>
          <Show when={about().links.length > 0}>
            <dt>Links</dt>
            <dd data-testid="about-links">
              <ul class="about-links">
                <For each={about().links}>
                  {(l) => (
                    <li>
                      <a href={l.url} target="_blank" rel="noopener noreferrer" title={l.url}>
                        {l.title} ↗
                      </a>
                    </li>
                  )}
                </For>
              </ul>
            </dd>
          </Show>
          <For each={about().maps}>
            {(m) => (
              <>
                <dt>{m.title}</dt>
                <dd data-testid={`about-${m.property}`}>
                  <Show when={m.entries.length > 0} fallback={<span class="faint">none</span>}>
                    <dl class="kv">
                      <For each={m.entries}>
                        {([k, v]) => (
                          <>
                            <dt class="mono">{k}</dt>
                            <dd class="mono">{v}</dd>
                          </>
                        )}
                      </For>
                    </dl>
                  </Show>
                </dd>
              </>
            )}
          </For>
        </dl>
      </div>
    </div>
  );
}

/** Relations both ways; the empty ones fold into one line. */
function RelationsCard(props: { groups: RelGroup[]; loading: boolean }) {
  const filled = () => props.groups.filter((g) => g.entities.length > 0);
  const empty = () => props.groups.filter((g) => g.entities.length === 0);
  return (
    <div class="card" data-testid="entity-relations">
      <div class="card-header">
        <h3>Relations</h3>
        <Show when={props.loading}>
          <div class="spinner" />
        </Show>
      </div>
      <Show
        when={props.groups.length > 0}
        fallback={<div class="card-body faint">This kind has no relations.</div>}
      >
        <For each={filled()}>
          {(g) => (
            <div class="rel-group" data-relation={g.relation} data-direction={g.direction}>
              <div class="rel-group-title">
                <Icon
                  name={g.direction === 'out' ? 'arrowUp' : 'arrowDown'}
                  size={13}
                  style={{ transform: 'rotate(45deg)' }}
                />
                {g.direction === 'in' ? `${g.peer} · ${g.title}` : g.title}
                <span class="badge">{g.entities.length}</span>
                <span class="faint small">{g.direction === 'out' ? 'outgoing' : 'incoming'}</span>
              </div>
              <RelList entities={g.entities} />
            </div>
          )}
        </For>
        <Show when={empty().length > 0}>
          <div class="rel-empty faint small" data-testid="empty-relations">
            None yet:{' '}
            {empty()
              .map((g) => g.title)
              .join(', ')}
          </div>
        </Show>
      </Show>
    </div>
  );
}

function ProvenanceCard(props: { entity: StoredEntity }) {
  const e = () => props.entity;
  const updated = () => (e().meta.updatedAt ? formatDate(e().meta.updatedAt!) : null);
  return (
    <div class="card">
      <div class="card-header">
        <h3>Provenance</h3>
      </div>
      <div class="card-body">
        <dl class="meta-list" data-testid="provenance">
          <dt>Sources</dt>
          <dd>
            {e().meta.sources.length > 0 ? e().meta.sources.join(', ') : 'written directly (API or UI)'}
          </dd>
          <dt>Last updated</dt>
          <dd>{updated() ? `${updated()!.text} (${updated()!.relative})` : '—'}</dd>
          <Show when={e().meta.updatedBy}>
            <dt>Updated by</dt>
            <dd>{e().meta.updatedBy}</dd>
          </Show>
          <Show when={e().meta.createdAt}>
            <dt>Created</dt>
            <dd>
              {formatDate(e().meta.createdAt!).text}
              {e().meta.createdBy ? ` by ${e().meta.createdBy}` : ''}
            </dd>
          </Show>
        </dl>
      </div>
    </div>
  );
}

/**
 * The scorecards panel, made anew for each entity: moving to another entity (the search palette
 * keeps the page mounted) must not show the previous one's scorecards while the new ones load.
 */
function KeyedScorecards(props: { blueprint: string; identifier: string; version?: string }) {
  return (
    <Show when={`${props.blueprint}:${props.identifier}`} keyed>
      {(key) => <ScorecardsPanel blueprint={key.slice(0, key.indexOf(':'))} identifier={props.identifier} version={props.version} />}
    </Show>
  );
}
