import {
  createEffect,
  createMemo,
  createResource,
  createSignal,
  For,
  Index,
  Match,
  on,
  Show,
  Switch,
} from 'solid-js';
import type { ActionInput, ActionInputs, FieldState, Me } from '../api/actions.ts';
import type { StoredEntity } from '../api/types.ts';
import { formRules } from '../routes/actions/form-rules.ts';
import { useApi } from '../session.tsx';
import { formPages } from './action-form-model.ts';
import { EntityPicker } from './entity-picker.tsx';
import { peek } from './peek.ts';
import '../routes/actions/actions.css';

type Values = Record<string, unknown>;

const empty = (v: unknown) =>
  v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** `datetime-local` works in local time without a zone; runs take ISO-8601 with one. */
function toLocalInput(iso: unknown): string {
  if (typeof iso !== 'string' || !iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Users and teams for the pickers; a caller who may not list users types an id instead. */
function createDirectory() {
  const api = useApi();
  const [users] = createResource(async () => {
    try {
      return (await api.get<{ users: { id: string; name: string }[] }>('/api/v1/users')).users ?? [];
    } catch {
      return [];
    }
  });
  const [teams] = createResource(async () => {
    try {
      return (await api.get<{ teams: { identifier: string; title: string }[] }>('/api/v1/teams')).teams ?? [];
    } catch {
      return [];
    }
  });
  return { users, teams };
}

/**
 * A form generated from an action's `inputs`: a field per input (text, number, boolean, enum,
 * date-time, multi-line, secret, entity/user/team pickers, lists), pages with Next/Back when
 * the action has steps, and the dynamic `visible`/`required`/`default`/`enum` rules evaluated
 * over `{form, entity, user}` on every change. Validates before `onSubmit` with a message per
 * field; `serverErrors` (the run's 400 details) are shown on the fields they name.
 */
export function ActionForm(props: {
  inputs: ActionInputs;
  entity: StoredEntity | null;
  user: Me | null;
  formId: string;
  /** Called with the visible, non-empty values once they pass validation. */
  onSubmit?: (values: Values) => void;
  serverErrors?: Record<string, string[]>;
  /** Renders the submit/next/back buttons; `last` is true on the final page. */
  footer?: (nav: { page: number; pages: number; last: boolean; back: () => void }) => unknown;
  /** Initial values (re-run, preview). */
  initial?: Values;
}) {
  const dir = createDirectory();
  const [values, setValues] = createSignal<Values>({ ...(props.initial ?? {}) });
  const [touched, setTouched] = createSignal<Set<string>>(new Set(Object.keys(props.initial ?? {})));
  const [errors, setErrors] = createSignal<Record<string, string[]>>({});
  const [page, setPage] = createSignal(0);
  const pages = createMemo(() => formPages(props.inputs));
  const scopeBase = () => ({
    entity: props.entity,
    user: props.user ?? { id: '', name: '', role: 'viewer', teams: [] },
  });
  const [states] = createResource(
    () => ({ inputs: props.inputs, form: values(), base: scopeBase() }),
    ({ inputs, form, base }) => formRules.evaluateForm(inputs, { ...base, form }),
  );
  const state = (name: string): FieldState =>
    peek(states)?.[name] ?? { visible: true, required: (props.inputs.required ?? []).includes(name) };

  // Computed defaults fill fields the person has not touched, and follow the form as it changes.
  createEffect(
    on(
      () => peek(states),
      (s) => {
        if (!s) return;
        const patch: Values = {};
        for (const [name, st] of Object.entries(s)) {
          if (st.default === undefined || touched().has(name)) continue;
          if (!same(values()[name], st.default)) patch[name] = st.default;
        }
        if (Object.keys(patch).length > 0) setValues((v) => ({ ...v, ...patch }));
      },
    ),
  );
  createEffect(
    on(
      () => props.serverErrors,
      (se) => {
        if (!se) return;
        setErrors(se);
        // Jump to the first page with a field the server complained about.
        const i = pages().findIndex((p) => p.properties.some((n) => se[n]?.length));
        if (i >= 0) setPage(i);
      },
    ),
  );

  const set = (name: string, v: unknown) => {
    setTouched((t) => new Set(t).add(name));
    setValues((cur) => ({ ...cur, [name]: v }));
    setErrors((e) => (e[name] ? { ...e, [name]: [] } : e));
  };

  /** The values a run gets: visible inputs with a value. */
  const submitted = async (): Promise<Values> => {
    const s = await formRules.evaluateForm(props.inputs, { ...scopeBase(), form: values() });
    const out: Values = {};
    for (const [name, v] of Object.entries(values())) {
      if (!(name in props.inputs.properties) || s[name]?.visible === false || empty(v)) continue;
      out[name] = v;
    }
    return out;
  };

  const submittedLoose = (): Values =>
    Object.fromEntries(
      Object.entries(values()).filter(([k, v]) => k in props.inputs.properties && !empty(v)),
    );

  const check = async (only?: string[]) => {
    let out: Values;
    let details: { path: string; message: string }[];
    try {
      out = await submitted();
      details = await formRules.validateInputs(props.inputs, out, scopeBase());
    } catch (err) {
      // A broken rule in the definition: the server will say so too; let it answer.
      return { out: await submittedLoose(), ok: true, error: err };
    }
    const byField: Record<string, string[]> = {};
    for (const d of details) {
      const name = d.path.replace(/^inputs\./, '').replace(/\[\d+\]$/, '');
      if (only && !only.includes(name)) continue;
      byField[name] = [...(byField[name] ?? []), d.message];
    }
    setErrors(byField);
    return { out, ok: Object.keys(byField).length === 0 };
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    const last = page() >= pages().length - 1;
    if (!last) {
      if ((await check(pages()[page()].properties)).ok) setPage(page() + 1);
      return;
    }
    const { out, ok } = await check();
    if (!ok) {
      const i = pages().findIndex((p) => p.properties.some((n) => errors()[n]?.length));
      if (i >= 0) setPage(i);
      return;
    }
    props.onSubmit?.(out);
  };

  return (
    <form id={props.formId} class="action-form" onSubmit={submit} novalidate data-testid="action-form">
      <Show when={pages().length > 1}>
        <ol class="steps" data-testid="form-steps">
          <For each={pages()}>
            {(p, i) => (
              <li class={i() === page() ? 'current' : i() < page() ? 'done' : ''}>
                <span class="step-number">{i() + 1}</span> {p.title}
              </li>
            )}
          </For>
        </ol>
      </Show>
      <Show when={states.error}>
        <div class="alert error" role="alert" data-testid="form-rule-error">
          {(states.error as Error)?.message ?? String(states.error)}
        </div>
      </Show>
      <div class="form-grid">
        <For each={pages()[page()]?.properties ?? []}>
          {(name) => (
            <Show when={state(name).visible}>
              <InputField
                name={name}
                input={props.inputs.properties[name]}
                state={state(name)}
                value={values()[name]}
                errors={errors()[name] ?? []}
                idPrefix={props.formId}
                set={(v) => set(name, v)}
                users={peek(dir.users) ?? []}
                teams={peek(dir.teams) ?? []}
              />
            </Show>
          )}
        </For>
        <Show when={(pages()[page()]?.properties ?? []).length === 0}>
          <div class="faint small span-2">This action takes no inputs.</div>
        </Show>
      </div>
      {
        props.footer?.({
          page: page(),
          pages: pages().length,
          last: page() >= pages().length - 1,
          back: () => setPage((p) => Math.max(0, p - 1)),
        }) as never
      }
    </form>
  );
}

function InputField(props: {
  name: string;
  input: ActionInput;
  state: FieldState;
  value: unknown;
  errors: string[];
  idPrefix: string;
  set: (v: unknown) => void;
  users: { id: string; name: string }[];
  teams: { identifier: string; title: string }[];
}) {
  const i = () => props.input;
  const id = () => `${props.idPrefix}-${props.name}`;
  const invalid = () => (props.errors.length > 0 ? 'invalid' : '');
  const wide = () =>
    i().format === 'multi-line' || i().type === 'array' || i().type === 'object' || i().format === 'entity';
  const str = () => (props.value === undefined || props.value === null ? '' : String(props.value));
  return (
    <div class={`field ${wide() ? 'span-2' : ''}`} data-input={props.name}>
      <Show when={i().type !== 'boolean'}>
        <label for={id()}>
          {i().title ?? props.name}
          {props.state.required ? ' *' : ''}
        </label>
      </Show>
      <Switch
        fallback={
          <input
            id={id()}
            name={props.name}
            class={`input ${invalid()}`}
            type={i().format === 'email' ? 'email' : i().format === 'url' ? 'url' : 'text'}
            value={str()}
            onInput={(e) => props.set(e.currentTarget.value)}
          />
        }
      >
        <Match when={i().type === 'boolean'}>
          <label class="check">
            <input
              id={id()}
              name={props.name}
              type="checkbox"
              checked={props.value === true}
              onChange={(e) => props.set(e.currentTarget.checked)}
            />{' '}
            {i().title ?? props.name}
            {props.state.required ? ' *' : ''}
          </label>
        </Match>
        <Match when={i().type === 'array'}>
          <ArrayField {...props} id={id()} />
        </Match>
        <Match when={props.state.enum}>
          <select
            id={id()}
            name={props.name}
            class={`select ${invalid()}`}
            value={str()}
            onChange={(e) => {
              const raw = e.currentTarget.value;
              const picked = (props.state.enum ?? []).find((o) => String(o) === raw);
              props.set(raw === '' ? undefined : picked);
            }}
          >
            <option value="">—</option>
            <For each={props.state.enum ?? []}>
              {(o) => (
                <option value={String(o)} selected={String(o) === str()}>
                  {String(o)}
                </option>
              )}
            </For>
          </select>
        </Match>
        <Match when={i().type === 'number' || i().type === 'integer'}>
          <input
            id={id()}
            name={props.name}
            class={`input ${invalid()}`}
            type="number"
            step={i().type === 'integer' ? '1' : 'any'}
            min={i().minimum}
            max={i().maximum}
            value={str()}
            onInput={(e) => {
              const raw = e.currentTarget.value;
              props.set(raw === '' ? undefined : Number(raw));
            }}
          />
        </Match>
        <Match when={i().type === 'object'}>
          <textarea
            id={id()}
            name={props.name}
            rows={4}
            class={`textarea mono ${invalid()}`}
            value={props.value === undefined ? '' : JSON.stringify(props.value, null, 2)}
            onChange={(e) => {
              const raw = e.currentTarget.value.trim();
              try {
                props.set(raw === '' ? undefined : JSON.parse(raw));
              } catch {
                props.set(raw);
              }
            }}
          />
        </Match>
        <Match when={i().format === 'multi-line'}>
          <textarea
            id={id()}
            name={props.name}
            rows={4}
            class={`textarea ${invalid()}`}
            value={str()}
            onInput={(e) => props.set(e.currentTarget.value)}
          />
        </Match>
        <Match when={i().format === 'secret'}>
          <input
            id={id()}
            name={props.name}
            class={`input ${invalid()}`}
            type="password"
            autocomplete="new-password"
            value={str()}
            onInput={(e) => props.set(e.currentTarget.value)}
          />
        </Match>
        <Match when={i().format === 'date-time'}>
          <input
            id={id()}
            name={props.name}
            class={`input ${invalid()}`}
            type="datetime-local"
            value={toLocalInput(props.value)}
            onInput={(e) => {
              const raw = e.currentTarget.value;
              const d = new Date(raw);
              props.set(raw === '' || Number.isNaN(d.getTime()) ? undefined : d.toISOString());
            }}
          />
        </Match>
        <Match when={i().format === 'entity'}>
          <EntityField
            id={id()}
            input={i()}
            value={typeof props.value === 'string' ? props.value : ''}
            set={props.set}
          />
        </Match>
        <Match when={i().format === 'team'}>
          <Show
            when={props.teams.length > 0}
            fallback={
              <input
                id={id()}
                name={props.name}
                class={`input ${invalid()}`}
                value={str()}
                onInput={(e) => props.set(e.currentTarget.value)}
                placeholder="team identifier"
              />
            }
          >
            <select
              id={id()}
              name={props.name}
              class={`select ${invalid()}`}
              onChange={(e) => props.set(e.currentTarget.value || undefined)}
            >
              <option value="">—</option>
              <For each={props.teams}>
                {(t) => (
                  <option value={t.identifier} selected={t.identifier === str()}>
                    {t.title || t.identifier}
                  </option>
                )}
              </For>
            </select>
          </Show>
        </Match>
        <Match when={i().format === 'user'}>
          <input
            id={id()}
            name={props.name}
            class={`input ${invalid()}`}
            list={`${id()}-users`}
            value={str()}
            onInput={(e) => props.set(e.currentTarget.value)}
            placeholder="user id"
          />
          <datalist id={`${id()}-users`}>
            <For each={props.users}>{(u) => <option value={u.id}>{u.name}</option>}</For>
          </datalist>
        </Match>
      </Switch>
      <Show when={i().description}>
        <span class="field-hint">{i().description}</span>
      </Show>
      <For each={props.errors}>
        {(m) => (
          <span class="field-error" data-error-for={props.name}>
            {m}
          </span>
        )}
      </For>
    </div>
  );
}

/** An entity of the input's blueprint: a list of the matches when `dataset` narrows it, else a typeahead. */
function EntityField(props: { id: string; input: ActionInput; value: string; set: (v: unknown) => void }) {
  const api = useApi();
  const bp = () => props.input.blueprint ?? props.input.items?.blueprint ?? '';
  const [choices] = createResource(
    () => (props.input.dataset ? { bp: bp(), dataset: props.input.dataset } : false),
    async ({ bp, dataset }) => {
      const body = await api.post<{ entities: StoredEntity[] }>('/api/v1/search', {
        blueprint: bp,
        combinator: dataset.combinator ?? 'and',
        rules: dataset.rules,
        limit: 200,
      });
      return body.entities ?? [];
    },
  );
  return (
    <Show
      when={props.input.dataset}
      fallback={
        <div class="entity-field">
          <Show when={props.value}>
            <span class="chip" data-testid="picked-entity">
              {props.value}
              <button type="button" class="chip-x" aria-label="Clear" onClick={() => props.set(undefined)}>
                ✕
              </button>
            </span>
          </Show>
          <EntityPicker
            id={props.id}
            blueprints={[bp()]}
            onPick={(key) => props.set(key.slice(key.indexOf(':') + 1))}
            placeholder={`Search ${bp()}…`}
          />
        </div>
      }
    >
      <select id={props.id} class="select" onChange={(e) => props.set(e.currentTarget.value || undefined)}>
        <option value="">{choices.loading ? 'Loading…' : '—'}</option>
        <For each={peek(choices) ?? []}>
          {(e) => (
            <option value={e.identifier} selected={e.identifier === props.value}>
              {e.title || e.identifier}
            </option>
          )}
        </For>
      </select>
    </Show>
  );
}

/** A list input: checkboxes over an item enum, entity picks, or a row per item. */
function ArrayField(props: {
  id: string;
  name: string;
  input: ActionInput;
  value: unknown;
  errors: string[];
  set: (v: unknown) => void;
}) {
  const items = () => (Array.isArray(props.value) ? (props.value as unknown[]) : []);
  const itemType = () => props.input.items?.type ?? 'string';
  const parse = (raw: string): unknown =>
    itemType() === 'number' || itemType() === 'integer'
      ? raw === ''
        ? raw
        : Number(raw)
      : itemType() === 'boolean'
        ? raw === 'true'
        : raw;
  return (
    <Switch
      fallback={
        <div class="array-field" id={props.id}>
          <Index each={items()}>
            {(item, n) => (
              <div class="row array-row">
                <input
                  class="input grow"
                  aria-label={`${props.input.title ?? props.name} ${n + 1}`}
                  type={itemType() === 'number' || itemType() === 'integer' ? 'number' : 'text'}
                  value={String(item() ?? '')}
                  onInput={(e) =>
                    props.set(items().map((x, j) => (j === n ? parse(e.currentTarget.value) : x)))
                  }
                />
                <button
                  type="button"
                  class="btn icon ghost"
                  aria-label="Remove"
                  onClick={() => props.set(items().filter((_, j) => j !== n))}
                >
                  ✕
                </button>
              </div>
            )}
          </Index>
          <button
            type="button"
            class="btn small"
            onClick={() => props.set([...items(), itemType() === 'string' ? '' : undefined])}
          >
            + Add
          </button>
        </div>
      }
    >
      <Match when={props.input.items?.enum}>
        <div class="check-group" id={props.id}>
          <For each={props.input.items?.enum ?? []}>
            {(o) => (
              <label class="check">
                <input
                  type="checkbox"
                  checked={items().includes(o)}
                  onChange={(e) =>
                    props.set(e.currentTarget.checked ? [...items(), o] : items().filter((x) => x !== o))
                  }
                />{' '}
                {String(o)}
              </label>
            )}
          </For>
        </div>
      </Match>
      <Match when={props.input.items?.format === 'entity'}>
        <div class="entity-field">
          <For each={items()}>
            {(v) => (
              <span class="chip">
                {String(v)}
                <button
                  type="button"
                  class="chip-x"
                  aria-label="Remove"
                  onClick={() => props.set(items().filter((x) => x !== v))}
                >
                  ✕
                </button>
              </span>
            )}
          </For>
          <EntityPicker
            id={props.id}
            blueprints={[props.input.items?.blueprint ?? props.input.blueprint ?? '']}
            onPick={(key) => {
              const ident = key.slice(key.indexOf(':') + 1);
              if (!items().includes(ident)) props.set([...items(), ident]);
            }}
          />
        </div>
      </Match>
    </Switch>
  );
}
