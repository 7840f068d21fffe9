import { createMemo, createSignal, For, Match, Show, Switch } from 'solid-js';
import { EntityPicker } from '../../components/entity-picker.tsx';
import type { ColumnDef, FilterOp, ViewFilter } from './table-query.ts';
import { operatorsFor } from './table-query.ts';

/** Human text of a filter, for its chip: "Owner is payments". */
export function describeFilter(f: ViewFilter, cols: ColumnDef[]): string {
  const col = cols.find((c) => c.key === f.field);
  const op = col ? operatorsFor(col).find((o) => o.op === f.op) : undefined;
  const value = f.label ?? (typeof f.value === 'boolean' ? (f.value ? 'yes' : 'no') : f.value);
  return [
    col?.title ?? f.field,
    op?.label ?? f.op,
    op?.needsValue === false ? '' : `“${String(value ?? '')}”`,
  ]
    .filter(Boolean)
    .join(' ');
}

/** The form inside the "Filter" popover: field, operator, value (a picker for related entities). */
export function FilterBuilder(props: { columns: ColumnDef[]; onAdd: (f: ViewFilter) => void }) {
  const [field, setField] = createSignal(props.columns[0]?.key ?? '');
  const col = createMemo(() => props.columns.find((c) => c.key === field()));
  const ops = createMemo(() => (col() ? operatorsFor(col()!) : []));
  const [op, setOp] = createSignal<FilterOp>('contains');
  const [value, setValue] = createSignal('');
  const currentOp = () => (ops().some((o) => o.op === op()) ? op() : (ops()[0]?.op ?? 'eq'));
  const needsValue = () => ops().find((o) => o.op === currentOp())?.needsValue ?? true;
  const isRelation = () => col()?.kind === 'relation' || col()?.kind === 'inverse';

  const add = (v?: string, label?: string) => {
    const c = col();
    if (!c) return;
    let parsed: string | number | boolean | undefined = v ?? value();
    if (!needsValue()) parsed = undefined;
    else if (c.schema?.type === 'boolean') parsed = parsed === 'true';
    else if ((c.schema?.type === 'integer' || c.schema?.type === 'number') && parsed !== '')
      parsed = Number(parsed);
    if (
      needsValue() &&
      (parsed === '' || parsed === undefined || (typeof parsed === 'number' && Number.isNaN(parsed)))
    )
      return;
    props.onAdd({
      field: c.key,
      op: currentOp(),
      ...(parsed === undefined ? {} : { value: parsed }),
      ...(label ? { label } : {}),
    });
    setValue('');
  };

  const groups = () => [
    { name: 'Fields', cols: props.columns.filter((c) => c.kind === 'meta' || c.kind === 'property') },
    { name: 'Relations', cols: props.columns.filter((c) => c.kind === 'relation') },
    { name: 'Incoming relations', cols: props.columns.filter((c) => c.kind === 'inverse') },
  ];

  return (
    <form
      class="stack"
      style={{ gap: 'var(--space-3)', padding: 'var(--space-2)', width: '320px' }}
      onSubmit={(e) => {
        e.preventDefault();
        add();
      }}
      data-testid="filter-builder"
    >
      <div class="field">
        <label for="filter-field">Field</label>
        <select
          id="filter-field"
          class="select"
          value={field()}
          onChange={(e) => setField(e.currentTarget.value)}
        >
          <For each={groups().filter((g) => g.cols.length > 0)}>
            {(g) => (
              <optgroup label={g.name}>
                <For each={g.cols}>{(c) => <option value={c.key}>{c.title}</option>}</For>
              </optgroup>
            )}
          </For>
        </select>
      </div>
      <div class="field">
        <label for="filter-op">Condition</label>
        <select
          id="filter-op"
          class="select"
          value={currentOp()}
          onChange={(e) => setOp(e.currentTarget.value as FilterOp)}
        >
          <For each={ops()}>{(o) => <option value={o.op}>{o.label}</option>}</For>
        </select>
      </div>
      <Show when={needsValue()}>
        <div class="field">
          <label for="filter-value">Value</label>
          <Switch
            fallback={
              <input
                id="filter-value"
                class="input"
                type={
                  col()?.schema?.type === 'integer' || col()?.schema?.type === 'number' ? 'number' : 'text'
                }
                value={value()}
                onInput={(e) => setValue(e.currentTarget.value)}
                placeholder="Value"
              />
            }
          >
            <Match when={isRelation()}>
              <EntityPicker
                id="filter-value"
                blueprints={col()?.targets ?? []}
                onPick={(key, label) => add(key, label)}
                placeholder="Search the related entity…"
              />
              <span class="field-hint">Pick an entity to add the filter.</span>
            </Match>
            <Match when={col()?.schema?.enum}>
              <select
                id="filter-value"
                class="select"
                value={value()}
                onChange={(e) => setValue(e.currentTarget.value)}
              >
                <option value="">Choose…</option>
                <For each={col()?.schema?.enum ?? []}>
                  {(v) => <option value={String(v)}>{String(v)}</option>}
                </For>
              </select>
            </Match>
            <Match when={col()?.schema?.type === 'boolean'}>
              <select
                id="filter-value"
                class="select"
                value={value()}
                onChange={(e) => setValue(e.currentTarget.value)}
              >
                <option value="">Choose…</option>
                <option value="true">Yes</option>
                <option value="false">No</option>
              </select>
            </Match>
          </Switch>
        </div>
      </Show>
      <Show when={!isRelation() || !needsValue()}>
        <button type="submit" class="btn primary" data-testid="add-filter">
          Add filter
        </button>
      </Show>
    </form>
  );
}
