import { A, useSearchParams } from '@solidjs/router';
import { createEffect, createMemo, createSignal, For, on, Show } from 'solid-js';
import { ApiError, seg } from '../../api/client.ts';
import { type ImpactResult, parseEntityKey } from '../../api/types.ts';
import { entityHref, KindDot } from '../../components/entity-chip.tsx';
import { EntityPicker } from '../../components/entity-picker.tsx';
import { Icon } from '../../components/icons.tsx';
import { describeError } from '../../components/states.tsx';
import { createGraphView } from '../../graph/create-graph-view.ts';
import { kindLabel } from '../../components/kind-label.ts';
import { count, pluralOf } from '../../components/plural.ts';
import { impactQuery, impactToGraph } from '../../graph/graph-data.ts';
import {
  collapseAboveDefault,
  type GroupMode,
  groupGraph,
  isGroupId,
  isOwnerRelation,
} from '../../graph/group-graph.ts';
import { rankNodes } from '../../graph/hierarchy-layout.ts';
import { kindStyle } from '../../graph/kind-style.ts';
import {
  edgeId,
  type GraphEdge,
  type GraphNode,
  type LayoutName,
  layoutNames,
  radialAbove,
} from '../../graph/make-cytoscape.ts';
import { useModel } from '../../model.tsx';
import { useApi } from '../../session.tsx';
import { ImpactPanel } from './impact-panel.tsx';

type Direction = 'upstream' | 'downstream' | 'both';

/** Swatch of a blueprint's colour and shape, as the legend shows it. */
export function ShapeSwatch(props: { blueprint: string }) {
  const s = () => kindStyle(props.blueprint);
  const clip: Record<string, string> = {
    diamond: 'polygon(50% 0, 100% 50%, 50% 100%, 0 50%)',
    hexagon: 'polygon(25% 0, 75% 0, 100% 50%, 75% 100%, 25% 100%, 0 50%)',
    triangle: 'polygon(50% 0, 100% 100%, 0 100%)',
    'round-pentagon': 'polygon(50% 0, 100% 38%, 82% 100%, 18% 100%, 0 38%)',
    star: 'polygon(50% 0, 61% 35%, 98% 35%, 68% 57%, 79% 91%, 50% 70%, 21% 91%, 32% 57%, 2% 35%, 39% 35%)',
    vee: 'polygon(0 0, 50% 40%, 100% 0, 50% 100%)',
    'round-tag': 'polygon(0 0, 70% 0, 100% 50%, 70% 100%, 0 100%)',
  };
  return (
    <span
      class="legend-swatch"
      style={{
        background: s().color,
        'border-radius':
          s().shape === 'ellipse'
            ? '50%'
            : s().shape === 'round-rectangle' || s().shape === 'barrel'
              ? '4px'
              : '0',
        'clip-path': clip[s().shape],
      }}
    />
  );
}

/**
 * The graph explorer: start from any entity, expand neighbours on click, choose relations,
 * direction and depth, highlight a blast radius, switch layouts and export a PNG. All of it
 * is in the URL, so a view of the graph can be shared.
 */
