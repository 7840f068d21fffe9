import { createEffect, createResource, createSignal, For, on, onCleanup, onMount, Show } from 'solid-js';
import type { SearchHit } from '../api/types.ts';
import { useApi } from '../session.tsx';
import { KindDot } from './entity-chip.tsx';
import './entity-picker.css';

/**
 * A typeahead over entities of the given blueprints (full-text search); an exact identifier
 * can be used even when search finds nothing (relations may point at entities not loaded yet).
 * Calls `onPick` with the `blueprint:identifier` key and a display label.
 */
export function EntityPicker(props: {
  blueprints: string[];
  /** `known`: picked from search results (the entity exists), not typed by hand. */
  onPick: (key: string, label: string, known?: boolean) => void;
  placeholder?: string;
  id?: string;
}) {
  const api = useApi();
  const [text, setText] = createSignal('');
  const [query, setQuery] = createSignal('');
  const [open, setOpen] = createSignal(false);
  createEffect(
    on(text, (t) => {
      const timer = setTimeout(() => setQuery(t.trim()), 160);
      onCleanup(() => clearTimeout(timer));
    }),
  );
  const [hits] = createResource(query, async (q) => {
    if (!q) return [] as SearchHit[];
    const only = props.blueprints.length === 1 ? `&blueprint=${encodeURIComponent(props.blueprints[0])}` : '';
    const { entities } = await api.get<{ entities: SearchHit[] }>(
      `/api/v1/search?q=${encodeURIComponent(q)}&limit=10${only}`,
    );
    return entities.filter((e) => props.blueprints.includes(e.blueprint));
  });
  const pick = (blueprint: string, identifier: string, label: string, known = false) => {
    props.onPick(`${blueprint}:${identifier}`, label, known);
    setText('');
    setOpen(false);
  };
  return (
    <div class="popover-anchor" style={{ width: '100%' }}>
      <input
        id={props.id}
        class="input"
        style={{ width: '100%' }}
        placeholder={props.placeholder ?? 'Search or type an identifier…'}
        value={text()}
        onInput={(e) => {
          setText(e.currentTarget.value);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && text().trim()) {
            e.preventDefault();
            const first = hits()?.[0];
            if (first) pick(first.blueprint, first.identifier, first.title || first.identifier, true);
            else pick(props.blueprints[0], text().trim(), text().trim());
          }
          if (e.key === 'Escape') setOpen(false);
        }}
        data-testid="entity-picker"
      />
      <Show when={open() && text().trim()}>
        <div class="popover" style={{ width: '100%', 'min-width': '0' }}>
          <Show when={hits.loading}>
            <div class="faint small" style={{ padding: '6px 8px' }}>
              Searching…
            </div>
          </Show>
          <Show when={hits.error}>
            <div class="faint small" style={{ padding: '6px 8px' }}>
              Search unavailable; press Enter to use the identifier as typed.
            </div>
          </Show>
          <For each={hits.error ? [] : (hits() ?? [])}>
            {(h) => (
              <button
                type="button"
                class="menu-item"
                onMouseDown={(e) => e.preventDefault()}
                onClick={() => pick(h.blueprint, h.identifier, h.title || h.identifier, true)}
                data-testid="picker-hit"
              >
                <KindDot blueprint={h.blueprint} />
                <span class="grow truncate">{h.title || h.identifier}</span>
                <span class="faint mono small">{h.identifier}</span>
              </button>
            )}
          </For>
          <For each={props.blueprints}>
            {(bp) => (
              <button
                type="button"
                class="menu-item"
                onMouseDown={(e) => e.preventDefault()}
                onClick={() => pick(bp, text().trim(), text().trim())}
              >
                <span class="faint">Use</span> <code>{text().trim()}</code>
                <Show when={props.blueprints.length > 1}>
                  <span class="faint">as {bp}</span>
                </Show>
              </button>
            )}
          </For>
        </div>
      </Show>
    </div>
  );
}

/** One target of a relation field, and whether it is known to exist. */
export interface RelationRef {
  blueprint: string;
  identifier: string;
  label: string;
  /** `unknown`: typed, not found by search; `missing`: checked, no such entity. */
  status: 'exists' | 'checking' | 'missing' | 'unknown';
}

/** Relation value(s) as stored (`id`, or `blueprint:id` when polymorphic) → references. */
export function refsOfValue(value: unknown, targets: string[]): RelationRef[] {
  const list = Array.isArray(value)
    ? value
    : value === null || value === undefined || value === ''
      ? []
      : [value];
  return list.map((v) => {
    const s = String(v);
    const i = s.indexOf(':');
    const polymorphic = targets.length > 1 && i > 0 && targets.includes(s.slice(0, i));
    const blueprint = polymorphic ? s.slice(0, i) : targets[0];
    const identifier = polymorphic ? s.slice(i + 1) : s;
    return { blueprint, identifier, label: identifier, status: 'unknown' };
  });
}

