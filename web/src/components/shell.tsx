import { A, useLocation } from '@solidjs/router';
import { createEffect, createSignal, For, type JSX, on, onCleanup, onMount, Show } from 'solid-js';
import { useModel } from '../model.tsx';
import { useSession } from '../session.tsx';
import { setKnownKinds } from '../graph/kind-style.ts';
import { createTheme } from '../theme.ts';
import { BrandMark, Icon } from './icons.tsx';
import { kindLabel } from './kind-label.ts';
import { SearchPalette } from './search-palette.tsx';
import { ErrorState } from './states.tsx';

/** The frame around every signed-in page: navigation by blueprint, search, theme, sign-out. */
export function Shell(props: { children?: JSX.Element }) {
  const session = useSession();
  const model = useModel();
  const location = useLocation();
  const { theme, toggle } = createTheme();
  const [searchOpen, setSearchOpen] = createSignal(false);
  const [navOpen, setNavOpen] = createSignal(false);
  const [filter, setFilter] = createSignal('');
  const isMac = /Mac|iPhone|iPad/.test(navigator.platform);

  onMount(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.metaKey || e.ctrlKey) && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        setSearchOpen((o) => !o);
      }
    };
    window.addEventListener('keydown', onKey);
    onCleanup(() => window.removeEventListener('keydown', onKey));
  });
  // Every kind of the model gets its own colour (and shape), the same on every page.
  createEffect(() => setKnownKinds((model.blueprints() ?? []).map((b) => b.identifier)));
  createEffect(
    on(
      () => location.pathname,
      () => setNavOpen(false),
    ),
  );

  const kinds = () =>
    (model.blueprints() ?? []).filter(
      (b) => !filter() || `${b.title} ${b.identifier}`.toLowerCase().includes(filter().toLowerCase()),
    );

  return (
    <div class={`shell ${navOpen() ? 'nav-open' : ''}`}>
      <aside class="sidebar" aria-label="Navigation">
        <A href="/" class="brand">
          <BrandMark /> Plexus
        </A>
        <nav class="nav">
          <A href="/" end class="nav-link" activeClass="active">
            <Icon name="home" /> Overview
          </A>
          <A href="/graph" class="nav-link" activeClass="active">
            <Icon name="graph" /> Graph explorer
          </A>
          <A href="/model" class="nav-link" activeClass="active">
            <Icon name="model" /> Data model
          </A>
          <A href="/scorecards" class="nav-link" activeClass="active" data-testid="nav-scorecards">
            <Icon name="layout" /> Scorecards
          </A>
          <A href="/actions" class="nav-link" activeClass="active" data-testid="nav-actions">
            <Icon name="radius" /> Actions
          </A>
          <A href="/runs" class="nav-link" activeClass="active" data-testid="nav-runs">
            <Icon name="clock" /> Runs
          </A>
          <A href="/approvals" class="nav-link" activeClass="active" data-testid="nav-approvals">
            <Icon name="key" /> Approvals
          </A>
          <div class="nav-section">
            <span>Catalog</span>
            <A href="/model/new" class="faint" title="New blueprint" aria-label="New blueprint">
              <Icon name="plus" size={14} />
            </A>
          </div>
          <Show when={(model.blueprints()?.length ?? 0) > 8}>
            <input
              class="input nav-filter"
              placeholder="Filter kinds…"
              value={filter()}
              onInput={(e) => setFilter(e.currentTarget.value)}
              aria-label="Filter blueprints"
            />
          </Show>
          <Show when={model.blueprints.error}>
            <ErrorState error={model.blueprints.error} retry={() => void model.refresh()} compact />
          </Show>
          <Show when={model.blueprints.loading && !model.blueprints()}>
            <For each={[1, 2, 3, 4]}>
              {() => <div class="skeleton" style={{ margin: '10px 8px', width: '70%' }} />}
            </For>
          </Show>
          <For each={kinds()}>
            {(bp) => (
              <A
                href={`/catalog/${bp.identifier}`}
                class="nav-link"
                activeClass="active"
                data-blueprint={bp.identifier}
              >
                <Icon name={bp.icon ?? bp.identifier} />
                <span class="truncate">{kindLabel(bp, model.blueprints() ?? [])}</span>
                <span class="count">{model.counts()?.[bp.identifier]?.toLocaleString() ?? ''}</span>
              </A>
            )}
          </For>
          <Show when={model.blueprints() && model.blueprints()!.length === 0}>
            <div class="faint small" style={{ padding: '6px 8px' }}>
              No blueprints yet. <A href="/model/new">Create one</A>.
            </div>
          </Show>
        </nav>
      </aside>
      <header class="topbar">
        <button
          type="button"
          class="btn icon ghost menu-toggle"
          onClick={() => setNavOpen((o) => !o)}
          aria-label="Menu"
        >
          <Icon name="menu" />
        </button>
        <button
          type="button"
          class="search-trigger"
          onClick={() => setSearchOpen(true)}
          data-testid="search-trigger"
        >
          <Icon name="search" />
          <span>Search the catalog</span>
          <kbd>{isMac ? '⌘' : 'Ctrl'} K</kbd>
        </button>
        <div class="topbar-spacer" />
        <button
          type="button"
          class="btn icon ghost"
          onClick={toggle}
          aria-label={`Switch to ${theme() === 'dark' ? 'light' : 'dark'} theme`}
          title="Toggle theme"
          data-testid="theme-toggle"
        >
          <Icon name={theme() === 'dark' ? 'sun' : 'moon'} />
        </button>
        <button type="button" class="btn ghost" onClick={() => session.signOut()} data-testid="sign-out">
          <Icon name="logout" /> Sign out
        </button>
      </header>
      <main class="main">{props.children}</main>
      <SearchPalette open={searchOpen()} onClose={() => setSearchOpen(false)} />
    </div>
  );
}