export function ExplorerPage() {
  const api = useApi();
  const model = useModel();
  const [search, setSearch] = useSearchParams<{
    root?: string;
    direction?: string;
    depth?: string;
    relations?: string;
    layout?: string;
    group?: string;
  }>();
  const root = () => search.root;
  const direction = (): Direction =>
    ['upstream', 'downstream', 'both'].includes(search.direction ?? '')
      ? (search.direction as Direction)
      : 'both';
  const depth = () => Math.min(6, Math.max(1, Number(search.depth) || 2));
  const relations = () => (search.relations ? search.relations.split(',').filter(Boolean) : []);
  // "breadthfirst" is what links shared before the hierarchy layout had its own name.
  const layoutParam = () => (search.layout === 'breadthfirst' ? 'hierarchy' : search.layout);
  const layoutName = (): LayoutName =>
    layoutNames.some((l) => l.name === layoutParam()) ? (layoutParam() as LayoutName) : 'fcose';

  const groupMode = (): GroupMode =>
    search.group === 'none' || search.group === 'owner' ? search.group : 'kind';

  const [error, setError] = createSignal<string | null>(null);
  const [loading, setLoading] = createSignal(false);
  const [selected, setSelected] = createSignal<GraphNode | null>(null);
  const [blast, setBlast] = createSignal<{ key: string; count: number } | null>(null);
  const [stats, setStats] = createSignal({ nodes: 0, edges: 0, shown: 0, groups: 0 });
  const [present, setPresent] = createSignal<string[]>([]);
  const [truncated, setTruncated] = createSignal(false);
  /** Groups the reader opened; reset when the graph is loaded anew. */
  const [expanded, setExpanded] = createSignal<ReadonlySet<string>>(new Set());
  // Everything loaded (entities and edges); the canvas shows it grouped (group-graph.ts).
  const nodeData = new Map<string, GraphNode>();
  const edgeData = new Map<string, GraphEdge>();
  let groupOf = new Map<string, string>();

  const allRelations = createMemo(() => {
    const seen = new Map<string, string>();
    for (const bp of model.blueprints() ?? [])
      for (const [name, rel] of Object.entries(bp.relations ?? {}))
        if (!seen.has(name)) seen.set(name, rel.title ?? name);
    return [...seen.entries()].sort((a, b) => a[1].localeCompare(b[1]));
  });

  const refreshStats = () => {
    const g = view.graph();
    if (!g) return;
    const shown = g.cy.nodes();
    setStats({
      nodes: nodeData.size,
      edges: edgeData.size,
      shown: shown.length,
      groups: shown.filter((n) => isGroupId(n.id())).length,
    });
    setPresent([...new Set([...nodeData.values()].map((n) => n.blueprint))].sort());
  };

  /** Remembers an answer's nodes and edges; edges carry their relation's title. */
  const remember = (nodes: GraphNode[], edges: GraphEdge[], base = 0) => {
    for (const n of nodes)
      if (!nodeData.has(n.id)) nodeData.set(n.id, { ...n, distance: base + (n.distance ?? 0) });
    for (const e of edges) {
      const id = edgeId(e);
      if (edgeData.has(id)) continue;
      const bp = model.get(parseEntityKey(e.source).blueprint);
      edgeData.set(id, { ...e, title: bp?.relations?.[e.relation]?.title ?? e.relation });
    }
  };

  /** Owner of each loaded entity: the target of its owner relation ("ownedBy", "owner"). */
  const owners = () => {
    const out = new Map<string, string>();
    for (const e of edgeData.values()) {
      const bp = model.get(parseEntityKey(e.source).blueprint);
      if (isOwnerRelation(e.relation, bp?.relations?.[e.relation]?.title)) out.set(e.source, e.target);
    }
    return out;
  };

  const groupLabel = (key: string, n: number) => {
    if (groupMode() === 'owner') {
      if (!key) return `${count(n, 'entity', 'entities')} without owner`;
      return `${count(n, 'entity', 'entities')} owned by ${nodeData.get(key)?.label ?? parseEntityKey(key).identifier}`;
    }
    const title = (model.get(key)?.title || key).toLowerCase();
    return count(n, title, pluralOf(title));
  };

  /**
   * Draws what is loaded, grouped: adds to the canvas when nothing drawn has to go (`near` is
   * where new nodes start), else redraws and lays out everything.
   */
  const draw = async (near?: string) => {
    const g = view.graph();
    if (!g) return;
    const key = root();
    const nodes = [...nodeData.values()];
    const edges = [...edgeData.values()];
    const grouped = groupGraph(nodes, edges, {
      mode: groupMode(),
      ranks: rankNodes(
        nodes.map((n) => n.id),
        edges,
        key,
      ),
      keep: new Set(key ? [key] : []),
      expanded: expanded(),
      ownerOf: groupMode() === 'owner' ? owners() : undefined,
      label: groupLabel,
    });
    groupOf = new Map();
    for (const [id, members] of grouped.members) for (const m of members) groupOf.set(m, id);
    const next = new Set(grouped.nodes.map((n) => n.id));
    const keepsAll = g.cy
      .nodes()
      .toArray()
      .every((n) => next.has(n.id()));
    if (near && keepsAll && g.cy.nodes().length > 0) {
      const fresh = g.addElements(grouped.nodes, grouped.edges, near);
      refreshStats();
      if (fresh.length > 0)
        await view.layout(layoutName(), { root: key, incremental: true, animate: stats().shown < 400 });
      return;
    }
    g.setElements(grouped.nodes, grouped.edges, { root: key });
    g.highlight(null, key);
    refreshStats();
    await view.layout(layoutName(), { root: key });
  };

  const openGroup = async (id: string) => {
    setExpanded(new Set([...expanded(), id]));
    setBlast(null);
    await draw();
  };

  const view = createGraphView((g) => {
    g.onNodeTap((id) => {
      if (isGroupId(id)) {
        void openGroup(id);
        return;
      }
      const n = nodeData.get(id);
      if (!n) return;
      setSelected(n);
      void expand(id);
    });
    g.onBackgroundTap(() => {
      setSelected(null);
      g.select(null);
    });
  });

  const fetchImpact = async (key: string, dir: Direction, d: number, dependencyDefault = false) => {
    const { blueprint, identifier } = parseEntityKey(key);
    return api.get<ImpactResult>(
      `/api/v1/blueprints/${seg(blueprint)}/entities/${seg(identifier)}/impact?${impactQuery({ direction: dir, depth: d, relations: relations(), dependencyDefault })}`,
    );
  };

  const explain = (err: unknown) =>
    err instanceof ApiError && err.status === 404 && /no route/.test(err.message)
      ? 'The impact API is not available on this server yet, so the graph cannot be drawn.'
      : describeError(err).message;

  // Load the graph whenever the root or the traversal settings change.
  createEffect(
    on([root, direction, depth, () => search.relations, () => view.graph()], async ([key, dir, d, , g]) => {
      if (!g) return;
      setBlast(null);
      setSelected(null);
      setError(null);
      nodeData.clear();
      edgeData.clear();
      setExpanded(new Set<string>());
      if (!key) {
        g.setElements([], []);
        refreshStats();
        return;
      }
      setLoading(true);
      try {
        const r = await fetchImpact(key, dir, d);
        const { nodes, edges } = impactToGraph(r);
        remember(nodes, edges);
        setTruncated(Boolean(r.truncated));
        await draw();
      } catch (err) {
        g.setElements([], []);
        refreshStats();
        setError(explain(err));
      } finally {
        setLoading(false);
      }
    }),
  );

  // A new grouping or layout applies at once.
  createEffect(
    on(
      groupMode,
      () => {
        if (nodeData.size > 0) void draw();
      },
      { defer: true },
    ),
  );
  createEffect(
    on(
      layoutName,
      (name) => {
        if (view.graph() && nodeData.size > 0) void view.layout(name, { root: root() });
      },
      { defer: true },
    ),
  );

  const expand = async (key: string) => {
    const g = view.graph();
    if (!g) return;
    g.select(key);
    setLoading(true);
    try {
      const r = await fetchImpact(key, 'both', 1);
      const { nodes, edges } = impactToGraph(r);
      remember(nodes, edges, nodeData.get(key)?.distance ?? 0);
      await draw(key);
      g.select(key);
    } catch (err) {
      setError(explain(err));
    } finally {
      setLoading(false);
    }
  };

  const showBlastRadius = async (key: string) => {
    const g = view.graph();
    if (!g) return;
    setLoading(true);
    try {
      // Downstream = everything that transitively depends on the node: what breaks if it does.
      const r = await fetchImpact(key, 'downstream', 6, true);
      const { nodes, edges } = impactToGraph(r);
      remember(nodes, edges, nodeData.get(key)?.distance ?? 0);
      await draw(key);
      // Members of a group light up their group.
      g.highlight(new Set(nodes.map((n) => groupOf.get(n.id) ?? n.id)), key);
      setBlast({ key, count: nodes.length - 1 });
    } catch (err) {
      setError(explain(err));
    } finally {
      setLoading(false);
    }
  };

  const clearBlast = () => {
    view.graph()?.highlight(null, root());
    setBlast(null);
  };

  const exportPng = () => {
    const g = view.graph();
    if (!g) return;
    const url = URL.createObjectURL(g.exportPng());
    const a = document.createElement('a');
    a.href = url;
    a.download = `plexus-graph-${(root() ?? 'graph').replace(/[^a-z0-9-]+/gi, '-')}.png`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  const toggleRelation = (name: string, on: boolean) => {
    const next = on ? [...relations(), name] : relations().filter((r) => r !== name);
    setSearch({ relations: next.length > 0 ? next.join(',') : undefined });
  };

  return (
    <div class="page full" data-testid="graph-explorer">
      <div class="graph-layout">
        <aside class="graph-panel">
          <div>
            <h2 style={{ 'font-size': 'var(--text-lg)' }}>Graph explorer</h2>
            <p class="muted small" style={{ margin: '4px 0 0' }}>
              Click a node to expand its neighbours.
            </p>
          </div>
          <div class="panel-section">
            <h4>Start from</h4>
            <EntityPicker
              blueprints={(model.blueprints() ?? []).map((b) => b.identifier)}
              onPick={(key) => setSearch({ root: key })}
              placeholder="Search any entity…"
            />
            <Show when={root()}>
              <div class="row small" style={{ 'margin-top': '6px' }}>
                <KindDot blueprint={parseEntityKey(root()!).blueprint} />
                <span class="mono truncate grow">{root()}</span>
              </div>
            </Show>
          </div>
          <div class="panel-section">
            <h4>Direction</h4>
            <div class="btn-group">
              <For
                each={
                  [
                    ['upstream', 'Depends on'],
                    ['both', 'Both'],
                    ['downstream', 'Dependents'],
                  ] as const
                }
              >
                {([d, label]) => (
                  <button
                    type="button"
                    class={`btn small ${direction() === d ? 'selected' : ''}`}
                    onClick={() => setSearch({ direction: d })}
                    aria-pressed={direction() === d}
                  >
                    {label}
                  </button>
                )}
              </For>
            </div>
          </div>
          <div class="panel-section">
            <h4>Depth: {depth()}</h4>
            <input
              type="range"
              min="1"
              max="6"
              value={depth()}
              onChange={(e) => setSearch({ depth: e.currentTarget.value })}
              style={{ width: '100%', 'accent-color': 'var(--accent)' }}
              aria-label="Depth"
            />
          </div>
          <div class="panel-section">
            <h4>Relations {relations().length > 0 ? `(${relations().length})` : '(all)'}</h4>
            <div class="stack" style={{ gap: '4px', 'max-height': '180px', overflow: 'auto' }}>
              <For
                each={allRelations()}
                fallback={<span class="faint small">No relations in the model.</span>}
              >
                {([name, title]) => (
                  <label class="check">
                    <input
                      type="checkbox"
                      checked={relations().includes(name)}
                      onChange={(e) => toggleRelation(name, e.currentTarget.checked)}
                    />
                    <span class="truncate">{title}</span>
                  </label>
                )}
              </For>
            </div>
          </div>
          <Show when={selected()}>
            {(n) => (
              <div class="panel-section selection-card" data-testid="graph-selection">
                <div class="row" style={{ 'flex-wrap': 'nowrap' }}>
                  <KindDot blueprint={n().blueprint} />
                  <strong class="truncate grow">{n().label}</strong>
                </div>
                <div class="faint small mono">{n().id}</div>
                <div class="row" style={{ 'margin-top': 'var(--space-2)' }}>
                  <A class="btn small" href={entityHref(n().blueprint, n().identifier)}>
                    Open
                  </A>
                  <button type="button" class="btn small" onClick={() => setSearch({ root: n().id })}>
                    Make root
                  </button>
                  <button
                    type="button"
                    class="btn small danger"
                    onClick={() => showBlastRadius(n().id)}
                    data-testid="blast-radius"
                  >
                    <Icon name="radius" size={13} /> Blast radius
                  </button>
                </div>
              </div>
            )}
          </Show>
          <Show when={blast()}>
            {(b) => (
              <div class="alert warning">
                <div class="alert-body">
                  <strong>{b().count}</strong> {b().count === 1 ? 'entity depends' : 'entities depend'} on{' '}
                  <span class="mono">{b().key}</span>, directly or transitively.
                </div>
                <button type="button" class="btn small" onClick={clearBlast}>
                  Clear
                </button>
              </div>
            )}
          </Show>
          <Show when={blast()}>{(b) => <ImpactPanel root={b().key} depth={6} relations={relations()} />}</Show>
          <div class="panel-section">
            <h4>Legend</h4>
            <div class="legend" data-testid="graph-legend">
              <For
                each={present()}
                fallback={<span class="faint small">Kinds in the graph appear here.</span>}
              >
                {(bp) => (
                  <div class="legend-item">
                    <ShapeSwatch blueprint={bp} />
                    <span>{model.get(bp) ? kindLabel(model.get(bp)!, model.blueprints() ?? []) : bp}</span>
                  </div>
                )}
              </For>
            </div>
          </div>
        </aside>
        <div class="graph-stage">
          <div class="graph-controls">
            <select
              class="select"
              value={layoutName()}
              onChange={(e) => setSearch({ layout: e.currentTarget.value })}
              aria-label="Layout"
            >
              <For each={layoutNames}>{(l) => <option value={l.name}>{l.title}</option>}</For>
            </select>
            <select
              class="select"
              value={groupMode()}
              onChange={(e) =>
                setSearch({ group: e.currentTarget.value === 'kind' ? undefined : e.currentTarget.value })
              }
              aria-label="Group"
              title={`Graphs of more than ${collapseAboveDefault} nodes collapse into groups; click a group to open it`}
            >
              <option value="kind">Group by kind</option>
              <option value="owner">Group by owner</option>
              <option value="none">No groups</option>
            </select>
            <Show when={expanded().size > 0}>
              <button
                type="button"
                class="btn"
                onClick={() => {
                  setExpanded(new Set<string>());
                  void draw();
                }}
                title="Fold the groups opened by clicking back into group nodes"
              >
                Collapse groups
              </button>
            </Show>
            <button
              type="button"
              class="btn icon"
              onClick={() => view.layout(layoutName(), { root: root() })}
              title="Run the layout again"
              aria-label="Run the layout again"
            >
              <Icon name="layout" />
            </button>
            <div class="btn-group">
              <button
                type="button"
                class="btn icon"
                onClick={() => view.graph()?.zoomBy(1.25)}
                aria-label="Zoom in"
              >
                <Icon name="zoomIn" />
              </button>
              <button
                type="button"
                class="btn icon"
                onClick={() => view.graph()?.zoomBy(0.8)}
                aria-label="Zoom out"
              >
                <Icon name="zoomOut" />
              </button>
              <button
                type="button"
                class="btn icon"
                onClick={() => view.graph()?.fit()}
                aria-label="Fit to screen"
              >
                <Icon name="fit" />
              </button>
            </div>
            <button
              type="button"
              class="btn"
              onClick={exportPng}
              disabled={stats().nodes === 0}
              data-testid="export-png"
            >
              <Icon name="download" /> PNG
            </button>
          </div>
          <div class="graph-canvas" ref={view.ref} data-testid="graph-canvas" />
          <Show when={!root() && !error()}>
            <div
              class="empty"
              style={{
                position: 'absolute',
                inset: '0',
                'justify-content': 'center',
                'pointer-events': 'none',
              }}
            >
              <Icon name="graph" size={40} />
              <h3>Pick an entity to start</h3>
              <div>Search on the left, or open “Explore” from any entity page.</div>
            </div>
          </Show>
          <Show when={error()}>
            <div
              class="alert error"
              style={{ position: 'absolute', top: '64px', left: '16px', right: '16px', 'z-index': 6 }}
              role="alert"
            >
              {error()}
            </div>
          </Show>
          <div class="graph-status" data-testid="graph-status">
            <Show
              when={loading() || view.layingOut()}
              fallback={`${count(stats().nodes, 'node')} · ${count(stats().edges, 'edge')}${
                stats().groups > 0
                  ? ` · shown as ${count(stats().shown, 'node')} (${count(stats().groups, 'group')})`
                  : ''
              }${truncated() ? ' · truncated' : ''}${
                // Said where it happens: the force layout gives way to the radial tree on big graphs.
                layoutName() === 'fcose' && stats().shown > radialAbove
                  ? ` · radial tree (force layout up to ${radialAbove} nodes)`
                  : ''
              }`}
            >
              <span class="row" style={{ gap: '6px' }}>
                <span class="spinner" style={{ width: '12px', height: '12px' }} />{' '}
                {loading() ? 'Loading…' : 'Laying out…'}
              </span>
            </Show>
          </div>
        </div>
      </div>
    </div>
  );
}
