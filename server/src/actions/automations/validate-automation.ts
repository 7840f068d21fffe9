import type { EgressPolicy } from '@plexus/connector-sdk';
import {
  type AutomationDefinition,
  type AutomationTrigger,
  compileJsonata,
  jsonataErrorText,
  type Model,
  runStatuses,
} from '@plexus/contract';
import type { ErrorDetail } from '../../errors.ts';

/** Automation identifiers: lower case, digits, `-` and `_`, starting with a letter. */
export const automationIdentifierPattern = /^[a-z][a-z0-9_-]{0,63}$/;
/** What a masked secret reads as; a PUT that sends it back keeps the stored secret. */
export const maskedSecret = '********';

const triggerTypes = [
  'entity.created',
  'entity.updated',
  'entity.deleted',
  'scorecard.levelChanged',
  'run.statusChanged',
  'property.expired',
] as const;
const maxExpressionLength = 10_000;

/** What validation needs to know about the rest of Plexus. */
export interface AutomationContext {
  model: Model;
  /** Whether a scorecard exists, and its blueprint. */
  scorecard(identifier: string): Promise<{ blueprint: string } | null>;
  /** Whether an action exists; absent while actions are not wired (then not checked). */
  actionExists?: (identifier: string) => Promise<boolean>;
  egress: EgressPolicy;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A JSONata expression `{ "jsonata": "..." }` that compiles; null (with a detail) when not. */
function checkExpression(
  value: unknown,
  path: string,
  out: ErrorDetail[],
  example: string,
): { jsonata: string } | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value) || typeof value.jsonata !== 'string' || value.jsonata.trim() === '') {
    out.push({
      path,
      message: `${path.slice(1).replaceAll('/', '.')} must be {"jsonata": "<expression>"}, e.g. {"jsonata": ${JSON.stringify(example)}}`,
    });
    return undefined;
  }
  if (value.jsonata.length > maxExpressionLength) {
    out.push({ path, message: `the expression is longer than ${maxExpressionLength} characters` });
    return undefined;
  }
  try {
    compileJsonata(value.jsonata);
  } catch (err) {
    out.push({
      path: `${path}/jsonata`,
      message: `the JSONata expression does not compile: ${jsonataErrorText(err)}`,
    });
    return undefined;
  }
  return { jsonata: value.jsonata };
}

