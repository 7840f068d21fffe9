import { A, useSearchParams } from '@solidjs/router';
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
import { ApiError, seg } from '../../api/client.ts';
import { useRouteParams } from '../../api/route-params.ts';
import { EntityChip, KindDot } from '../../components/entity-chip.tsx';
import { Icon } from '../../components/icons.tsx';
import { formatDate } from '../../components/property-value.tsx';
import { Empty, ErrorState, Loading } from '../../components/states.tsx';
import { useToast } from '../../components/toasts.tsx';
import { useModel } from '../../model.tsx';
import { useApi } from '../../session.tsx';
import { type CursorList, createCursorList } from './create-cursor-list.ts';
import { DrillDown } from './drill-down.tsx';
import {
  changeDirection,
  drillOf,
  levelDistribution,
  levelTone,
  percent,
  ruleRates,
} from './scorecard-stats.ts';
import type { LevelChange, LevelChangesPage, Scorecard, ScorecardTrend } from './scorecard-types.ts';
import { TrendChart } from './trend-chart.tsx';
import './scorecards.css';

/**
 * One scorecard: entities per level, each rule's pass rate, a drill-down to the entities failing
 * a rule or at or below a level (`?rule=` / `?level=` in the URL), the daily trend and recent
 * level changes.
 */
export function ScorecardPage() {
  const params = useRouteParams<{ scorecard: string }>();
  const api = useApi();
  const toast = useToast();
  const [evaluating, setEvaluating] = createSignal(false);
  const [sc, { refetch }] = createResource(
    () => params.scorecard,
    (id) => api.get<Scorecard>(`/api/v1/scorecards/${seg(id)}`),
  );
  const [trend, { refetch: refetchTrend }] = createResource(
    () => params.scorecard,
    (id) => api.get<ScorecardTrend>(`/api/v1/scorecards/${seg(id)}/trend?days=30`),
  );
  const changes = createCursorList(
    () => params.scorecard,
    async (id, cursor) => {
      const q = new URLSearchParams({ limit: '20' });
      if (cursor) q.set('cursor', cursor);
      const page = await api.get<LevelChangesPage>(`/api/v1/scorecards/${seg(id)}/history?${q}`);
      return { items: page.changes, next: page.next };
    },
  );

  const evaluate = async () => {
    setEvaluating(true);
    try {
      const summary = await api.post<{ evaluated: number; changed: number }>(
        `/api/v1/scorecards/${seg(params.scorecard)}/evaluate`,
      );
      toast(`Evaluated ${summary.evaluated} entities; ${summary.changed} changed level`, 'success');
      void refetch();
      void refetchTrend();
      changes.reload();
    } catch (err) {
      toast((err as Error).message, 'error');
    } finally {
      setEvaluating(false);
    }
  };

  return (
    <div class="page" data-testid="scorecard-page">
      <div class="breadcrumbs">
        <A href="/scorecards">Scorecards</A> <span>/</span> <span class="mono">{params.scorecard}</span>
      </div>
      <Switch>
        <Match when={sc.error}>
          <Show
            when={sc.error instanceof ApiError && sc.error.status === 404}
            fallback={<ErrorState error={sc.error} retry={refetch} />}
          >
            <Empty
              title="This scorecard does not exist"
              action={
                <A class="btn" href="/scorecards">
                  All scorecards
                </A>
              }
            >
              <span class="mono">{params.scorecard}</span> may have been deleted or renamed.
            </Empty>
          </Show>
        </Match>
        <Match when={sc.loading && !sc.latest}>
          <Loading label="Loading scorecard…" />
        </Match>
        <Match when={sc.latest}>
          <ScorecardBody
            scorecard={sc.latest!}
            trend={trend}
            onRetryTrend={refetchTrend}
            changes={changes}
            evaluating={evaluating()}
            onEvaluate={evaluate}
          />
        </Match>
      </Switch>
    </div>
  );
}

