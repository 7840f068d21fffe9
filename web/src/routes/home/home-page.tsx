import { A, useNavigate } from '@solidjs/router';
import { createMemo, createResource, For, Show } from 'solid-js';
import { seg } from '../../api/client.ts';
import { EntityChip, entityHref, KindDot } from '../../components/entity-chip.tsx';
import { EntityPicker } from '../../components/entity-picker.tsx';
import { count } from '../../components/plural.ts';
import { ErrorState } from '../../components/states.tsx';
import { useModel } from '../../model.tsx';
import { useApi } from '../../session.tsx';
import type { MeSummary } from './me-summary.ts';
import { OrganisationOverview } from './overview.tsx';
import './home.css';

/**
 * The home page after sign-in: the caller's teams and what they own, recent changes, scorecard
 * levels and the rules failing most, open incidents and vulnerabilities, and a search box (one
 * request, `GET /api/v1/me/summary`). Callers without a team in the catalog (an admin, say) get
 * the organisation overview; everyone gets it below their own part.
 */
export function HomePage() {
  const api = useApi();
  const model = useModel();
  const navigate = useNavigate();
  const [summary] = createResource(() => api.get<MeSummary>('/api/v1/me/summary'));
  const titleOf = (id: string) => model.get(id)?.title || id;
  const mine = () => (summary()?.teams.length ?? 0) > 0;
  const scorecardIds = createMemo(() => [
    ...new Set((summary()?.failingRules ?? []).map((r) => r.scorecard)),
  ]);
  // Rule titles for the failing rules: one read per scorecard named (usually one).
  const [ruleTitles] = createResource(scorecardIds, async (ids) => {
    const titles: Record<string, string> = {};
    await Promise.all(
      ids.map(async (id) => {
        try {
          const sc = await api.get<{ title?: string; rules: { identifier: string; title?: string }[] }>(
            `/api/v1/scorecards/${seg(id)}`,
          );
          titles[id] = sc.title ?? id;
          for (const r of sc.rules) titles[`${id}/${r.identifier}`] = r.title ?? r.identifier;
        } catch {
          // A scorecard the caller cannot read keeps its identifiers.
        }
      }),
    );
    return titles;
  });
  const levelsByScorecard = createMemo(() => {
    const out = new Map<string, { level: string; count: number }[]>();
    for (const l of summary()?.levels ?? []) out.set(l.scorecard, [...(out.get(l.scorecard) ?? []), l]);
    return [...out.entries()];
  });
  const allKinds = () => (model.blueprints() ?? []).map((b) => b.identifier);

  return (
    <div class="page home" data-testid="home-page">
      <div class="page-header">
        <div class="titles">
          <h1>
            <Show when={summary()?.user.name} fallback="Home">
              Hello, {summary()?.user.name}
            </Show>
          </h1>
          <div class="subtitle">
            <Show when={mine()} fallback="Everything your organisation runs, and how it connects.">
              {count(summary()?.owned.total ?? 0, 'entity', 'entities')} owned by{' '}
              {summary()?.teams.length === 1 ? 'your team' : `your ${summary()?.teams.length} teams`}.
            </Show>
          </div>
        </div>
      </div>
      <div class="home-search" data-testid="home-search">
        <Show when={allKinds().length > 0}>
          <EntityPicker
            id="home-search-input"
            blueprints={allKinds()}
            placeholder="Search the catalog: services, teams, people…"
            onPick={(key) => {
              const i = key.indexOf(':');
              navigate(entityHref(key.slice(0, i), key.slice(i + 1)));
            }}
          />
        </Show>
      </div>
      <Show when={summary.error}>
        <ErrorState error={summary.error} compact />
      </Show>
      <Show when={mine() && summary()}>
        {(s) => (
          <div class="home-grid" data-testid="home-me">
            <section class="card home-card" data-testid="my-teams">
              <h3>Your teams</h3>
              <ul class="home-list">
                <For each={s().teams}>
                  {(t) => (
                    <li>
                      <EntityChip blueprint={t.blueprint} identifier={t.identifier} title={t.title} />
                      <span class="faint small">owns {count(t.owned, 'entity', 'entities')}</span>
                    </li>
                  )}
                </For>
              </ul>
              <Show when={s().owned.byBlueprint.length > 0}>
                <h4>What you own</h4>
                <div class="home-kinds" data-testid="owned-kinds">
                  <For each={s().owned.byBlueprint}>
                    {(k) => (
                      <A class="home-kind" href={`/catalog/${seg(k.blueprint)}`}>
                        <KindDot blueprint={k.blueprint} />
                        <strong>{k.count.toLocaleString()}</strong> {titleOf(k.blueprint)}
                      </A>
                    )}
                  </For>
                </div>
              </Show>
            </section>

            <section class="card home-card" data-testid="my-signals">
              <h3>Open incidents and vulnerabilities</h3>
              <Show
                when={s().signals.length > 0}
                fallback={<p class="faint">Nothing open on what your teams own.</p>}
              >
                <For each={s().signals}>
                  {(sig) => (
                    <div class="home-signal">
                      <h4>
                        <KindDot blueprint={sig.blueprint} />{' '}
                        {count(sig.count, `open ${titleOf(sig.blueprint).toLowerCase()}`)}
                      </h4>
                      <ul class="home-list">
                        <For each={sig.top}>
                          {(x) => (
                            <li>
                              <Show when={x.severity}>
                                <span
                                  class={`badge ${/sev1|critical/.test(x.severity ?? '') ? 'danger' : ''}`}
                                >
                                  {x.severity}
                                </span>
                              </Show>
                              <A href={entityHref(x.blueprint, x.identifier)} class="truncate">
                                {x.title || x.identifier}
                              </A>
                              <span class="faint small">{x.status}</span>
                            </li>
                          )}
                        </For>
                      </ul>
                    </div>
                  )}
                </For>
              </Show>
            </section>

            <section class="card home-card" data-testid="my-scorecards">
              <h3>Scorecards</h3>
              <Show
                when={levelsByScorecard().length > 0}
                fallback={<p class="faint">No scorecard covers what your teams own.</p>}
              >
                <For each={levelsByScorecard()}>
                  {([scorecard, levels]) => (
                    <div class="home-levels">
                      <A href={`/scorecards/${seg(scorecard)}`}>{ruleTitles()?.[scorecard] ?? scorecard}</A>
                      <div class="home-level-row">
                        <For each={levels}>
                          {(l) => (
                            <span class="badge">
                              {l.level} · {l.count.toLocaleString()}
                            </span>
                          )}
                        </For>
                      </div>
                    </div>
                  )}
                </For>
                <Show when={s().failingRules.length > 0}>
                  <h4>Rules failing most</h4>
                  <ul class="home-list" data-testid="failing-rules">
                    <For each={s().failingRules}>
                      {(r) => (
                        <li>
                          <A
                            href={`/scorecards/${seg(r.scorecard)}?rule=${encodeURIComponent(r.rule)}`}
                            class="truncate"
                          >
                            {ruleTitles()?.[`${r.scorecard}/${r.rule}`] ?? r.rule}
                          </A>
                          <span class="faint small">{count(r.failing, 'failing', 'failing')}</span>
                        </li>
                      )}
                    </For>
                  </ul>
                </Show>
              </Show>
            </section>

            <section class="card home-card" data-testid="my-recent">
              <h3>Recent changes</h3>
              <Show when={s().recent.length > 0} fallback={<p class="faint">No changes yet.</p>}>
                <ul class="home-list">
                  <For each={s().recent}>
                    {(e) => (
                      <li>
                        <EntityChip blueprint={e.blueprint} identifier={e.identifier} title={e.title} />
                        <span class="faint small" title={e.updatedAt ?? ''}>
                          {e.updatedAt ? new Date(e.updatedAt).toLocaleString() : ''}
                          {e.updatedBy ? ` by ${e.updatedBy}` : ''}
                        </span>
                      </li>
                    )}
                  </For>
                </ul>
              </Show>
            </section>
          </div>
        )}
      </Show>
      <OrganisationOverview embedded />
    </div>
  );
}