async function checkTrigger(
  raw: unknown,
  ctx: AutomationContext,
  out: ErrorDetail[],
): Promise<AutomationTrigger | undefined> {
  if (
    !isObject(raw) ||
    typeof raw.type !== 'string' ||
    !(triggerTypes as readonly string[]).includes(raw.type)
  ) {
    out.push({
      path: '/trigger/type',
      message: `trigger.type must be one of ${triggerTypes.join(', ')}, e.g. {"type": "entity.created", "blueprint": "service"}`,
    });
    return undefined;
  }
  const type = raw.type as AutomationTrigger['type'];
  const blueprint = (required: boolean) => {
    const b = raw.blueprint;
    if (b === undefined && !required) return undefined;
    if (typeof b !== 'string' || b === '') {
      out.push({
        path: '/trigger/blueprint',
        message: `a ${type} trigger needs "blueprint": the identifier of a blueprint`,
      });
      return null;
    }
    if (!ctx.model.has(b)) {
      out.push({
        path: '/trigger/blueprint',
        message: `blueprint "${b}" does not exist; GET /api/v1/blueprints lists them`,
      });
      return null;
    }
    return b;
  };
  switch (type) {
    case 'entity.created':
    case 'entity.updated':
    case 'entity.deleted': {
      const b = blueprint(true);
      return b ? { type, blueprint: b } : undefined;
    }
    case 'scorecard.levelChanged': {
      const sc = raw.scorecard;
      const b = blueprint(false);
      if (typeof sc !== 'string' || sc === '') {
        out.push({
          path: '/trigger/scorecard',
          message: 'a scorecard.levelChanged trigger needs "scorecard": the identifier of a scorecard',
        });
        return undefined;
      }
      const found = await ctx.scorecard(sc);
      if (!found) {
        out.push({
          path: '/trigger/scorecard',
          message: `scorecard "${sc}" does not exist; GET /api/v1/scorecards lists them`,
        });
        return undefined;
      }
      if (b && found.blueprint !== b) {
        out.push({
          path: '/trigger/blueprint',
          message: `scorecard "${sc}" scores "${found.blueprint}" entities, not "${b}"; leave blueprint out or give "${found.blueprint}"`,
        });
        return undefined;
      }
      return b === null ? undefined : { type, scorecard: sc, ...(b ? { blueprint: b } : {}) };
    }
    case 'run.statusChanged': {
      const t: AutomationTrigger & { type: 'run.statusChanged' } = { type };
      if (raw.action !== undefined) {
        if (typeof raw.action !== 'string' || raw.action === '') {
          out.push({
            path: '/trigger/action',
            message: 'trigger.action must be the identifier of an action',
          });
        } else if (ctx.actionExists && !(await ctx.actionExists(raw.action))) {
          out.push({
            path: '/trigger/action',
            message: `action "${raw.action}" does not exist; GET /api/v1/actions lists them`,
          });
        } else t.action = raw.action;
      }
      if (raw.status !== undefined) {
        const bad =
          !Array.isArray(raw.status) ||
          raw.status.length === 0 ||
          raw.status.some((s) => !(runStatuses as readonly unknown[]).includes(s));
        if (bad)
          out.push({
            path: '/trigger/status',
            message: `trigger.status must be a non-empty list of run statuses: ${runStatuses.join(', ')}`,
          });
        else t.status = raw.status as typeof t.status;
      }
      return t;
    }
    case 'property.expired': {
      const b = blueprint(true);
      if (!b) return undefined;
      const prop = raw.property;
      const schema = typeof prop === 'string' ? ctx.model.get(b)?.schema.properties[prop] : undefined;
      if (typeof prop !== 'string' || !schema) {
        out.push({
          path: '/trigger/property',
          message: `a property.expired trigger needs "property": a date-time property of "${b}"${typeof prop === 'string' ? ` ("${prop}" is not one of its properties)` : ''}`,
        });
        return undefined;
      }
      if (schema.type !== 'string' || schema.format !== 'date-time') {
        out.push({
          path: '/trigger/property',
          message: `property "${prop}" of "${b}" must be a string with format date-time to expire`,
        });
        return undefined;
      }
      return { type, blueprint: b, property: prop };
    }
  }
}

async function checkTarget(
  raw: unknown,
  ctx: AutomationContext,
  out: ErrorDetail[],
): Promise<AutomationDefinition['target'] | undefined> {
  if (!isObject(raw) || (raw.type !== 'action' && raw.type !== 'webhook')) {
    out.push({
      path: '/target/type',
      message:
        'target.type must be "action" ({"type": "action", "action": "<identifier>"}) or "webhook" ({"type": "webhook", "url": "https://..."})',
    });
    return undefined;
  }
  if (raw.type === 'action') {
    if (typeof raw.action !== 'string' || raw.action === '') {
      out.push({
        path: '/target/action',
        message: 'an action target needs "action": the identifier of the action to run',
      });
      return undefined;
    }
    if (ctx.actionExists && !(await ctx.actionExists(raw.action))) {
      out.push({
        path: '/target/action',
        message: `action "${raw.action}" does not exist; GET /api/v1/actions lists them`,
      });
      return undefined;
    }
    const inputs = checkExpression(
      raw.inputs,
      '/target/inputs',
      out,
      '{"reason": "level dropped to " & after.level}',
    );
    const entity = checkExpression(
      raw.entity,
      '/target/entity',
      out,
      'event.blueprint & ":" & event.identifier',
    );
    return {
      type: 'action',
      action: raw.action,
      ...(inputs ? { inputs } : {}),
      ...(entity ? { entity } : {}),
    };
  }
  let url: URL | null = null;
  try {
    url = typeof raw.url === 'string' ? new URL(raw.url) : null;
  } catch {}
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    out.push({ path: '/target/url', message: 'a webhook target needs "url": an absolute http(s) URL' });
    return undefined;
  }
  try {
    await ctx.egress.check(url);
  } catch (err) {
    out.push({
      path: '/target/url',
      message: `${(err as Error).message} (the egress policy, PLEXUS_EGRESS_ALLOW, decides which destinations are allowed)`,
    });
    return undefined;
  }
  if (raw.secret !== undefined && (typeof raw.secret !== 'string' || raw.secret === '')) {
    out.push({
      path: '/target/secret',
      message:
        'target.secret must be a non-empty string (the HMAC key the receiver verifies signatures with)',
    });
  }
  let headers: Record<string, string> | undefined;
  if (raw.headers !== undefined) {
    if (
      !isObject(raw.headers) ||
      Object.entries(raw.headers).some(([k, v]) => typeof v !== 'string' || !/^[A-Za-z0-9-]+$/.test(k))
    ) {
      out.push({ path: '/target/headers', message: 'target.headers must map header names to string values' });
    } else headers = raw.headers as Record<string, string>;
  }
  return {
    type: 'webhook',
    url: url.toString(),
    ...(typeof raw.secret === 'string' && raw.secret ? { secret: raw.secret } : {}),
    ...(headers ? { headers } : {}),
  };
}

