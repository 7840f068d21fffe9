import type { ActionInput, ActionInputs, FieldState, FormRules, FormScope } from './actions.ts';
import { compileJsonata, type JsonataExpression, jsonataErrorText } from './jsonata.ts';

/**
 * The rules of an action's form, shared by the server (validating a run's inputs) and the UI
 * (showing, hiding and pre-filling fields as the user types). Isomorphic on purpose: only
 * JSONata (with the SDK's evaluation limits) and plain TypeScript, no Node modules, because web/
 * imports this file.
 *
 * Dynamic rules (`visible`, `required`, `default`, `enum` given as `{ "jsonata": "..." }`) are
 * JSONata over `{ form, entity, user }`. A hidden field is never required and its value is dropped.
 */

/** One problem with one input: `path` is `inputs.<name>` (or `inputs.<name>[i]`). */
export interface InputProblem {
  path: string;
  message: string;
}

/** A dynamic value: a JSONata expression over `{ form, entity, user }`. */
export interface Expression {
  jsonata: string;
}

/** True for `{ "jsonata": "<text>" }` (and nothing else). */
export function isExpression(value: unknown): value is Expression {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    typeof (value as { jsonata?: unknown }).jsonata === 'string'
  );
}

type Compiled = JsonataExpression;
// Parsed expressions by text: definitions are few and evaluated many times (every keystroke in the UI).
const compiled = new Map<string, Compiled>();
const maxCached = 500;

function compile(text: string): Compiled {
  let e = compiled.get(text);
  if (!e) {
    e = compileJsonata(text);
    if (compiled.size >= maxCached) compiled.clear();
    compiled.set(text, e);
  }
  return e;
}

/** Why `text` is not a valid JSONata expression, or null when it is (for the 422 on save). */
export function checkExpression(text: string): string | null {
  try {
    compile(text);
    return null;
  } catch (err) {
    return `JSONata: ${jsonataErrorText(err)}`;
  }
}

/** Evaluates `{ jsonata }` over `data`; JSONata sequences come back as plain arrays. */
export async function evaluateExpression(expr: Expression, data: unknown): Promise<unknown> {
  const out = await compile(expr.jsonata).evaluate(data);
  return Array.isArray(out) ? [...out] : out;
}

/** The inputs' names in display order: steps, else `order`, else the properties' order. */
export function inputOrder(inputs: ActionInputs): string[] {
  const names = Object.keys(inputs.properties ?? {});
  const listed = inputs.steps ? inputs.steps.flatMap((s) => s.properties) : (inputs.order ?? []);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const n of [...listed, ...names]) {
    if (!seen.has(n) && n in (inputs.properties ?? {})) {
      seen.add(n);
      out.push(n);
    }
  }
  return out;
}

/** Names of the inputs whose values are secrets (`format: secret`): masked when stored or shown. */
export function secretInputNames(inputs: ActionInputs): string[] {
  return Object.entries(inputs.properties ?? {})
    .filter(([, p]) => p.format === 'secret')
    .map(([n]) => n);
}

class RuleError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

async function dynamic(name: string, rule: string, value: unknown, scope: FormScope): Promise<unknown> {
  if (!isExpression(value)) return value;
  try {
    return await evaluateExpression(value, scope);
  } catch (err) {
    throw new RuleError(
      `inputs.${name}`,
      `its ${rule} rule failed: ${(err as Error).message}; fix the action's definition`,
    );
  }
}

async function fieldState(
  name: string,
  input: ActionInput,
  inputs: ActionInputs,
  scope: FormScope,
): Promise<FieldState> {
  const visible =
    input.visible === undefined ? true : Boolean(await dynamic(name, 'visible', input.visible, scope));
  const listed = (inputs.required ?? []).includes(name);
  const required =
    visible &&
    (listed ||
      (input.required === undefined
        ? false
        : Boolean(await dynamic(name, 'required', input.required, scope))));
  const state: FieldState = { visible, required };
  if (input.enum !== undefined) {
    const e = await dynamic(name, 'enum', input.enum, scope);
    state.enum = Array.isArray(e) ? e : e === undefined || e === null ? [] : [e];
  }
  if (input.default !== undefined) state.default = await dynamic(name, 'default', input.default, scope);
  return state;
}

/**
 * What each input looks like now: visible, required, its choices and default, given the form's
 * current values, the target entity and the caller.
 * @example await evaluateForm({ properties: { env: { type: 'string', enum: ['dev', 'prod'] } } }, { form: {}, entity: null, user })
 */
