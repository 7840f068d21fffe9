import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { Blueprint, PropertySchema } from './types.ts';

// ajv-formats is CommonJS; its default export arrives wrapped under some loaders.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as unknown as (ajv: Ajv, formats: string[]) => void;

function createAjv(useDefaults: boolean): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, useDefaults, coerceTypes: false });
  addFormats(ajv, ['date-time', 'email', 'uri']);
  ajv.addFormat('url', { type: 'string', validate: (s: string) => /^[a-z][a-z0-9+.-]*:\/\/[^\s]+$/i.test(s) });
  ajv.addFormat('markdown', true);
  ajv.addFormat('yaml', true);
  return ajv;
}

// Whole entities get the blueprint's defaults; partial (merge) bodies must not, or a default
// would overwrite the stored value of a property the body did not mention.
const ajvWithDefaults = createAjv(true);
const ajv = createAjv(false);

/** Compiles one property's schema (used to check enum values and defaults of a blueprint). */
export function compilePropertySchema(schema: PropertySchema): ValidateFunction {
  return ajv.compile(schema);
}

/** Validates the `properties` object of an entity of one blueprint. */
export interface PropertiesValidator {
  /** Full check, `required` included (upsert of a whole entity). */
  full: ValidateFunction;
  /** The same without `required` (the partial body of a merge). */
  partial: ValidateFunction;
}

const validators = new WeakMap<Blueprint, PropertiesValidator>();

/**
 * Returns the compiled validators of a blueprint. Compiled once per blueprint object: the model
 * store hands out a new object for every new version, so a changed blueprint recompiles.
 */
export function propertiesValidator(bp: Blueprint): PropertiesValidator {
  let v = validators.get(bp);
  if (!v) {
    const properties: Record<string, unknown> = {};
    for (const [name, p] of Object.entries(bp.schema.properties)) {
      properties[name] = p.type === 'object' ? { ...p, type: 'object' } : p;
    }
    const base = { type: 'object', properties, additionalProperties: false };
    v = {
      full: ajvWithDefaults.compile({ ...base, required: bp.schema.required ?? [] }),
      partial: ajv.compile(base),
    };
    validators.set(bp, v);
  }
  return v;
}

/** Turns Ajv's errors into readable messages with a path under `/properties`. */
export function describeAjvErrors(errors: ErrorObject[] | null | undefined): { path: string; message: string }[] {
  return (errors ?? []).map((e) => {
    if (e.keyword === 'additionalProperties') {
      const name = (e.params as { additionalProperty: string }).additionalProperty;
      return { path: `/properties/${name}`, message: `unknown property "${name}"; the blueprint does not define it` };
    }
    if (e.keyword === 'required') {
      const name = (e.params as { missingProperty: string }).missingProperty;
      return { path: `/properties/${name}`, message: `property "${name}" is required` };
    }
    const path = `/properties${e.instancePath}`;
    const name = e.instancePath.slice(1) || 'properties';
    if (e.keyword === 'enum') {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
      return { path, message: `${name} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}` };
    }
    return { path, message: `${name} ${e.message ?? 'is invalid'}` };
  });
}
