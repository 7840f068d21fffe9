import {
  type ActionDefinition,
  type ActionInput,
  type ActionInputs,
  actionOperations,
  checkExpression,
  type InvokerConfig,
  isExpression,
  type Model,
} from '@plexus/contract';
import { checkPermissions } from '../auth/permissions.ts';
import { type ErrorDetail, PlexusError } from '../errors.ts';
import { compileSearch } from '../search/rules.ts';
import type { InvokerRegistry } from './invokers/index.ts';

/** Action identifiers: lower-case start, then letters, digits, `-` and `_` (e.g. `roll-back`). */
export const actionIdentifierPattern = /^[a-z][a-zA-Z0-9_-]{0,63}$/;
const inputNamePattern = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

const actionKeys = new Set([
  'identifier',
  'title',
  'description',
  'icon',
  'blueprint',
  'operation',
  'condition',
  'inputs',
  'invoker',
  'approval',
  'permissions',
  'timeoutMs',
  'createdAt',
  'updatedAt',
  'createdBy',
  'updatedBy',
  'applySet',
]);
const inputKeys = new Set([
  'type',
  'title',
  'description',
  'format',
  'blueprint',
  'dataset',
  'enum',
  'default',
  'visible',
  'required',
  'pattern',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'items',
  'minItems',
  'maxItems',
]);
const inputTypes = ['string', 'number', 'integer', 'boolean', 'array', 'object'];
const itemTypes = ['string', 'number', 'integer', 'boolean'];
const formats = ['date-time', 'multi-line', 'secret', 'entity', 'user', 'team', 'email', 'url'];
/** Longest timeout an action may set: a week. */
export const maxTimeoutMs = 7 * 24 * 3_600_000;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The rule problems of a search-rules value against a blueprint, as details under `path`. */
function checkRules(model: Model, blueprint: string, value: unknown, path: string, out: ErrorDetail[]): void {
  if (!isObject(value) || !Array.isArray(value.rules)) {
    out.push({
      path,
      message: 'must be {"combinator"?: "and"|"or", "rules": [...]} in the search rules language',
    });
    return;
  }
  if (value.combinator !== undefined && value.combinator !== 'and' && value.combinator !== 'or') {
    out.push({ path: `${path}/combinator`, message: 'combinator must be "and" or "or"' });
    return;
  }
  try {
    compileSearch(model, {
      blueprint,
      combinator: value.combinator as 'and' | 'or' | undefined,
      rules: value.rules as never,
      limit: 1,
    });
  } catch (err) {
    if (!(err instanceof PlexusError)) throw err;
    const details = err.details.length ? err.details : [{ message: err.message }];
    for (const d of details)
      out.push({
        ...d,
        path: `${path}${d.path ? (String(d.path).startsWith('/') ? d.path : `/${d.path}`) : ''}`,
        message: d.message,
      });
  }
}

/** Problems of a grant (`{roles?, users?, teams?, owners?}`), with the blueprint permission checker. */
function checkGrant(value: unknown, path: string, out: ErrorDetail[]): void {
  for (const d of checkPermissions({ update: value }, {}))
    out.push({ ...d, path: `${path}${String(d.path).slice('/permissions/update'.length)}` });
}

function checkDynamic(value: unknown, path: string, out: ErrorDetail[]): boolean {
  if (!isExpression(value)) return false;
  const problem = checkExpression(value.jsonata);
  if (problem) out.push({ path, message: problem });
  return true;
}

