import { A } from '@solidjs/router';
import { createResource, For, Show } from 'solid-js';
import { seg } from '../../api/client.ts';
import { formatDate } from '../../components/property-value.tsx';
import { ErrorState } from '../../components/states.tsx';
import { useApi } from '../../session.tsx';
import { levelTone, nextGoal, percent, rulesByLevel } from '../scorecards/scorecard-stats.ts';
import type { EntityScorecard } from '../scorecards/scorecard-types.ts';
import '../scorecards/scorecards.css';

/**
 * Where an entity stands on every scorecard that scores it: its level, what to fix to reach
 * the next one, and each rule by level. Reloads when `version` (the entity's last update)
 * changes; scorecards re-evaluate in the background, so "Refresh" picks up a late result.
 */
export function ScorecardsPanel(props: { blueprint: string; identifier: string; version?: string }) {
  const api = useApi();
  const [scores, { refetch }] = createResource(
    () => ({ b: props.blueprint, i: props.identifier, v: props.version }),
    async ({ b, i }) =>
      (
        await api.get<{ scorecards: EntityScorecard[] }>(
          `/api/v1/blueprints/${seg(b)}/entities/${seg(i)}/scorecards`,
        )
      ).scorecards,
  );
  return (
    <div class="card" data-testid="entity-scorecards">
      <div class="card-header">
        <h3>Scorecards</h3>
        <Show when={scores.loading}>
          <div class="spinner" />
        </Show>
        <button
          type="button"
          class="btn ghost small"
          onClick={() => void refetch()}
          data-testid="refresh-scorecards"
        >
          Refresh
        </button>
      </div>
      <Show when={scores.error}>
        <ErrorState error={scores.error} retry={refetch} />
      </Show>
      <Show when={!scores.error && scores.latest === undefined}>
        <div class="card-body">
          <div class="skeleton" style={{ width: '60%' }} />
          <div class="skeleton" style={{ width: '80%', 'margin-top': '8px' }} />
        </div>
      </Show>
      <Show when={!scores.error && scores.latest?.length === 0}>
        <div class="card-body faint small">
          No scorecard measures this kind of entity yet. <A href="/scorecards">See the scorecards</A>.
        </div>
      </Show>
      <For each={scores.error ? [] : (scores.latest ?? [])}>{(sc) => <ScorecardEntry sc={sc} />}</For>
    </div>
  );
}

function ScorecardEntry(props: { sc: EntityScorecard }) {
  const sc = () => props.sc;
  const index = () => sc().levels.indexOf(sc().level);
  const goal = () => nextGoal(sc());
  return (
    <div class="scorecard-entry" data-scorecard={sc().identifier}>
      <div class="scorecard-entry-title">
        <A href={`/scorecards/${seg(sc().identifier)}`} class="grow">
          {sc().title || sc().identifier}
        </A>
        <span
          class={`badge ${levelTone(index(), sc().levels.length)}`}
          data-testid="scorecard-level"
          title={`Level ${index() + 1} of ${sc().levels.length}: ${sc().levels.join(' → ')}`}
        >
          {sc().level}
        </span>
        <span class="faint small" title={`Evaluated ${formatDate(sc().evaluatedAt).text}`}>
          {percent(sc().score)}
        </span>
      </div>
      <Show
        when={goal()}
        fallback={
          <div class="next-goal" data-testid="next-goal">
            Top level reached: every rule passes.
          </div>
        }
      >
        <div class="next-goal" data-testid="next-goal">
          To reach <span class={`badge ${goal()!.tone}`}>{goal()!.level}</span>, fix:
          <ul>
            <For each={goal()!.failing}>
              {(r) => <li data-rule={r.identifier}>{r.title || r.identifier}</li>}
            </For>
          </ul>
        </div>
      </Show>
      <For each={rulesByLevel(sc())}>
        {(g) => (
          <div class="rule-group" data-level={g.level}>
            <div class="rule-group-title">
              <span class={`badge ${g.tone}`}>{g.level}</span>
              {g.reached ? 'reached' : `${g.rules.filter((r) => r.passed).length} of ${g.rules.length} pass`}
            </div>
            <For each={g.rules}>
              {(r) => (
                <div
                  class={`rule-item ${r.passed ? 'passed' : 'failed'}`}
                  data-rule={r.identifier}
                  data-passed={r.passed ? 'true' : 'false'}
                >
                  <span class="mark" title={r.passed ? 'passes' : 'fails'}>
                    {r.passed ? '✓' : '✗'}
                  </span>
                  <span>{r.title || r.identifier}</span>
                </div>
              )}
            </For>
          </div>
        )}
      </For>
    </div>
  );
}
