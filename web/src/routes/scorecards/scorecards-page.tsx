import { A } from '@solidjs/router';
import { createResource, For, Show } from 'solid-js';
import { seg } from '../../api/client.ts';
import { KindDot } from '../../components/entity-chip.tsx';
import { formatDate } from '../../components/property-value.tsx';
import { Empty, ErrorState, SkeletonRows } from '../../components/states.tsx';
import { useModel } from '../../model.tsx';
import { useApi } from '../../session.tsx';
import { levelDistribution, percent } from './scorecard-stats.ts';
import type { Scorecard } from './scorecard-types.ts';
import './scorecards.css';

/** Every scorecard with its kind, size and level distribution at a glance. */
export function ScorecardsPage() {
  const api = useApi();
  const model = useModel();
  const [list, { refetch }] = createResource(async () => {
    const { scorecards } = await api.get<{ scorecards: Scorecard[] }>('/api/v1/scorecards');
    return scorecards.sort((a, b) => (a.title || a.identifier).localeCompare(b.title || b.identifier));
  });

  return (
    <div class="page" data-testid="scorecards-page">
      <div class="page-header">
        <div class="titles">
          <h1>Scorecards</h1>
          <div class="subtitle">
            The standards each kind of entity is held to, in levels, and how the catalog measures up.
          </div>
        </div>
      </div>
      <Show when={list.error}>
        <ErrorState error={list.error} retry={refetch} />
      </Show>
      <Show when={!list.error}>
        <div class="card">
          <Show
            when={!list.latest || list.latest.length > 0}
            fallback={
              <Empty title="No scorecards yet">
                A scorecard names a blueprint, its levels and the rules of each level. Create one with{' '}
                <span class="mono">POST /api/v1/scorecards</span> or <span class="mono">plexus apply</span>.
                Its results appear here after the first evaluation.
              </Empty>
            }
          >
            <div class="table-wrap">
              <table class="data" data-testid="scorecards-table">
                <thead>
                  <tr>
                    <th>Scorecard</th>
                    <th>Kind</th>
                    <th>Entities</th>
                    <th>Levels</th>
                    <th>Evaluated</th>
                  </tr>
                </thead>
                <tbody>
                  <Show when={list.latest} fallback={<SkeletonRows rows={4} columns={5} />}>
                    <For each={list.latest}>
                      {(sc) => {
                        const bars = () => levelDistribution(sc.levels, sc.status?.levels ?? []);
                        const evaluated = () =>
                          sc.status?.evaluatedAt ? formatDate(sc.status.evaluatedAt).relative : 'not yet';
                        return (
                          <tr data-scorecard={sc.identifier}>
                            <td style={{ 'min-width': '220px' }}>
                              <A class="entity-link" href={`/scorecards/${seg(sc.identifier)}`}>
                                {sc.title || sc.identifier}
                              </A>
                              <span class="entity-id">{sc.identifier}</span>
                            </td>
                            <td>
                              <A href={`/catalog/${sc.blueprint}`} class="row" style={{ gap: '6px' }}>
                                <KindDot blueprint={sc.blueprint} />
                                {model.get(sc.blueprint)?.title ?? sc.blueprint}
                              </A>
                            </td>
                            <td class="mono">{(sc.status?.entities ?? 0).toLocaleString()}</td>
                            <td>
                              <div
                                class="stacked-bar"
                                title={bars()
                                  .map((b) => `${b.level}: ${b.count} (${percent(b.share)})`)
                                  .join('\n')}
                              >
                                <For each={bars().filter((b) => b.count > 0)}>
                                  {(b) => (
                                    <span
                                      data-level={b.level}
                                      style={{ width: `${b.share * 100}%`, background: `var(--${b.tone})` }}
                                    />
                                  )}
                                </For>
                              </div>
                              <div class="faint small" style={{ 'margin-top': '4px' }}>
                                {sc.levels.join(' · ')}
                              </div>
                            </td>
                            <td class="muted">{evaluated()}</td>
                          </tr>
                        );
                      }}
                    </For>
                  </Show>
                </tbody>
              </table>
            </div>
          </Show>
        </div>
      </Show>
    </div>
  );
}