function ScorecardBody(props: {
  scorecard: Scorecard;
  trend: { (): ScorecardTrend | undefined; loading: boolean; error: unknown };
  onRetryTrend: () => void;
  changes: CursorList<LevelChange>;
  evaluating: boolean;
  onEvaluate: () => void;
}) {
  const model = useModel();
  const [search, setSearch] = useSearchParams<{ rule?: string; level?: string }>();
  const sc = () => props.scorecard;
  const status = () => sc().status;
  const bars = createMemo(() => levelDistribution(sc().levels, status()?.levels ?? []));
  const rates = createMemo(() => ruleRates(sc().levels, sc().rules, status()?.rules ?? []));
  const drill = createMemo(() => drillOf(sc(), { rule: search.rule, level: search.level }));
  // The scorecard's own spelling of the level in the URL (`?level=silver` selects Silver).
  const drilledLevel = () => {
    const d = drill();
    return d?.kind === 'level' ? d.level : undefined;
  };
  const tone = (level: string) => levelTone(sc().levels.indexOf(level), sc().levels.length);
  const evaluated = () => (status()?.evaluatedAt ? formatDate(status()!.evaluatedAt!) : null);
  let drillCard: HTMLDivElement | undefined;
  let scrollToDrill = false;
  const open = (d: { rule?: string; level?: string }) => {
    scrollToDrill = true;
    setSearch({ rule: d.rule, level: d.level });
  };
  // Once the list a click asked for is on the page, bring it into view (not on a deep link).
  createEffect(
    on(drill, (d) => {
      if (!d || !scrollToDrill) return;
      scrollToDrill = false;
      drillCard?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    }),
  );

  return (
    <>
      <div class="page-header">
        <div class="titles">
          <div class="row" style={{ gap: 'var(--space-2)', 'margin-bottom': '4px' }}>
            <A href={`/catalog/${sc().blueprint}`} class="badge accent">
              <KindDot blueprint={sc().blueprint} /> {model.get(sc().blueprint)?.title ?? sc().blueprint}
            </A>
            <span class="badge">{sc().levels.join(' → ')}</span>
          </div>
          <h1 data-testid="scorecard-title">{sc().title || sc().identifier}</h1>
          <div class="subtitle">
            {sc().description ? `${sc().description} · ` : ''}
            <span data-testid="scorecard-entities">{(status()?.entities ?? 0).toLocaleString()}</span>{' '}
            entities scored
            {evaluated() ? ` · evaluated ${evaluated()!.relative}` : ' · not evaluated yet'}
          </div>
        </div>
        <button
          type="button"
          class="btn"
          onClick={props.onEvaluate}
          disabled={props.evaluating}
          data-testid="evaluate"
          title="Score every entity again now (admins)"
        >
          <Icon name="layout" /> {props.evaluating ? 'Evaluating…' : 'Evaluate now'}
        </button>
      </div>

      <Show when={(status()?.errors.length ?? 0) > 0}>
        <div class="alert warning" role="alert" style={{ 'margin-bottom': 'var(--space-4)' }}>
          <div class="alert-body">
            <strong>The last evaluation had problems.</strong>
            <ul>
              <For each={status()!.errors.slice(0, 8)}>
                {(e) => (
                  <li>
                    {e.rule ? <span class="mono">{e.rule}: </span> : null}
                    {e.message}
                  </li>
                )}
              </For>
            </ul>
          </div>
        </div>
      </Show>

      <div class="grid cols-2" style={{ 'margin-bottom': 'var(--space-4)' }}>
        <div class="card" data-testid="level-distribution">
          <div class="card-header">
            <h3>Levels</h3>
            <span class="faint small">select a level to list the entities at or below it</span>
          </div>
          <Show
            when={(status()?.entities ?? 0) > 0}
            fallback={
              <Empty title="No entity scored yet">
                {status()?.evaluatedAt
                  ? `No ${model.get(sc().blueprint)?.title ?? sc().blueprint} entity matches this scorecard.`
                  : 'The first evaluation runs in the background right after a scorecard is saved.'}
              </Empty>
            }
          >
            <div class="level-bars">
              <For each={bars()}>
                {(b) => (
                  <button
                    type="button"
                    class={`level-bar ${drilledLevel() === b.level ? 'selected' : ''}`}
                    data-level={b.level}
                    aria-pressed={drilledLevel() === b.level}
                    onClick={() => open({ level: b.level })}
                    title={`List the entities at or below ${b.level}`}
                  >
                    <span class="level-name">{b.level}</span>
                    <span class="meter">
                      <span style={{ width: `${b.share * 100}%`, background: `var(--${b.tone})` }} />
                    </span>
                    <span class="level-count">
                      <strong data-testid="level-count">{b.count.toLocaleString()}</strong> ·{' '}
                      {percent(b.share)}
                    </span>
                  </button>
                )}
              </For>
            </div>
          </Show>
        </div>

        <div class="card" data-testid="scorecard-trend">
          <div class="card-header">
            <h3>Trend</h3>
            <span class="faint small">entities per level, last 30 days</span>
          </div>
          <div class="card-body">
            <Switch>
              <Match when={props.trend.error}>
                <ErrorState error={props.trend.error} retry={props.onRetryTrend} compact />
              </Match>
              <Match when={props.trend.loading && !props.trend()}>
                <div class="skeleton" style={{ height: '160px' }} />
              </Match>
              <Match when={props.trend()}>
                <TrendChart trend={props.trend()!} />
              </Match>
            </Switch>
          </div>
        </div>
      </div>

      <div class="card" data-testid="rule-rates" style={{ 'margin-bottom': 'var(--space-4)' }}>
        <div class="card-header">
          <h3>Rules</h3>
          <span class="faint small">{sc().rules.length} rules</span>
        </div>
        <div class="table-wrap">
          <table class="data">
            <thead>
              <tr>
                <th>Rule</th>
                <th>Level</th>
                <th>Passing</th>
                <th>Failing</th>
              </tr>
            </thead>
            <tbody>
              <For each={rates()}>
                {(r) => (
                  <tr data-rule={r.identifier}>
                    <td>
                      <span style={{ 'font-weight': 600 }}>{r.title}</span>
                      <span class="entity-id">{r.identifier}</span>
                    </td>
                    <td>
                      <span class={`badge ${r.tone}`}>{r.level}</span>
                    </td>
                    <td>
                      <div class="rate" title={`${r.passed} of ${r.passed + r.failed} pass`}>
                        <span class="meter">
                          <span
                            style={{
                              width: `${(r.rate ?? 0) * 100}%`,
                              background: 'var(--success)',
                            }}
                          />
                        </span>
                        <span data-testid="pass-rate">{percent(r.rate)}</span>
                      </div>
                    </td>
                    <td>
                      <button
                        type="button"
                        class={`btn small ${drill()?.kind === 'rule' && search.rule === r.identifier ? 'primary' : ''}`}
                        disabled={r.failed === 0}
                        onClick={() => open({ rule: r.identifier })}
                        data-testid="failing-button"
                      >
                        {r.failed.toLocaleString()} failing
                      </button>
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </div>

      <Show when={drill()}>
        <div ref={drillCard} style={{ 'margin-bottom': 'var(--space-4)' }}>
          <DrillDown
            scorecard={sc()}
            drill={drill()!}
            tone={tone}
            onClose={() => setSearch({ rule: undefined, level: undefined })}
          />
        </div>
      </Show>

      <div class="card" data-testid="level-changes">
        <div class="card-header">
          <h3>Recent level changes</h3>
        </div>
        <Show when={props.changes.error()}>
          <ErrorState error={props.changes.error()} retry={props.changes.reload} />
        </Show>
        <Show when={!props.changes.loaded() && props.changes.loading()}>
          <Loading label="Loading level changes…" />
        </Show>
        <Show when={props.changes.loaded() && props.changes.items().length === 0}>
          <div class="card-body faint">No entity has changed level yet.</div>
        </Show>
        <Show when={props.changes.items().length > 0}>
          <div class="table-wrap">
            <table class="data">
              <tbody>
                <For each={props.changes.items()}>
                  {(c) => {
                    const dir = changeDirection(sc().levels, c.from, c.to);
                    return (
                      <tr data-entity={c.entity}>
                        <td>
                          <EntityChip blueprint={c.blueprint} identifier={c.entity} />
                        </td>
                        <td>
                          <span class="row" style={{ gap: '6px' }}>
                            <Show when={c.from} fallback={<span class="faint small">first scored</span>}>
                              <span class={`badge ${tone(c.from!)}`}>{c.from}</span>
                              <Icon
                                name={dir === 'down' ? 'arrowDown' : 'arrowUp'}
                                size={13}
                                style={{ color: dir === 'down' ? 'var(--danger)' : 'var(--success)' }}
                              />
                            </Show>
                            <span class={`badge ${tone(c.to)}`}>{c.to}</span>
                          </span>
                        </td>
                        <td class="muted" title={formatDate(c.at).text}>
                          {formatDate(c.at).relative}
                        </td>
                      </tr>
                    );
                  }}
                </For>
              </tbody>
            </table>
          </div>
          <Show when={props.changes.hasMore()}>
            <div class="pager">
              <div class="grow" />
              <button
                type="button"
                class="btn small"
                disabled={props.changes.loading()}
                onClick={props.changes.loadMore}
              >
                {props.changes.loading() ? 'Loading…' : 'Load more'}
              </button>
            </div>
          </Show>
        </Show>
      </div>
    </>
  );
}
