import { useNavigate } from '@solidjs/router';
import { createEffect, createResource, createSignal, For, on, onCleanup, Show } from 'solid-js';
import { ApiError } from '../api/client.ts';
import type { SearchHit } from '../api/types.ts';
import { useModel } from '../model.tsx';
import { useApi } from '../session.tsx';
import { entityHref, KindDot } from './entity-chip.tsx';

/**
 * The global search (Ctrl/Cmd+K): full-text over every entity, plus the blueprints by name;
 * Enter opens the highlighted result. `open`/`onClose` are owned by the shell.
 */
export function SearchPalette(props: { open: boolean; onClose: () => void }) {
  const api = useApi();
  const model = useModel();
  const navigate = useNavigate();
  const [q, setQ] = createSignal('');
  const [debounced, setDebounced] = createSignal('');
  const [active, setActive] = createSignal(0);
  let input: HTMLInputElement | undefined;

  createEffect(
    on(q, (value) => {
      const t = setTimeout(() => setDebounced(value.trim()), 140);
      onCleanup(() => clearTimeout(t));
    }),
  );
  createEffect(() => {
    if (props.open) {
      setQ('');
      setActive(0);
      queueMicrotask(() => input?.focus());
    }
  });

  const [hits] = createResource(debounced, async (text) => {
    if (!text) return [] as SearchHit[];
    try {
      return (
        await api.get<{ entities: SearchHit[] }>(`/api/v1/search?q=${encodeURIComponent(text)}&limit=12`)
      ).entities;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404)
        throw new Error('Search is not available on this server yet.');
      throw err;
    }
  });

  type Item = { kind: 'entity'; hit: SearchHit } | { kind: 'blueprint'; id: string; title: string };
  const items = (): Item[] => {
    const text = q().trim().toLowerCase();
    const kinds: Item[] = text
      ? (model.blueprints() ?? [])
          .filter((b) => b.identifier.toLowerCase().includes(text) || b.title.toLowerCase().includes(text))
          .slice(0, 4)
          .map((b) => ({ kind: 'blueprint', id: b.identifier, title: b.title }))
      : [];
    const found: Item[] = (hits.error ? [] : (hits() ?? [])).map((hit) => ({ kind: 'entity', hit }));
    return [...kinds, ...found];
  };

  const choose = (item: Item | undefined) => {
    if (!item) return;
    props.onClose();
    navigate(
      item.kind === 'entity' ? entityHref(item.hit.blueprint, item.hit.identifier) : `/catalog/${item.id}`,
    );
  };

  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') props.onClose();
    else if (e.key === 'ArrowDown') {
      e.preventDefault();
      setActive((a) => Math.min(a + 1, items().length - 1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((a) => Math.max(a - 1, 0));
    } else if (e.key === 'Enter') {
      e.preventDefault();
      choose(items()[active()]);
    }
  };

  return (
    <Show when={props.open}>
      {/* biome-ignore lint/a11y/noStaticElementInteractions lint/a11y/useKeyWithClickEvents: a backdrop click is a mouse shortcut; Escape closes for keyboard users. */}
      <div class="overlay" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
        <div
          class="dialog"
          role="dialog"
          aria-modal="true"
          aria-label="Search the catalog"
          data-testid="search-palette"
        >
          <input
            ref={input}
            class="palette-input"
            placeholder="Search services, teams, resources…"
            value={q()}
            onInput={(e) => {
              setQ(e.currentTarget.value);
              setActive(0);
            }}
            onKeyDown={onKey}
            aria-label="Search"
          />
          <div class="palette-results">
            <Show when={hits.loading}>
              <div class="loading small">
                <div class="spinner" /> Searching…
              </div>
            </Show>
            <Show when={hits.error}>
              <div class="alert warning">{(hits.error as Error).message}</div>
            </Show>
            <Show when={!hits.loading && debounced() && items().length === 0 && !hits.error}>
              <div class="empty small">No entity matches “{debounced()}”.</div>
            </Show>
            <Show when={!q()}>
              <div class="faint small" style={{ padding: 'var(--space-3)' }}>
                Type to search every entity by identifier, title or text properties.
              </div>
            </Show>
            <For each={items()}>
              {(item, i) => (
                <button
                  type="button"
                  class={`palette-item ${i() === active() ? 'active' : ''}`}
                  onMouseEnter={() => setActive(i())}
                  onClick={() => choose(item)}
                >
                  {item.kind === 'entity' ? (
                    <>
                      <KindDot blueprint={item.hit.blueprint} />
                      <span class="grow">
                        {item.hit.title || item.hit.identifier}
                        <div class="sub">
                          {item.hit.blueprint} · {item.hit.identifier}
                        </div>
                      </span>
                    </>
                  ) : (
                    <>
                      <KindDot blueprint={item.id} />
                      <span class="grow">
                        {item.title}
                        <div class="sub">catalog · {item.id}</div>
                      </span>
                    </>
                  )}
                </button>
              )}
            </For>
          </div>
          <div class="palette-footer">
            <span>
              <kbd>↑</kbd> <kbd>↓</kbd> to move
            </span>
            <span>
              <kbd>Enter</kbd> to open
            </span>
            <span>
              <kbd>Esc</kbd> to close
            </span>
          </div>
        </div>
      </div>
    </Show>
  );
}
