/**
 * The form rules the action forms run. The server's isomorphic implementation
 * (server/src/actions/form-rules.ts, the same code that validates a run's inputs) is the one
 * source of truth; until it is on this branch this is a stand-in written against the same
 * `FormRules` interface, so swapping it for a re-export changes nothing else.
 */
import jsonata from 'jsonata';
import type { ActionInput, ActionInputs, FieldState, FormRules, FormScope } from '../../api/actions.ts';

const isExpr = (v: unknown): v is { jsonata: string } =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  typeof (v as { jsonata?: unknown }).jsonata === 'string';

const compiled = new Map<string, ReturnType<typeof jsonata>>();
async function evaluate(expr: string, scope: unknown): Promise<unknown> {
  let e = compiled.get(expr);
  if (!e) {
    e = jsonata(expr);
    compiled.set(expr, e);
  }
  return e.evaluate(scope);
}

async function value<T>(v: T | { jsonata: string } | undefined, scope: unknown): Promise<unknown> {
  if (!isExpr(v)) return v;
  try {
    return await evaluate(v.jsonata, scope);
  } catch {
    return undefined;
  }
}

async function fieldState(
  name: string,
  input: ActionInput,
  inputs: ActionInputs,
  scope: FormScope,
): Promise<FieldState> {
  const visible = input.visible === undefined ? true : Boolean(await value(input.visible, scope));
  const required =
    input.required === undefined
      ? (inputs.required ?? []).includes(name)
      : Boolean(await value(input.required, scope));
  const state: FieldState = { visible, required };
  if (input.enum !== undefined) {
    const e = await value(input.enum, scope);
    state.enum = Array.isArray(e) ? e : e === undefined || e === null ? [] : [e];
  }
  if (input.default !== undefined) state.default = await value(input.default, scope);
  return state;
}

const empty = (v: unknown) =>
  v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);

function checkValue(input: ActionInput, v: unknown, enumValues: unknown[] | undefined): string | null {
  const t = input.type;
  if (t === 'string') {
    if (typeof v !== 'string') return 'must be text';
    if (input.minLength !== undefined && v.length < input.minLength)
      return `must be at least ${input.minLength} characters`;
    if (input.maxLength !== undefined && v.length > input.maxLength)
      return `must be at most ${input.maxLength} characters`;
    if (input.pattern) {
      try {
        if (!new RegExp(input.pattern, 'u').test(v)) return `must match ${input.pattern}`;
      } catch {}
    }
    if (input.format === 'date-time' && Number.isNaN(Date.parse(v))) return 'must be a date and time';
    if (input.format === 'email' && !/^[^@\s]+@[^@\s]+$/.test(v)) return 'must be an email address';
    if (input.format === 'url' && !/^https?:\/\/\S+$/.test(v)) return 'must be an http(s) URL';
  }
  if (t === 'number' || t === 'integer') {
    if (typeof v !== 'number' || Number.isNaN(v)) return 'must be a number';
    if (t === 'integer' && !Number.isInteger(v)) return 'must be a whole number';
    if (input.minimum !== undefined && v < input.minimum) return `must be at least ${input.minimum}`;
    if (input.maximum !== undefined && v > input.maximum) return `must be at most ${input.maximum}`;
  }
  if (t === 'boolean' && typeof v !== 'boolean') return 'must be true or false';
  if (t === 'array') {
    if (!Array.isArray(v)) return 'must be a list';
    if (input.minItems !== undefined && v.length < input.minItems)
      return `needs at least ${input.minItems} items`;
    if (input.maxItems !== undefined && v.length > input.maxItems)
      return `takes at most ${input.maxItems} items`;
    const allowed = input.items?.enum;
    if (allowed && v.some((x) => !allowed.includes(x))) return `items must be one of ${allowed.join(', ')}`;
  }
  if (enumValues && t !== 'array' && !enumValues.includes(v))
    return `must be one of ${enumValues.map(String).join(', ')}`;
  return null;
}

export const formRules: FormRules = {
  async evaluateForm(inputs, scope) {
    const out: Record<string, FieldState> = {};
    for (const [name, input] of Object.entries(inputs.properties ?? {}))
      out[name] = await fieldState(name, input, inputs, scope);
    return out;
  },
  async validateInputs(inputs, values, scope) {
    const states = await formRules.evaluateForm(inputs, { ...scope, form: values });
    const details: { path: string; message: string }[] = [];
    for (const [name, input] of Object.entries(inputs.properties ?? {})) {
      const s = states[name];
      if (!s.visible) continue;
      const v = values[name];
      if (empty(v)) {
        if (s.required)
          details.push({ path: `inputs.${name}`, message: `${input.title ?? name} is required` });
        continue;
      }
      const problem = checkValue(input, v, s.enum);
      if (problem) details.push({ path: `inputs.${name}`, message: `${input.title ?? name} ${problem}` });
    }
    for (const name of Object.keys(values))
      if (!(name in (inputs.properties ?? {})))
        details.push({ path: `inputs.${name}`, message: `${name} is not an input of this action` });
    return details;
  },
};