/** References → the relation value the API takes (`blueprint:id` only for polymorphic relations). */
export function valueOfRefs(refs: RelationRef[], targets: string[], many: boolean): string | string[] | null {
  const values = refs.map((r) => (targets.length > 1 ? `${r.blueprint}:${r.identifier}` : r.identifier));
  return many ? values : (values[0] ?? null);
}

/**
 * A relation field: the chosen targets as chips (with their kind when the relation has several
 * target blueprints) and a typeahead to add one (`many`) or replace the one. A target typed by
 * hand is looked up at once and flagged when no such entity exists, before anything is saved.
 */
export function RelationField(props: {
  id: string;
  targets: string[];
  many: boolean;
  value: RelationRef[];
  onChange: (refs: RelationRef[]) => void;
  titleOf: (blueprint: string) => string;
  invalid?: boolean;
}) {
  const api = useApi();
  const update = (key: string, patch: Partial<RelationRef>) =>
    props.onChange(
      props.value.map((r) => (`${r.blueprint}:${r.identifier}` === key ? { ...r, ...patch } : r)),
    );
  const check = async (ref: RelationRef) => {
    const key = `${ref.blueprint}:${ref.identifier}`;
    update(key, { status: 'checking' });
    try {
      // A search by identifier answers 200 with no entity when there is none (a GET of the entity
      // would answer 404, which the browser reports as a failed request).
      const { entities } = await api.post<{ entities: { identifier: string; title?: string | null }[] }>(
        '/api/v1/search',
        {
          blueprint: ref.blueprint,
          combinator: 'and',
          rules: [{ property: 'identifier', operator: '=', value: ref.identifier }],
          limit: 1,
        },
      );
      const found = entities.find((e) => e.identifier === ref.identifier);
      update(key, found ? { status: 'exists', label: found.title || ref.identifier } : { status: 'missing' });
    } catch {
      // A failed check (network, permission) leaves the target unchecked; the server decides.
      update(key, { status: 'unknown' });
    }
  };
  // Targets that came with the entity are checked once, so a dangling one shows before saving.
  onMount(() => {
    for (const r of props.value) if (r.status === 'unknown') void check(r);
  });
  const add = (key: string, label: string, known: boolean) => {
    const i = key.indexOf(':');
    const ref: RelationRef = {
      blueprint: key.slice(0, i),
      identifier: key.slice(i + 1),
      label,
      status: known ? 'exists' : 'unknown',
    };
    const rest = props.value.filter(
      (r) => !(r.blueprint === ref.blueprint && r.identifier === ref.identifier),
    );
    props.onChange(props.many ? [...rest, ref] : [ref]);
    if (!known) void check(ref);
  };
  return (
    <div
      class={`relation-field ${props.invalid ? 'invalid' : ''}`}
      data-testid={`relation-field-${props.id}`}
    >
      <Show when={props.value.length > 0}>
        <div class="relation-chips">
          <For each={props.value}>
            {(r) => (
              <span
                class={`chip ${r.status === 'missing' ? 'missing' : ''}`}
                data-testid="relation-chip"
                data-status={r.status}
                title={
                  r.status === 'missing'
                    ? `No ${props.titleOf(r.blueprint)} “${r.identifier}” exists`
                    : `${r.blueprint}:${r.identifier}`
                }
              >
                <KindDot blueprint={r.blueprint} />
                <Show when={props.targets.length > 1}>
                  <span class="faint small">{props.titleOf(r.blueprint)}</span>
                </Show>
                <span class="truncate">{r.label}</span>
                <Show when={r.status === 'missing'}>
                  <span class="small">(not found)</span>
                </Show>
                <button
                  type="button"
                  class="chip-remove"
                  aria-label={`Remove ${r.label}`}
                  onClick={() => props.onChange(props.value.filter((x) => x !== r))}
                >
                  ✕
                </button>
              </span>
            )}
          </For>
        </div>
      </Show>
      <Show when={props.many || props.value.length === 0}>
        <EntityPicker
          id={props.id}
          blueprints={props.targets}
          placeholder={`Search ${props.targets.map(props.titleOf).join(' or ')}…`}
          onPick={(key, label, known) => add(key, label, known ?? false)}
        />
      </Show>
    </div>
  );
}
