import { A } from '@solidjs/router';
import { createResource, createSignal, For, Show } from 'solid-js';
import { KindDot } from '../../components/entity-chip.tsx';
import { Icon } from '../../components/icons.tsx';
import { Empty, ErrorState } from '../../components/states.tsx';
import { useToast } from '../../components/toasts.tsx';
import { useModel } from '../../model.tsx';
import { useApi } from '../../session.tsx';

interface Pack {
  identifier: string;
  title: string;
  description?: string;
  blueprints: string[];
}

/**
 * The organisation overview: every kind in the catalog with its size; on an empty install, the
 * packs to start from. `heading` replaces the page title when it is part of the personal home page.
 */
export function OrganisationOverview(props: { embedded?: boolean }) {
  const model = useModel();
  const api = useApi();
  const toast = useToast();
  const [loading, setLoading] = createSignal<string | null>(null);
  const [packs] = createResource(
    () => model.blueprints()?.length === 0,
    async () => (await api.get<{ packs: Pack[] }>('/api/v1/packs')).packs,
  );
  const total = () => Object.values(model.counts() ?? {}).reduce((a, b) => a + b, 0);

  const loadPack = async (id: string) => {
    setLoading(id);
    try {
      await api.post(`/api/v1/packs/${id}`);
      await model.refresh();
      toast(`Loaded the ${id} pack`, 'success');
    } catch (err) {
      toast((err as Error).message, 'error');
    } finally {
      setLoading(null);
    }
  };

  return (
    <div class={props.embedded ? 'home-section' : 'page'}>
      <div class="page-header">
        <div class="titles">
          <Show when={props.embedded} fallback={<h1>Software catalog</h1>}>
            <h2>Organisation</h2>
          </Show>
          <div class="subtitle">
            <Show
              when={model.counts()}
              fallback="Every kind of thing your organisation runs, and how it connects."
            >
              {total().toLocaleString()} entities across {model.blueprints()?.length ?? 0} kinds.
            </Show>
          </div>
        </div>
        <A href="/graph" class="btn">
          <Icon name="graph" /> Explore the graph
        </A>
        <A href="/model/new" class="btn primary">
          <Icon name="plus" /> New blueprint
        </A>
      </div>
      <Show when={model.blueprints.error}>
        <ErrorState error={model.blueprints.error} retry={() => void model.refresh()} />
      </Show>
      <Show when={model.blueprints()?.length === 0}>
        <div class="card">
          <Empty title="Your catalog has no kinds yet">
            <p>Start from a ready-made pack of blueprints, or design your own in the data model editor.</p>
            <div class="grid tiles" style={{ 'text-align': 'left', 'margin-top': 'var(--space-4)' }}>
              <For each={packs() ?? []}>
                {(p) => (
                  <div class="card tile">
                    <div class="tile-title">{p.title}</div>
                    <div class="tile-desc">{p.description}</div>
                    <button
                      type="button"
                      class="btn"
                      disabled={loading() !== null}
                      onClick={() => loadPack(p.identifier)}
                    >
                      {loading() === p.identifier ? 'Loading…' : `Load ${p.blueprints.length} blueprints`}
                    </button>
                  </div>
                )}
              </For>
            </div>
          </Empty>
        </div>
      </Show>
      <div class="grid tiles" data-testid="kind-tiles">
        <Show when={model.blueprints.loading && !model.blueprints()}>
          <For each={[1, 2, 3, 4, 5, 6]}>
            {() => (
              <div class="card tile">
                <div class="skeleton" style={{ width: '50%' }} />
                <div class="skeleton" style={{ width: '30%', height: '26px' }} />
                <div class="skeleton" style={{ width: '80%' }} />
              </div>
            )}
          </For>
        </Show>
        <For each={model.blueprints() ?? []}>
          {(bp) => (
            <A href={`/catalog/${bp.identifier}`} class="card tile">
              <div class="tile-title">
                <KindDot blueprint={bp.identifier} />
                <Icon name={bp.icon ?? bp.identifier} />
                {bp.title || bp.identifier}
              </div>
              <div class="tile-count">
                <Show
                  when={model.counts()}
                  fallback={<div class="skeleton" style={{ width: '40px', height: '26px' }} />}
                >
                  {(model.counts()?.[bp.identifier] ?? 0).toLocaleString()}
                </Show>
              </div>
              <div class="tile-desc">
                {bp.description ??
                  `${Object.keys(bp.schema.properties).length} properties, ${Object.keys(bp.relations ?? {}).length} relations`}
              </div>
            </A>
          )}
        </For>
      </div>
    </div>
  );
}