function checkInput(model: Model, name: string, input: unknown, out: ErrorDetail[]): void {
  const path = `/inputs/properties/${name}`;
  if (!inputNamePattern.test(name))
    out.push({
      path,
      message: 'input names are letters, digits and _ (at most 64), starting with a letter or _',
    });
  if (!isObject(input)) {
    out.push({ path, message: 'an input is a JSON Schema property such as {"type": "string"}' });
    return;
  }
  for (const k of Object.keys(input))
    if (!inputKeys.has(k))
      out.push({
        path: `${path}/${k}`,
        message: `unknown key "${k}"; an input has ${[...inputKeys].join(', ')}`,
      });
  const i = input as unknown as ActionInput;
  if (!inputTypes.includes(i.type))
    out.push({ path: `${path}/type`, message: `type must be one of ${inputTypes.join(', ')}` });
  if (i.format !== undefined && !formats.includes(i.format))
    out.push({ path: `${path}/format`, message: `format must be one of ${formats.join(', ')}` });
  if (i.format === 'secret' && i.type !== 'string')
    out.push({ path: `${path}/format`, message: 'a secret input must have type string' });
  for (const k of ['title', 'description'] as const)
    if (i[k] !== undefined && typeof i[k] !== 'string')
      out.push({ path: `${path}/${k}`, message: `${k} must be a string` });
  const entityBlueprint =
    i.format === 'entity'
      ? i.blueprint
      : i.type === 'array' && i.items?.format === 'entity'
        ? i.items.blueprint
        : undefined;
  if (i.format === 'entity' || (i.type === 'array' && i.items?.format === 'entity')) {
    if (typeof entityBlueprint !== 'string' || !model.has(entityBlueprint)) {
      out.push({
        path: `${path}${i.format === 'entity' ? '' : '/items'}/blueprint`,
        message: `an entity picker needs "blueprint": an existing blueprint, got ${JSON.stringify(entityBlueprint)}`,
      });
    } else if (i.dataset !== undefined) checkRules(model, entityBlueprint, i.dataset, `${path}/dataset`, out);
  } else if (i.dataset !== undefined)
    out.push({
      path: `${path}/dataset`,
      message: 'dataset only applies to entity pickers (format "entity")',
    });
  if (
    i.enum !== undefined &&
    !checkDynamic(i.enum, `${path}/enum`, out) &&
    (!Array.isArray(i.enum) || i.enum.length === 0)
  ) {
    out.push({ path: `${path}/enum`, message: 'enum must be a non-empty list or {"jsonata": "..."}' });
  }
  for (const k of ['visible', 'required'] as const) {
    const v = i[k];
    if (v !== undefined && !checkDynamic(v, `${path}/${k}`, out) && typeof v !== 'boolean')
      out.push({ path: `${path}/${k}`, message: `${k} must be true, false or {"jsonata": "..."}` });
  }
  if (i.default !== undefined) checkDynamic(i.default, `${path}/default`, out);
  if (i.pattern !== undefined) {
    try {
      new RegExp(String(i.pattern), 'u');
      if (typeof i.pattern !== 'string') throw new Error();
    } catch {
      out.push({ path: `${path}/pattern`, message: 'pattern must be a valid regular expression' });
    }
  }
  for (const k of ['minimum', 'maximum'] as const)
    if (i[k] !== undefined && (typeof i[k] !== 'number' || !Number.isFinite(i[k])))
      out.push({ path: `${path}/${k}`, message: `${k} must be a number` });
  for (const k of ['minLength', 'maxLength', 'minItems', 'maxItems'] as const) {
    if (i[k] !== undefined && (!Number.isInteger(i[k]) || (i[k] as number) < 0))
      out.push({ path: `${path}/${k}`, message: `${k} must be a whole number >= 0` });
  }
  if (i.items !== undefined) {
    if (i.type !== 'array') out.push({ path: `${path}/items`, message: 'items only applies to type array' });
    else if (!isObject(i.items) || !itemTypes.includes(i.items.type))
      out.push({
        path: `${path}/items/type`,
        message: `items must be {"type": ${itemTypes.map((t) => `"${t}"`).join(' | ')}}`,
      });
    else if (i.items.enum !== undefined && (!Array.isArray(i.items.enum) || i.items.enum.length === 0))
      out.push({ path: `${path}/items/enum`, message: 'items.enum must be a non-empty list' });
  }
}

function checkInputs(model: Model, value: unknown, out: ErrorDetail[]): void {
  if (value === undefined) return;
  if (!isObject(value) || !isObject(value.properties)) {
    out.push({
      path: '/inputs',
      message: 'inputs must be {"properties": {...}, "required"?: [...]} (JSON Schema with UI hints)',
    });
    return;
  }
  for (const k of Object.keys(value))
    if (!['properties', 'required', 'steps', 'order'].includes(k))
      out.push({
        path: `/inputs/${k}`,
        message: `unknown key "${k}"; inputs has properties, required, steps and order`,
      });
  const inputs = value as unknown as ActionInputs;
  const names = Object.keys(inputs.properties);
  if (names.length > 200)
    out.push({ path: '/inputs/properties', message: 'an action takes at most 200 inputs' });
  for (const name of names) checkInput(model, name, inputs.properties[name], out);
  const knownList = (list: unknown, path: string) => {
    if (!Array.isArray(list) || !list.every((n) => typeof n === 'string')) {
      out.push({ path, message: 'must be a list of input names' });
      return [];
    }
    for (const [i, n] of list.entries())
      if (!names.includes(n))
        out.push({
          path: `${path}/${i}`,
          message: `"${n}" is not one of the inputs (${names.join(', ') || 'none'})`,
        });
    return list as string[];
  };
  if (inputs.required !== undefined) knownList(inputs.required, '/inputs/required');
  if (inputs.order !== undefined) knownList(inputs.order, '/inputs/order');
  if (inputs.steps !== undefined) {
    if (!Array.isArray(inputs.steps))
      out.push({ path: '/inputs/steps', message: 'steps must be a list of {"title", "properties": [...]}' });
    else {
      const seen = new Map<string, number>();
      for (const [i, step] of inputs.steps.entries()) {
        if (!isObject(step) || typeof step.title !== 'string') {
          out.push({
            path: `/inputs/steps/${i}`,
            message: 'a step is {"title": "...", "properties": [...]}',
          });
          continue;
        }
        for (const n of knownList(step.properties, `/inputs/steps/${i}/properties`)) {
          if (seen.has(n))
            out.push({
              path: `/inputs/steps/${i}/properties`,
              message: `"${n}" is already in step ${seen.get(n)}; every input appears in exactly one step`,
            });
          seen.set(n, i);
        }
      }
      const missing = names.filter((n) => !seen.has(n));
      if (missing.length)
        out.push({
          path: '/inputs/steps',
          message: `every input appears in exactly one step; missing: ${missing.join(', ')}`,
        });
    }
  }
}

