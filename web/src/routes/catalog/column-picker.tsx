import { For } from 'solid-js';
import type { ColumnDef } from './table-query.ts';

/** Checkboxes for the columns a table shows, grouped by kind; order follows the clicks. */
export function ColumnPicker(props: {
  columns: ColumnDef[];
  selected: string[];
  onChange: (next: string[]) => void;
  onReset: () => void;
}) {
  const groups = () => [
    {
      name: 'Properties',
      cols: props.columns.filter((c) => c.kind === 'property' || c.kind === 'calculated'),
    },
    { name: 'Relations', cols: props.columns.filter((c) => c.kind === 'relation') },
    { name: 'Incoming relations', cols: props.columns.filter((c) => c.kind === 'inverse') },
    { name: 'Catalog', cols: props.columns.filter((c) => c.kind === 'meta') },
  ];
  const toggle = (key: string, on: boolean) =>
    props.onChange(on ? [...props.selected, key] : props.selected.filter((k) => k !== key));
  return (
    <div style={{ width: '300px' }} data-testid="column-picker">
      <For each={groups().filter((g) => g.cols.length > 0)}>
        {(g) => (
          <>
            <h4>{g.name}</h4>
            <For each={g.cols}>
              {(c) => (
                <label class="menu-item">
                  <input
                    type="checkbox"
                    checked={props.selected.includes(c.key)}
                    onChange={(e) => toggle(c.key, e.currentTarget.checked)}
                  />
                  <span class="grow truncate">{c.title}</span>
                  <span class="faint mono small">{c.key}</span>
                </label>
              )}
            </For>
          </>
        )}
      </For>
      <div
        style={{
          padding: 'var(--space-2)',
          'border-top': '1px solid var(--border)',
          'margin-top': 'var(--space-2)',
        }}
      >
        <button type="button" class="btn small ghost" onClick={props.onReset}>
          Reset to default columns
        </button>
      </div>
    </div>
  );
}