/**
 * Checks an automation definition: field-level details for everything wrong (trigger shape, the
 * blueprint/scorecard/property/action it names exist, JSONata compiles, a webhook URL the egress
 * policy allows). Returns the normalised definition when there is nothing to report.
 */
export async function checkAutomation(
  input: unknown,
  ctx: AutomationContext,
  identifier?: string,
): Promise<{ definition: AutomationDefinition | null; details: ErrorDetail[] }> {
  const out: ErrorDetail[] = [];
  if (!isObject(input))
    return {
      definition: null,
      details: [
        {
          path: '',
          message:
            'the body must be a JSON object: {"identifier", "title", "trigger", "target", "condition"?, "enabled"?}',
        },
      ],
    };
  const known = new Set([
    'identifier',
    'title',
    'description',
    'enabled',
    'trigger',
    'condition',
    'target',
    'createdAt',
    'updatedAt',
    'createdBy',
    'updatedBy',
    'status',
  ]);
  for (const k of Object.keys(input))
    if (!known.has(k))
      out.push({
        path: `/${k}`,
        message: `unknown field "${k}"; an automation has ${[...known].slice(0, 7).join(', ')}`,
      });
  const id = input.identifier ?? identifier;
  if (typeof id !== 'string' || !automationIdentifierPattern.test(id)) {
    out.push({
      path: '/identifier',
      message:
        'identifier must be 1-64 lower-case letters, digits, "-" or "_", starting with a letter, e.g. "notify-on-drop"',
    });
  } else if (identifier !== undefined && id !== identifier) {
    out.push({
      path: '/identifier',
      message: `identifier "${id}" differs from the one in the path ("${identifier}"); automations cannot be renamed`,
    });
  }
  if (typeof input.title !== 'string' || input.title.trim() === '' || input.title.length > 200) {
    out.push({ path: '/title', message: 'title is required: a short label (at most 200 characters)' });
  }
  if (
    input.description !== undefined &&
    input.description !== null &&
    typeof input.description !== 'string'
  ) {
    out.push({ path: '/description', message: 'description must be a string' });
  }
  if (input.enabled !== undefined && typeof input.enabled !== 'boolean')
    out.push({ path: '/enabled', message: 'enabled must be true or false' });
  const trigger = await checkTrigger(input.trigger, ctx, out);
  const condition = checkExpression(
    input.condition,
    '/condition',
    out,
    'before.level = "Gold" and after.level != "Gold"',
  );
  const target = await checkTarget(input.target, ctx, out);
  if (out.length > 0 || !trigger || !target) return { definition: null, details: out };
  return {
    definition: {
      identifier: id as string,
      title: (input.title as string).trim(),
      ...(typeof input.description === 'string' ? { description: input.description } : {}),
      enabled: (input.enabled as boolean | undefined) ?? true,
      trigger,
      ...(condition ? { condition } : {}),
      target,
    },
    details: [],
  };
}
