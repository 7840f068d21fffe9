import { Show } from 'solid-js';
import type { Blueprint } from '../../api/types.ts';
import { AggregateChart } from '../../components/aggregate-chart.tsx';

/** What a blueprint's entities can be grouped by: enum, boolean and integer properties, then relations. */
export function groupingsOf(bp: Blueprint): { value: string; label: string }[] {
  const out: { value: string; label: string }[] = [];
  for (const [name, p] of Object.entries(bp.schema.properties)) {
    if (p.enum || p.type === 'boolean' || p.type === 'integer' || (p.type === 'array' && p.items?.type === 'string')) {
      out.push({ value: `property:${name}`, label: `by ${p.title ?? name}` });
    }
  }
  for (const [name, r] of Object.entries(bp.relations ?? {})) out.push({ value: `relation:${name}`, label: `by ${r.title ?? name}` });
  return out;
}

/** A folded chart under the catalog table: the blueprint's entities counted per group (what the caller may read). */
export function CatalogChart(props: { blueprint: Blueprint }) {
  return (
    <Show when={props.blueprint} keyed>
      {(bp) => (
        <Show when={groupingsOf(bp).length > 0}>
          <details style={{ margin: 'var(--space-3) var(--space-4)' }} data-testid="catalog-chart">
            <summary>Chart</summary>
            <AggregateChart title={bp.title || bp.identifier} scope={() => ({ blueprint: bp.identifier })} groupings={groupingsOf(bp)} />
          </details>
        </Show>
      )}
    </Show>
  );
}
