import { createMemo, For, Show } from 'solid-js';
import { levelTone, trendColumns } from './scorecard-stats.ts';
import type { ScorecardTrend } from './scorecard-types.ts';

/** Entities per level per day as stacked columns, in plain SVG. */
export function TrendChart(props: { trend: ScorecardTrend }) {
  const width = 560;
  const height = 140;
  const chart = createMemo(() => trendColumns(props.trend, { width, height, gap: 6 }));
  const last = () => chart().columns[chart().columns.length - 1];
  const legend = () =>
    props.trend.levels.map((level, i) => ({ level, tone: levelTone(i, props.trend.levels.length) }));
  return (
    <Show
      when={chart().columns.length > 0}
      fallback={
        <div class="faint small">
          No daily results yet: a column appears for each day the scorecard is evaluated.
        </div>
      }
    >
      <svg
        class="trend-chart"
        viewBox={`0 -10 ${width} ${height + 26}`}
        role="img"
        aria-label={`Entities per level over ${chart().columns.length} days`}
        data-days={chart().columns.length}
      >
        <line class="axis" x1={0} x2={width} y1={height} y2={height} />
        <text x={0} y={-1}>
          {chart().max.toLocaleString()}
        </text>
        <For each={chart().columns}>
          {(col) => (
            <g data-day={col.day}>
              <title>
                {`${col.day}: ${col.segments.map((s) => `${s.level} ${s.count}`).join(', ')} (${col.total} entities)`}
              </title>
              <For each={col.segments}>
                {(s) => (
                  <rect
                    x={col.x}
                    y={s.y}
                    width={col.width}
                    height={Math.max(0, s.height - 1)}
                    rx={2}
                    style={{ fill: `var(--${s.tone})` }}
                  />
                )}
              </For>
            </g>
          )}
        </For>
        {/* Dates under the first and last columns. */}
        <text x={chart().columns[0].x} y={height + 14}>
          {chart().columns[0].day}
        </text>
        <Show when={chart().columns.length > 1}>
          <text x={last().x + last().width} y={height + 14} text-anchor="end">
            {last().day}
          </text>
        </Show>
      </svg>
      <div class="legend-row" style={{ 'margin-top': 'var(--space-2)' }}>
        <For each={legend()}>
          {(l) => (
            <span>
              <span class="swatch" style={{ background: `var(--${l.tone})` }} />
              {l.level}
            </span>
          )}
        </For>
      </div>
    </Show>
  );
}