/**
 * Checks an action definition against the model and the invoker registry: one detail per problem
 * with its path (`/invoker/url`, `/inputs/properties/version/pattern`, `/condition/rules/0/property`),
 * for the field-level 422 on save. Empty when the definition is valid.
 */
export function validateAction(input: unknown, model: Model, invokers: InvokerRegistry): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  if (!isObject(input)) return [{ path: '', message: 'an action must be a JSON object' }];
  for (const key of Object.keys(input))
    if (!actionKeys.has(key)) out.push({ path: `/${key}`, message: `unknown key "${key}" in action` });
  const a = input as unknown as ActionDefinition;
  if (typeof a.identifier !== 'string' || !actionIdentifierPattern.test(a.identifier)) {
    out.push({
      path: '/identifier',
      message:
        'identifier must start with a lower-case letter, then letters, digits, "-" or "_" (e.g. "roll-back"), at most 64 characters',
    });
  }
  if (typeof a.title !== 'string' || a.title.trim() === '' || a.title.length > 200)
    out.push({
      path: '/title',
      message: 'title is required: a short label such as "Roll back" (at most 200 characters)',
    });
  for (const k of ['description', 'icon'] as const)
    if (a[k] !== undefined && typeof a[k] !== 'string')
      out.push({ path: `/${k}`, message: `${k} must be a string` });
  if (!actionOperations.includes(a.operation))
    out.push({ path: '/operation', message: `operation must be one of ${actionOperations.join(', ')}` });
  const bpKnown = typeof a.blueprint === 'string' && model.has(a.blueprint);
  if (a.blueprint !== undefined && !bpKnown)
    out.push({
      path: '/blueprint',
      message: `blueprint ${JSON.stringify(a.blueprint)} does not exist; GET /api/v1/blueprints lists them`,
    });
  if (a.blueprint === undefined && (a.operation === 'DAY-2' || a.operation === 'DELETE'))
    out.push({
      path: '/blueprint',
      message: `a ${a.operation} action operates on entities of a blueprint: set "blueprint"`,
    });
  if (a.condition !== undefined) {
    if (a.operation === 'CREATE')
      out.push({
        path: '/condition',
        message: 'a CREATE action has no target entity, so no condition; remove it',
      });
    else if (bpKnown) checkRules(model, a.blueprint as string, a.condition, '/condition', out);
  }
  checkInputs(model, a.inputs, out);
  if (!isObject(a.invoker))
    out.push({
      path: '/invoker',
      message: `invoker is required: {"type": ${Object.keys(invokers)
        .map((t) => `"${t}"`)
        .join(' | ')}, ...}`,
    });
  else {
    const invoker = invokers[String(a.invoker.type)];
    if (!invoker)
      out.push({
        path: '/invoker/type',
        message: `invoker type must be one of ${Object.keys(invokers).join(', ')}`,
      });
    else
      for (const d of invoker.validate(a.invoker as InvokerConfig))
        out.push({ path: `/invoker${d.path ? `/${d.path.replace(/^\//, '')}` : ''}`, message: d.message });
  }
  if (a.approval !== undefined) {
    if (!isObject(a.approval) || typeof a.approval.required !== 'boolean')
      out.push({
        path: '/approval',
        message: 'approval must be {"required": true|false, "type"?: "ANY"|"ALL", "approvers"?: {...}}',
      });
    else {
      for (const k of Object.keys(a.approval))
        if (!['required', 'type', 'approvers'].includes(k))
          out.push({
            path: `/approval/${k}`,
            message: `unknown key "${k}"; approval has required, type and approvers`,
          });
      if (a.approval.type !== undefined && a.approval.type !== 'ANY' && a.approval.type !== 'ALL')
        out.push({ path: '/approval/type', message: 'type must be "ANY" or "ALL"' });
      if (a.approval.approvers !== undefined) checkGrant(a.approval.approvers, '/approval/approvers', out);
    }
  }
  if (a.permissions !== undefined) {
    if (!isObject(a.permissions))
      out.push({
        path: '/permissions',
        message: 'permissions must be {"execute"?: grant, "approve"?: grant}',
      });
    else
      for (const [k, grant] of Object.entries(a.permissions)) {
        if (k !== 'execute' && k !== 'approve')
          out.push({
            path: `/permissions/${k}`,
            message: `unknown key "${k}"; permissions has execute and approve`,
          });
        else checkGrant(grant, `/permissions/${k}`, out);
      }
  }
  if (
    a.timeoutMs !== undefined &&
    (!Number.isInteger(a.timeoutMs) || a.timeoutMs < 1000 || a.timeoutMs > maxTimeoutMs)
  ) {
    out.push({
      path: '/timeoutMs',
      message: `timeoutMs must be a whole number of milliseconds between 1000 and ${maxTimeoutMs} (a week)`,
    });
  }
  return out;
}
