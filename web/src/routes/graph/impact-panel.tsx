import { createResource, For, Show } from 'solid-js';
import { seg } from '../../api/client.ts';
import { type EntityRef, type ImpactResult, parseEntityKey } from '../../api/types.ts';
import { AggregateChart } from '../../components/aggregate-chart.tsx';
import { entityHref, KindDot } from '../../components/entity-chip.tsx';
import { useModel } from '../../model.tsx';
import { useApi } from '../../session.tsx';

type Ref = EntityRef;

/** The people side of a blast radius (`GET .../impact?include=owners,members,oncall`). */
type ImpactPeople = Pick<ImpactResult, 'summary' | 'truncated'>;

function RefList(props: { refs: (Ref & { entities?: number })[]; testId: string; empty: string }) {
  return (
    <ul class="stack" style={{ gap: '2px', 'list-style': 'none', padding: 0, margin: 0 }} data-testid={props.testId}>
      <For each={props.refs} fallback={<li class="faint small">{props.empty}</li>}>
        {(r) => (
          <li class="row" style={{ 'flex-wrap': 'nowrap' }}>
            <KindDot blueprint={r.blueprint} />
            <a class="truncate grow" href={entityHref(r.blueprint, r.identifier)}>
              {r.title ?? r.identifier}
            </a>
            <Show when={r.entities !== undefined}>
              <span class="faint small">{r.entities}</span>
            </Show>
          </li>
        )}
      </For>
    </ul>
  );
}

/**
 * Side panel of a blast radius: "affected: 43 services, 26 teams, 6 on-call", the lists of
 * teams and on-call people, and a chart of the affected entities by blueprint or owner.
 */
export function ImpactPanel(props: { root: string; depth: number; relations: string[] }) {
  const api = useApi();
  const model = useModel();
  const [data] = createResource(
    () => ({ root: props.root, depth: props.depth, relations: props.relations.join(',') }),
    (q) => {
      const { blueprint, identifier } = parseEntityKey(q.root);
      const params = new URLSearchParams({ direction: 'downstream', depth: String(q.depth), include: 'owners,members,oncall' });
      if (q.relations) params.set('relations', q.relations);
      return api.get<ImpactPeople>(`/api/v1/blueprints/${seg(blueprint)}/entities/${seg(identifier)}/impact?${params}`);
    },
  );
  const plural = (bp: string, n: number) => {
    const title = (model.get(bp)?.title ?? bp).toLowerCase();
    return n === 1 ? title : title.endsWith('s') ? `${title}es` : title.endsWith('y') ? `${title.slice(0, -1)}ies` : `${title}s`;
  };
  return (
    <div class="panel-section" data-testid="impact-panel">
      <Show when={data.error}>
        <div class="faint small">People of the blast radius are not available: {String((data.error as Error)?.message ?? '')}</div>
      </Show>
      <Show when={data()}>
        {(d) => (
          <>
            <div data-testid="impact-affected">
              <strong>affected:</strong>{' '}
              {[
                ...Object.entries(d().summary.byBlueprint)
                  .sort((a, b) => b[1] - a[1])
                  .map(([bp, n]) => `${n} ${plural(bp, n)}`),
                `${d().summary.teams.length} ${d().summary.teams.length === 1 ? 'team' : 'teams'}`,
                `${d().summary.onCall.length} on-call`,
              ].join(', ')}
            </div>
            <h4 style={{ 'margin-top': 'var(--space-2)' }}>Teams</h4>
            <RefList refs={d().summary.teams} testId="impact-teams" empty="No owners found." />
            <h4 style={{ 'margin-top': 'var(--space-2)' }}>On call</h4>
            <RefList refs={d().summary.onCall} testId="impact-oncall" empty="Nobody on call found." />
          </>
        )}
      </Show>
      <AggregateChart
        testId="impact-chart"
        title="Affected"
        scope={() => {
          const { blueprint, identifier } = parseEntityKey(props.root);
          return {
            impact: {
              blueprint,
              identifier,
              direction: 'downstream',
              depth: props.depth,
              ...(props.relations.length ? { relations: props.relations } : {}),
            },
          };
        }}
        groupings={[
          { value: 'blueprint', label: 'by kind' },
          ...((model.blueprints() ?? []).some((b) => b.relations?.ownedBy) ? [{ value: 'relation:ownedBy', label: 'by owner' }] : []),
        ]}
      />
    </div>
  );
}
