import { A } from '@solidjs/router';
import { createMemo, For, Show } from 'solid-js';
import { seg } from '../../api/client.ts';
import { entityHref } from '../../components/entity-chip.tsx';
import { Icon } from '../../components/icons.tsx';
import { Empty, ErrorState, SkeletonRows } from '../../components/states.tsx';
import { useApi } from '../../session.tsx';
import { createCursorList } from './create-cursor-list.ts';
import { type Drill, matchesDrill, percent, resultsQuery } from './scorecard-stats.ts';
import type { ResultsPage, Scorecard, ScoreResultRow } from './scorecard-types.ts';

const pageSize = 50;

/** The entities of a drill-down, page by page through the results cursor. */
export function DrillDown(props: {
  scorecard: Scorecard;
  drill: Drill;
  tone: (level: string) => string;
  onClose: () => void;
}) {
  const api = useApi();
  const sc = () => props.scorecard;
  const titles = () => new Map(sc().rules.map((r) => [r.identifier, r.title || r.identifier]));
  const rule = () => {
    const d = props.drill;
    return d.kind === 'rule' ? sc().rules.find((r) => r.identifier === d.rule) : undefined;
  };
  const level = () => (props.drill.kind === 'level' ? props.drill.level : '');
  // A new key per drill-down (and per scorecard) starts the list over.
  const key = createMemo(() => ({ id: sc().identifier, drill: props.drill }), undefined, {
    equals: (a, b) => a.id === b.id && JSON.stringify(a.drill) === JSON.stringify(b.drill),
  });
  const results = createCursorList(key, async ({ id, drill }, cursor) => {
    // A rule's failures are a filtered subset of each page: read on until a page's worth is
    // found (or ten pages were read), so "load more" never shows an empty step.
    const found: ScoreResultRow[] = [];
    let next = cursor;
    for (let pages = 0; pages < 10; pages++) {
      const page = await api.get<ResultsPage>(
        `/api/v1/scorecards/${seg(id)}/results?${resultsQuery(sc(), drill, next, pageSize)}`,
      );
      found.push(...page.results.filter((r) => matchesDrill(r, drill)));
      next = page.next;
      if (!next || found.length >= pageSize) break;
    }
    return { items: found, next };
  });

  return (
    <div class="card" data-testid="drill-down">
      <div class="card-header">
        <h3 data-testid="drill-title">
          <Show
            when={rule()}
            fallback={
              <>
                Entities at or below <span class={`badge ${props.tone(level())}`}>{level()}</span>
              </>
            }
          >
            Failing “{rule()!.title || rule()!.identifier}”{' '}
            <span class={`badge ${props.tone(rule()!.level)}`}>{rule()!.level}</span>
          </Show>
        </h3>
        <button type="button" class="btn icon ghost" onClick={props.onClose} aria-label="Close the list">
          <Icon name="x" />
        </button>
      </div>
      <Show when={results.error()}>
        <ErrorState error={results.error()} retry={results.reload} />
      </Show>
      <Show when={!results.error()}>
        <div class="table-wrap">
          <table class="data">
            <thead>
              <tr>
                <th>Entity</th>
                <th>Level</th>
                <th>Score</th>
                <th>Failing rules</th>
              </tr>
            </thead>
            <tbody>
              <Show when={results.loaded()} fallback={<SkeletonRows rows={4} columns={4} />}>
                <For each={results.items()}>
                  {(r) => (
                    <tr data-entity={r.entity}>
                      <td style={{ 'min-width': '200px' }}>
                        <A class="entity-link" href={entityHref(r.blueprint, r.entity)}>
                          {r.title || r.entity}
                        </A>
                        <Show when={r.title}>
                          <span class="entity-id">{r.entity}</span>
                        </Show>
                      </td>
                      <td>
                        <span class={`badge ${props.tone(r.level)}`}>{r.level}</span>
                      </td>
                      <td class="mono">{percent(r.score)}</td>
                      <td>
                        <span class="row" style={{ gap: '4px' }}>
                          <For
                            each={r.rules.filter((x) => !x.passed)}
                            fallback={<span class="faint">none</span>}
                          >
                            {(x) => <span class="badge">{titles().get(x.identifier) ?? x.identifier}</span>}
                          </For>
                        </span>
                      </td>
                    </tr>
                  )}
                </For>
              </Show>
            </tbody>
          </table>
        </div>
        <Show when={results.loaded() && results.items().length === 0 && !results.hasMore()}>
          <Empty
            title={
              props.drill.kind === 'rule' ? 'No entity fails this rule' : 'No entity at or below this level'
            }
          />
        </Show>
        <div class="pager">
          <span data-testid="drill-count">
            {results.loaded() ? `${results.items().length.toLocaleString()} shown` : 'Loading…'}
          </span>
          <div class="grow" />
          <Show when={results.hasMore()}>
            <button
              type="button"
              class="btn small"
              disabled={results.loading()}
              onClick={results.loadMore}
              data-testid="load-more"
            >
              {results.loading() ? 'Loading…' : 'Load more'}
            </button>
          </Show>
        </div>
      </Show>
    </div>
  );
}
