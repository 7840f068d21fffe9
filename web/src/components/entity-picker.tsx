import { createEffect, createResource, createSignal, For, on, onCleanup, Show } from 'solid-js';
import type { SearchHit } from '../api/types.ts';
import { useApi } from '../session.tsx';
import { KindDot } from './entity-chip.tsx';

/**
 * A typeahead over entities of the given blueprints (full-text search); an exact identifier
 * can be used even when search finds nothing (relations may point at entities not loaded yet).
 * Calls `onPick` with the `blueprint:identifier` key and a display label.
 */
export function EntityPicker(props: {
  blueprints: string[];
  onPick: (key: string, label: string) => void;
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
  const pick = (blueprint: string, identifier: string, label: string) => {
    props.onPick(`${blueprint}:${identifier}`, label);
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
            if (first) pick(first.blueprint, first.identifier, first.title || first.identifier);
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
                onClick={() => pick(h.blueprint, h.identifier, h.title || h.identifier)}
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
                  <span class="faint">({bp})</span>
                </Show>
              </button>
            )}
          </For>
        </div>
      </Show>
    </div>
  );
}
