import { createSignal, For, Match, Show, Switch } from 'solid-js';
import { ApiError, type ErrorDetail, seg } from '../api/client.ts';
import { targetsOf } from '../api/names.ts';
import type { Blueprint, PropertySchema, StoredEntity } from '../api/types.ts';
import { useModel } from '../model.tsx';
import { useApi } from '../session.tsx';
import { RelationField, type RelationRef, refsOfValue, valueOfRefs } from './entity-picker.tsx';
import { Dialog } from './popover.tsx';

type Values = Record<string, string | boolean>;

function toInput(schema: PropertySchema, value: unknown): string | boolean {
  if (value === undefined || value === null) return schema.type === 'boolean' ? false : '';
  if (schema.type === 'boolean') return Boolean(value);
  if (schema.type === 'array') return (value as unknown[]).join(', ');
  if (schema.type === 'object') return JSON.stringify(value, null, 2);
  return String(value);
}

function fromInput(schema: PropertySchema, raw: string | boolean): { value?: unknown; error?: string } {
  if (schema.type === 'boolean') return { value: raw === true };
  const text = String(raw).trim();
  if (text === '') return {};
  if (schema.type === 'integer' || schema.type === 'number') {
    const n = Number(text);
    return Number.isNaN(n) ? { error: 'must be a number' } : { value: n };
  }
  if (schema.type === 'array') {
    const items = text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const t = schema.items?.type;
    return {
      value:
        t === 'integer' || t === 'number'
          ? items.map(Number)
          : t === 'boolean'
            ? items.map((s) => s === 'true')
            : items,
    };
  }
  if (schema.type === 'object') {
    try {
      return { value: JSON.parse(text) };
    } catch {
      return { error: 'must be valid JSON' };
    }
  }
  return { value: text };
}

/**
 * Create or edit an entity in a dialog with a field per property and relation; the server's
 * 422 details are shown under the fields they name.
 */
