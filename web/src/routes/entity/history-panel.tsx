import { createEffect, createMemo, createSignal, For, type JSX, on, Show } from 'solid-js';
import { ApiError } from '../../api/client.ts';
import { type Blueprint, parseEntityKey } from '../../api/types.ts';
import { EntityChip } from '../../components/entity-chip.tsx';
import { Icon } from '../../components/icons.tsx';
import { formatDate, PropertyValue } from '../../components/property-value.tsx';
import { ErrorState, Loading } from '../../components/states.tsx';
import { useApi } from '../../session.tsx';
import { createCursorList } from '../scorecards/create-cursor-list.ts';
import type { AuditEvent, AuditPage } from '../scorecards/scorecard-types.ts';
import { diffSnapshots, type FieldChange } from './entity-diff.ts';
import '../scorecards/scorecards.css';

const pageSize = 20;

const typeLabels: Record<string, { text: string; tone: string }> = {
  'entity.created': { text: 'Created', tone: 'success' },
  'entity.updated': { text: 'Updated', tone: 'info' },
  'entity.deleted': { text: 'Deleted', tone: 'danger' },
};

/**
 * The audit trail of one entity, newest first: who changed it, from where and when; each event
 * opens to a field-by-field diff of before and after. Reloads when `version` (the entity's last
 * update) changes.
 */
export function HistoryPanel(props: { blueprint: Blueprint; identifier: string; version?: string }) {
  const api = useApi();
  const events = createCursorList(
    () => `${props.blueprint.identifier}\n${props.identifier}`,
    async (key, cursor) => {
      const [blueprint, entity] = key.split('\n');
      const q = new URLSearchParams({ blueprint, entity, limit: String(pageSize) });
      if (cursor) q.set('cursor', cursor);
      const page = await api.get<AuditPage>(`/api/v1/audit?${q}`);
      return { items: page.events, next: page.next };
    },
  );
  createEffect(
    on(
      () => props.version,
      () => events.reload(),
      { defer: true },
    ),
  );
  const forbidden = () => events.error() instanceof ApiError && (events.error() as ApiError).status === 403;

  return (
    <div class="card" data-testid="entity-history">
      <div class="card-header">
        <h3>History</h3>
        <Show when={events.loading() && events.loaded()}>
          <div class="spinner" />
        </Show>
        <button type="button" class="btn ghost small" onClick={events.reload} data-testid="refresh-history">
          Refresh
        </button>
      </div>
      <Show when={events.error()}>
        <Show when={forbidden()} fallback={<ErrorState error={events.error()} retry={events.reload} />}>
          <div class="card-body faint small">Your role may not read the audit trail.</div>
        </Show>
      </Show>
      <Show when={!events.loaded() && events.loading()}>
        <Loading label="Loading history…" />
      </Show>
      <Show when={events.loaded() && events.items().length === 0 && !events.error()}>
        <div class="card-body faint small">No recorded change to this entity.</div>
      </Show>
      <For each={events.items()}>{(e) => <HistoryEvent event={e} blueprint={props.blueprint} />}</For>
      <Show when={events.hasMore()}>
        <div class="pager">
          <span>{events.items().length} shown</span>
          <div class="grow" />
          <button
            type="button"
            class="btn small"
            disabled={events.loading()}
            onClick={events.loadMore}
            data-testid="history-more"
          >
            {events.loading() ? 'Loading…' : 'Load more'}
          </button>
        </div>
      </Show>
    </div>
  );
}

function HistoryEvent(props: { event: AuditEvent; blueprint: Blueprint }) {
  const [open, setOpen] = createSignal(false);
  const e = () => props.event;
  const changes = createMemo(() => diffSnapshots(e().before, e().after));
  const type = () => typeLabels[e().type] ?? { text: e().type, tone: '' };
  const when = () => formatDate(e().at);
  const label = (c: FieldChange) => fieldLabel(props.blueprint, c);
  const summary = () => {
    const names = changes().map(label);
    if (e().type !== 'entity.updated' || names.length === 0) return '';
    return names.length > 3 ? `${names.slice(0, 3).join(', ')} +${names.length - 3}` : names.join(', ');
  };
  return (
    <div class={`history-event ${open() ? 'open' : ''}`} data-testid="history-event" data-type={e().type}>
      <button type="button" onClick={() => setOpen((o) => !o)} aria-expanded={open()}>
        <Icon name="chevronRight" size={14} class="nav-icon chevron" />
        <span class={`badge ${type().tone}`}>{type().text}</span>
        <span class="muted">{summary()}</span>
        <span class="grow" />
        <span data-testid="history-actor">{e().actor}</span>
        <span class="badge" title="Origin of the change">
          {e().origin}
        </span>
        <time datetime={e().at} title={when().text} class="faint">
          {when().relative}
        </time>
      </button>
      <Show when={open()}>
        <div class="diff-wrap">
          <Show
            when={changes().length > 0}
            fallback={<div class="faint small">No field changed (only who or when).</div>}
          >
            <table class="diff" data-testid="history-diff">
              <thead>
                <tr>
                  <th>Field</th>
                  <th>Before</th>
                  <th>After</th>
                </tr>
              </thead>
              <tbody>
                <For each={changes()}>
                  {(c) => (
                    <tr data-path={c.path} data-kind={c.kind}>
                      <td class="field" title={c.path}>
                        {label(c)}
                      </td>
                      <td class={c.before === undefined ? '' : 'before'}>
                        <FieldValue blueprint={props.blueprint} change={c} value={c.before} />
                      </td>
                      <td class={c.after === undefined ? '' : 'after'}>
                        <FieldValue blueprint={props.blueprint} change={c} value={c.after} />
                      </td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </Show>
          <Show when={e().runId}>
            <div class="faint small" style={{ 'margin-top': '6px' }}>
              Run <span class="mono">{e().runId}</span>
            </div>
          </Show>
        </div>
      </Show>
    </div>
  );
}

/** A field's name as the blueprint titles it. */
function fieldLabel(bp: Blueprint, c: FieldChange): string {
  if (c.section === 'title') return 'Title';
  if (c.section === 'sources') return 'Sources';
  if (c.section === 'properties') return bp.schema.properties[c.name]?.title ?? c.name;
  if (c.section === 'relations') return bp.relations?.[c.name]?.title ?? c.name;
  return c.name;
}

/** One side of a field change: typed like the property view, relations as links. */
function FieldValue(props: { blueprint: Blueprint; change: FieldChange; value: unknown }): JSX.Element {
  const relation = () =>
    props.change.section === 'relations' ? props.blueprint.relations?.[props.change.name] : undefined;
  const targets = () => {
    const def = relation();
    if (!def || props.value === undefined) return null;
    const ids = (Array.isArray(props.value) ? props.value : [props.value]).map(String);
    const kinds = Array.isArray(def.target) ? def.target : [def.target];
    return ids.map((id) =>
      kinds.length > 1 && id.includes(':') ? parseEntityKey(id) : { blueprint: kinds[0], identifier: id },
    );
  };
  return (
    <Show
      when={targets()}
      fallback={
        <PropertyValue
          schema={
            props.change.section === 'properties'
              ? props.blueprint.schema.properties[props.change.name]
              : undefined
          }
          value={props.value}
        />
      }
    >
      <span class="rel-list">
        <For each={targets()!}>{(t) => <EntityChip blueprint={t.blueprint} identifier={t.identifier} />}</For>
      </span>
    </Show>
  );
}