export async function evaluateForm(
  inputs: ActionInputs,
  scope: FormScope,
): Promise<Record<string, FieldState>> {
  const out: Record<string, FieldState> = {};
  for (const name of inputOrder(inputs))
    out[name] = await fieldState(name, inputs.properties[name], inputs, scope);
  return out;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const describe = (v: unknown) => {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
}

const dateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

function checkScalar(
  type: string,
  spec: {
    enum?: unknown[];
    format?: string;
    pattern?: string;
    minimum?: number;
    maximum?: number;
    minLength?: number;
    maxLength?: number;
  },
  value: unknown,
  path: string,
  out: InputProblem[],
): void {
  const fail = (message: string) => out.push({ path, message });
  switch (type) {
    case 'string': {
      if (typeof value !== 'string') return void fail(`must be a string, got ${describe(value)}`);
      if (spec.minLength !== undefined && value.length < spec.minLength)
        fail(`must be at least ${spec.minLength} characters long`);
      if (spec.maxLength !== undefined && value.length > spec.maxLength)
        fail(`must be at most ${spec.maxLength} characters long`);
      if (spec.pattern !== undefined) {
        let re: RegExp | null = null;
        try {
          re = new RegExp(spec.pattern, 'u');
        } catch {
          fail(
            `its pattern ${describe(spec.pattern)} is not a valid regular expression; fix the action's definition`,
          );
        }
        if (re && !re.test(value)) fail(`must match the pattern ${spec.pattern}`);
      }
      if (spec.format === 'date-time' && (!dateTime.test(value) || Number.isNaN(Date.parse(value))))
        fail('must be a date-time such as 2026-01-31T12:00:00Z');
      if (spec.format === 'email' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value))
        fail('must be an e-mail address such as ada@example.com');
      if (spec.format === 'url') {
        let ok = false;
        try {
          ok = ['http:', 'https:'].includes(new URL(value).protocol);
        } catch {}
        if (!ok) fail('must be an http(s) URL such as https://example.com/path');
      }
      break;
    }
    case 'number':
    case 'integer': {
      if (typeof value !== 'number' || !Number.isFinite(value))
        return void fail(`must be a number, got ${describe(value)}`);
      if (type === 'integer' && !Number.isInteger(value))
        return void fail(`must be a whole number, got ${value}`);
      if (spec.minimum !== undefined && value < spec.minimum) fail(`must be at least ${spec.minimum}`);
      if (spec.maximum !== undefined && value > spec.maximum) fail(`must be at most ${spec.maximum}`);
      break;
    }
    case 'boolean':
      if (typeof value !== 'boolean') return void fail(`must be true or false, got ${describe(value)}`);
      break;
    case 'object':
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return void fail(`must be an object, got ${describe(value)}`);
      break;
    default:
      return void fail(`has an unknown type "${type}"; fix the action's definition`);
  }
  if (spec.enum && !spec.enum.some((e) => same(e, value))) {
    fail(`must be one of ${spec.enum.map(describe).join(', ')}, got ${describe(value)}`);
  }
}

function checkValue(
  input: ActionInput,
  state: FieldState,
  value: unknown,
  path: string,
  out: InputProblem[],
): void {
  if (input.type !== 'array') {
    checkScalar(input.type, { ...input, enum: state.enum }, value, path, out);
    return;
  }
  if (!Array.isArray(value)) {
    out.push({ path, message: `must be a list, got ${describe(value)}` });
    return;
  }
  if (input.minItems !== undefined && value.length < input.minItems)
    out.push({ path, message: `must hold at least ${input.minItems} items` });
  if (input.maxItems !== undefined && value.length > input.maxItems)
    out.push({ path, message: `must hold at most ${input.maxItems} items` });
  const items = input.items ?? { type: 'string' as const };
  const itemEnum = items.enum ?? state.enum;
  for (const [i, v] of value.entries())
    checkScalar(items.type, { enum: itemEnum, format: items.format }, v, `${path}[${i}]`, out);
}

/**
 * Checks `values` against the form: unknown inputs, required ones (after the dynamic rules),
 * types, enums, patterns, bounds and lengths. Problems name the field: `inputs.version: ...`.
 * Hidden fields are neither required nor checked.
 */
export async function validateInputs(
  inputs: ActionInputs,
  values: Record<string, unknown>,
  scope: Omit<FormScope, 'form'>,
): Promise<InputProblem[]> {
  return (await resolveInputs(inputs, values, scope)).problems;
}

/**
 * What a run stores and sends: `values` with defaults filled in for missing visible inputs and
 * hidden inputs dropped, plus the problems `validateInputs` reports (nothing is usable when there
 * are problems).
 */
export async function resolveInputs(
  inputs: ActionInputs,
  values: Record<string, unknown>,
  scope: Omit<FormScope, 'form'>,
): Promise<{ values: Record<string, unknown>; problems: InputProblem[] }> {
  const problems: InputProblem[] = [];
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    return {
      values: {},
      problems: [{ path: 'inputs', message: 'inputs must be an object of input name → value' }],
    };
  }
  const properties = inputs.properties ?? {};
  const names = inputOrder(inputs);
  for (const key of Object.keys(values)) {
    if (!(key in properties)) {
      problems.push({
        path: `inputs.${key}`,
        message: `is not an input of this action; it takes ${names.length ? names.join(', ') : 'no inputs'}`,
      });
    }
  }
  let states: Record<string, FieldState>;
  try {
    states = await evaluateForm(inputs, { ...scope, form: values });
  } catch (err) {
    if (err instanceof RuleError)
      return { values: {}, problems: [...problems, { path: err.path, message: err.message }] };
    throw err;
  }
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const state = states[name];
    if (!state.visible) continue;
    let value = values[name];
    if (isEmpty(value) && state.default !== undefined && state.default !== null) value = state.default;
    if (isEmpty(value)) {
      if (state.required) problems.push({ path: `inputs.${name}`, message: 'is required' });
      continue;
    }
    const before = problems.length;
    checkValue(properties[name], state, value, `inputs.${name}`, problems);
    if (problems.length === before) out[name] = value;
  }
  return { values: out, problems };
}

/** The `FormRules` contract of types.ts, for callers that take it as a value. */
export const formRules: FormRules = { evaluateForm, validateInputs };
