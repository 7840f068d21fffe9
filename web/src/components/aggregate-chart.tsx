import { createResource, createSignal, For, Show } from 'solid-js';
import { useApi } from '../session.tsx';

/** A group of `POST /api/v1/search/aggregate`. */
export interface AggregateGroup {
  key: unknown;
  title?: string | null;
  blueprint?: string;
  count: number;
}

/** The part of an aggregation request the chart does not choose: the search or the impact. */
export type AggregateScope =
  | { blueprint?: string; rules?: unknown[] }
  | { blueprint?: string; impact: { blueprint: string; identifier: string; direction?: string; depth?: number; relations?: string[] } };

/** Label of a group: the related entity's title, the value, or "(none)". */
export function groupLabel(g: AggregateGroup): string {
  if (g.key === null || g.key === undefined) return '(none)';
  return g.title ?? String(g.key);
}

/**
 * Horizontal bars of an aggregation (plain SVG): the entities of a search or blast radius
 * counted per blueprint, property value or related entity, the biggest groups first.
 */
export function AggregateChart(props: {
  scope: () => AggregateScope;
  /** Choices of `groupBy` (`blueprint`, `property:x`, `relation:y`) with their labels. */
  groupings: { value: string; label: string }[];
  title?: string;
  limit?: number;
  testId?: string;
}) {
  const api = useApi();
  const [groupBy, setGroupBy] = createSignal(props.groupings[0]?.value ?? 'blueprint');
  const [data] = createResource(
    () => ({ scope: props.scope(), groupBy: groupBy() }),
    (q) =>
      api.post<{ groups: AggregateGroup[]; total: number }>('/api/v1/search/aggregate', {
        ...q.scope,
        groupBy: q.groupBy,
        metrics: ['count'],
        sort: '-count',
        limit: props.limit ?? 12,
      }),
  );
  const max = () => Math.max(1, ...(data()?.groups ?? []).map((g) => g.count));
  const barHeight = 18;
  const labelWidth = 140;
  const width = 320;
  return (
    <div class="panel-section" data-testid={props.testId ?? 'aggregate-chart'}>
      <div class="row" style={{ 'justify-content': 'space-between' }}>
        <h4>{props.title ?? 'Breakdown'}</h4>
        <select
          class="input small"
          aria-label="Group by"
          data-testid="aggregate-group-by"
          onChange={(e) => setGroupBy(e.currentTarget.value)}
        >
          <For each={props.groupings}>
            {(g) => (
              <option value={g.value} selected={g.value === groupBy()}>
                {g.label}
              </option>
            )}
          </For>
        </select>
      </div>
      <Show when={data.error}>
        <div class="faint small">Cannot aggregate: {String((data.error as Error)?.message ?? data.error)}</div>
      </Show>
      <Show when={data()}>
        {(d) => (
          <>
            <div class="faint small" data-testid="aggregate-total">
              {d().total} {d().total === 1 ? 'entity' : 'entities'}
            </div>
            <svg
              role="img"
              aria-label={`${props.title ?? 'Breakdown'} by ${groupBy()}`}
              width="100%"
              viewBox={`0 0 ${width} ${Math.max(1, d().groups.length) * (barHeight + 4)}`}
              style={{ 'max-width': `${width}px` }}
            >
              <For each={d().groups}>
                {(g, i) => {
                  const y = () => i() * (barHeight + 4);
                  const w = () => ((width - labelWidth - 36) * g.count) / max();
                  return (
                    <g data-testid="aggregate-bar" data-key={String(g.key)} data-count={g.count}>
                      <text x={0} y={y() + barHeight - 5} font-size="11" fill="currentColor">
                        {groupLabel(g).length > 22 ? `${groupLabel(g).slice(0, 21)}…` : groupLabel(g)}
                      </text>
                      <rect x={labelWidth} y={y()} width={Math.max(1, w())} height={barHeight} rx={3} fill="var(--accent, #4f6bed)" />
                      <text x={labelWidth + w() + 4} y={y() + barHeight - 5} font-size="11" fill="currentColor">
                        {g.count}
                      </text>
                    </g>
                  );
                }}
              </For>
            </svg>
          </>
        )}
      </Show>
    </div>
  );
}
