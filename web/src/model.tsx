import { createContext, createResource, createSignal, type JSX, type Resource, useContext } from 'solid-js';
import { withSchemaRetry } from './api/client.ts';
import { countsQuery } from './api/counts-query.ts';
import type { Blueprint } from './api/types.ts';
import { useApi } from './session.tsx';

/** The blueprints (the catalog's model) as the whole UI sees them. */
export interface ModelState {
  blueprints: Resource<Blueprint[]>;
  get(identifier: string): Blueprint | undefined;
  /** Entity count per blueprint (loaded after the model; absent while the schema catches up). */
  counts: Resource<Record<string, number>>;
  refresh(): Promise<void>;
  refreshCounts(): void;
}

const ModelContext = createContext<ModelState>();

/** Loads the blueprints once per session and shares them; pages call `refresh()` after a model change. */
export function ModelProvider(props: { children: JSX.Element }) {
  const api = useApi();
  const [blueprints, { refetch }] = createResource(async () => {
    const { blueprints } = await api.get<{ blueprints: Blueprint[] }>('/api/v1/blueprints');
    return blueprints.sort((a, b) => (a.title || a.identifier).localeCompare(b.title || b.identifier));
  });
  const [countsKey, setCountsKey] = createSignal(0);
  const [counts, { refetch: refetchCounts }] = createResource(
    () => (blueprints() ? ([blueprints()!, countsKey()] as const) : false),
    async ([first]) => {
      let list: Blueprint[] = first;
      let stale = false;
      // One request for every count: aliases b0, b1, … map back to the blueprints. A blueprint
      // deleted since the list was read makes the whole query invalid, so a retry reads the list again.
      const query = async () => {
        if (stale) list = (await api.get<{ blueprints: Blueprint[] }>('/api/v1/blueprints')).blueprints;
        stale = true;
        if (list.length === 0) return {};
        const data = await api.graphql<Record<string, { totalCount: number }>>(countsQuery(list));
        return Object.fromEntries(list.map((bp, i) => [bp.identifier, data[`b${i}`]?.totalCount ?? 0]));
      };
      return withSchemaRetry(query);
    },
  );
  const state: ModelState = {
    blueprints,
    get: (id) => blueprints()?.find((b) => b.identifier === id),
    counts,
    async refresh() {
      await refetch();
      setCountsKey((k) => k + 1);
    },
    refreshCounts: () => void refetchCounts(),
  };
  return <ModelContext.Provider value={state}>{props.children}</ModelContext.Provider>;
}

/** The model state (inside `ModelProvider`). */
export function useModel(): ModelState {
  const m = useContext(ModelContext);
  if (!m) throw new Error('useModel outside ModelProvider');
  return m;
}
