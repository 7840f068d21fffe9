import { type Accessor, createEffect, createSignal, on } from 'solid-js';

/** One page of a cursor-paged API answer, as the list keeps it. */
export interface CursorPage<T> {
  items: T[];
  /** Pass back to get the next page; null on the last one. */
  next: string | null;
}

/** A "load more" list over a cursor-paged API. */
export interface CursorList<T> {
  items: Accessor<T[]>;
  /** True while a page is being fetched. */
  loading: Accessor<boolean>;
  /** The error of the last fetch, if it failed. */
  error: Accessor<unknown>;
  /** True once the first page arrived (an empty list is then really empty). */
  loaded: Accessor<boolean>;
  hasMore: Accessor<boolean>;
  loadMore(): void;
  /** Fetches the first page again, keeping what is shown until it arrives. */
  reload(): void;
}

/**
 * Reactive cursor paging: loads the first page whenever `key` changes (nothing while it is
 * falsy) and appends the next one on `loadMore()`. An answer for an outdated key or an
 * outdated reload is dropped, so quick clicks never mix two lists.
 * @example
 * const events = createCursorList(() => entityKey(), (key, cursor) => fetchEvents(key, cursor));
 */
export function createCursorList<K, T>(
  key: Accessor<K | null | undefined | false>,
  fetchPage: (key: K, cursor: string | null) => Promise<CursorPage<T>>,
): CursorList<T> {
  const [items, setItems] = createSignal<T[]>([]);
  const [next, setNext] = createSignal<string | null>(null);
  const [loading, setLoading] = createSignal(false);
  const [error, setError] = createSignal<unknown>(null);
  const [loaded, setLoaded] = createSignal(false);
  let generation = 0;

  const load = async (k: K, cursor: string | null) => {
    const mine = ++generation;
    setLoading(true);
    setError(null);
    try {
      const page = await fetchPage(k, cursor);
      if (mine !== generation) return;
      setItems((shown) => (cursor ? [...shown, ...page.items] : page.items));
      setNext(page.next);
      setLoaded(true);
    } catch (err) {
      if (mine === generation) setError(err);
    } finally {
      if (mine === generation) setLoading(false);
    }
  };

  createEffect(
    on(key, (k) => {
      setItems([]);
      setNext(null);
      setLoaded(false);
      if (k) void load(k, null);
      else {
        generation++;
        setLoading(false);
      }
    }),
  );

  return {
    items,
    loading,
    error,
    loaded,
    hasMore: () => next() !== null,
    loadMore() {
      const k = key();
      const cursor = next();
      if (k && cursor && !loading()) void load(k, cursor);
    },
    reload() {
      const k = key();
      if (k) void load(k, null);
    },
  };
}