export function EntityFormDialog(props: {
  blueprint: Blueprint;
  entity?: StoredEntity;
  onClose: () => void;
  onSaved: (e: StoredEntity) => void;
}) {
  const api = useApi();
  const bp = () => props.blueprint;
  const initial: Values = { identifier: props.entity?.identifier ?? '', title: props.entity?.title ?? '' };
  for (const [k, s] of Object.entries(bp().schema.properties))
    initial[`p.${k}`] = toInput(s, props.entity?.properties[k] ?? s.default);
  const initialRefs: Record<string, RelationRef[]> = {};
  for (const [k, rel] of Object.entries(bp().relations ?? {}))
    initialRefs[k] = refsOfValue(props.entity?.relations[k], targetsOf(rel));
  const [values, setValues] = createSignal<Values>(initial);
  const [refs, setRefs] = createSignal<Record<string, RelationRef[]>>(initialRefs);
  const model = useModel();
  // Kinds are named by title, and by identifier too when two kinds share a title.
  const titleOf = (id: string) => {
    const title = model.get(id)?.title || id;
    const same = (model.blueprints() ?? []).filter((b) => (b.title || b.identifier) === title).length;
    return same > 1 ? `${title} (${id})` : title;
  };
  const [errors, setErrors] = createSignal<Record<string, string[]>>({});
  const [general, setGeneral] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const set = (key: string, v: string | boolean) => setValues((cur) => ({ ...cur, [key]: v }));
  const errorsAt = (key: string) => errors()[key] ?? [];
  const required = new Set(bp().schema.required ?? []);

  const submit = async (e: Event) => {
    e.preventDefault();
    const v = values();
    const local: Record<string, string[]> = {};
    const properties: Record<string, unknown> = {};
    for (const [k, s] of Object.entries(bp().schema.properties)) {
      const r = fromInput(s, v[`p.${k}`]);
      if (r.error) local[`p.${k}`] = [r.error];
      else if (r.value !== undefined) properties[k] = r.value;
    }
    const relations: Record<string, string | string[] | null> = {};
    for (const [k, rel] of Object.entries(bp().relations ?? {})) {
      const chosen = refs()[k] ?? [];
      const missing = chosen.filter((r) => r.status === 'missing');
      if (missing.length > 0)
        local[`r.${k}`] = missing.map(
          (r) => `No ${titleOf(r.blueprint)} “${r.identifier}” exists. Pick one from the list or remove it.`,
        );
      else if (chosen.some((r) => r.status === 'checking'))
        local[`r.${k}`] = ['Still checking that the target exists; save again in a moment.'];
      relations[k] = valueOfRefs(chosen, targetsOf(rel), rel.many === true);
    }
    if (!String(v.identifier).trim()) local.identifier = ['an identifier is required'];
    setErrors(local);
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    setGeneral(null);
    try {
      const body = {
        identifier: String(v.identifier).trim(),
        title: String(v.title).trim() || null,
        properties,
        relations,
      };
      const saved = await api.post<StoredEntity>(`/api/v1/blueprints/${seg(bp().identifier)}/entities`, body);
      props.onSaved(saved);
    } catch (err) {
      if (err instanceof ApiError && err.details.length > 0) {
        const byField: Record<string, string[]> = {};
        const rest: string[] = [];
        for (const d of err.details as ErrorDetail[]) {
          const m = /^\/(properties|relations)\/([^/]+)/.exec(d.path ?? '');
          const key = m
            ? `${m[1] === 'properties' ? 'p' : 'r'}.${m[2]}`
            : d.path === '/identifier'
              ? 'identifier'
              : d.path === '/title'
                ? 'title'
                : null;
          if (key) byField[key] = [...(byField[key] ?? []), d.message];
          else rest.push(d.message);
        }
        setErrors(byField);
        setGeneral(rest.length > 0 ? rest.join('; ') : err.message);
      } else setGeneral((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const FieldErrors = (p: { at: string }) => (
    <For each={errorsAt(p.at)}>{(m) => <span class="field-error">{m}</span>}</For>
  );

  return (
    <Dialog
      title={
        props.entity
          ? `Edit ${props.entity.title || props.entity.identifier}`
          : `New ${bp().title || bp().identifier}`
      }
      onClose={props.onClose}
      testId="entity-form"
      wide
      footer={
        <>
          <button type="button" class="btn ghost" onClick={props.onClose}>
            Cancel
          </button>
          <button
            type="submit"
            form="entity-form"
            class="btn primary"
            disabled={busy()}
            data-testid="save-entity"
          >
            {busy() ? 'Saving…' : props.entity ? 'Save changes' : 'Create entity'}
          </button>
        </>
      }
    >
      <form id="entity-form" class="form-grid" onSubmit={submit}>
        <Show when={general()}>
          <div class="alert error span-2" role="alert">
            {general()}
          </div>
        </Show>
        <div class="field">
          <label for="ef-identifier">Identifier</label>
          <input
            id="ef-identifier"
            name="identifier"
            class={`input ${errorsAt('identifier').length ? 'invalid' : ''}`}
            value={String(values().identifier)}
            disabled={!!props.entity}
            onInput={(e) => set('identifier', e.currentTarget.value)}
            placeholder="cart-service"
          />
          <FieldErrors at="identifier" />
        </div>
        <div class="field">
          <label for="ef-title">Title</label>
          <input
            id="ef-title"
            name="title"
            class="input"
            value={String(values().title)}
            onInput={(e) => set('title', e.currentTarget.value)}
            placeholder="Cart Service"
          />
          <FieldErrors at="title" />
        </div>
        <For each={Object.entries(bp().schema.properties)}>
          {([k, s]) => (
            <div class={`field ${s.format === 'markdown' || s.type === 'object' ? 'span-2' : ''}`}>
              <label for={`ef-p-${k}`}>
                {s.title ?? k}
                {required.has(k) ? ' *' : ''}
              </label>
              <Switch
                fallback={
                  <input
                    id={`ef-p-${k}`}
                    name={k}
                    class={`input ${errorsAt(`p.${k}`).length ? 'invalid' : ''}`}
                    type={
                      s.type === 'integer' || s.type === 'number'
                        ? 'number'
                        : s.format === 'date-time'
                          ? 'text'
                          : 'text'
                    }
                    value={String(values()[`p.${k}`])}
                    onInput={(e) => set(`p.${k}`, e.currentTarget.value)}
                    placeholder={
                      s.format === 'date-time'
                        ? '2025-01-31T12:00:00Z'
                        : s.type === 'array'
                          ? 'comma, separated'
                          : (s.format ?? '')
                    }
                  />
                }
              >
                <Match when={s.enum}>
                  <select
                    id={`ef-p-${k}`}
                    name={k}
                    class={`select ${errorsAt(`p.${k}`).length ? 'invalid' : ''}`}
                    value={String(values()[`p.${k}`])}
                    onChange={(e) => set(`p.${k}`, e.currentTarget.value)}
                  >
                    <option value="">—</option>
                    <For each={s.enum ?? []}>{(o) => <option value={String(o)}>{String(o)}</option>}</For>
                  </select>
                </Match>
                <Match when={s.type === 'boolean'}>
                  <label class="check">
                    <input
                      id={`ef-p-${k}`}
                      type="checkbox"
                      checked={values()[`p.${k}`] === true}
                      onChange={(e) => set(`p.${k}`, e.currentTarget.checked)}
                    />{' '}
                    {s.description ?? 'Yes'}
                  </label>
                </Match>
                <Match when={s.format === 'markdown' || s.type === 'object' || s.format === 'yaml'}>
                  <textarea
                    id={`ef-p-${k}`}
                    name={k}
                    rows={4}
                    class={`textarea ${errorsAt(`p.${k}`).length ? 'invalid' : ''}`}
                    value={String(values()[`p.${k}`])}
                    onInput={(e) => set(`p.${k}`, e.currentTarget.value)}
                  />
                </Match>
              </Switch>
              <Show when={s.description && s.type !== 'boolean'}>
                <span class="field-hint">{s.description}</span>
              </Show>
              <FieldErrors at={`p.${k}`} />
            </div>
          )}
        </For>
        <For each={Object.entries(bp().relations ?? {})}>
          {([k, rel]) => (
            <div class="field">
              <label for={`ef-r-${k}`}>
                {rel.title ?? k} → {targetsOf(rel).map(titleOf).join(' or ')}
                {rel.required ? ' *' : ''}
              </label>
              <RelationField
                id={`ef-r-${k}`}
                targets={targetsOf(rel)}
                many={rel.many === true}
                value={refs()[k] ?? []}
                onChange={(next) => setRefs((cur) => ({ ...cur, [k]: next }))}
                titleOf={titleOf}
                invalid={errorsAt(`r.${k}`).length > 0}
              />
              <FieldErrors at={`r.${k}`} />
            </div>
          )}
        </For>
      </form>
    </Dialog>
  );
}
