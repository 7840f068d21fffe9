import type { Blueprint, PropertySchema } from '@plexus/contract';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

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

const propertyValidators = new Map<string, ValidateFunction>();

/** Compiles one property's schema (used to check enum values and defaults of a blueprint), once per distinct schema. */
export function compilePropertySchema(schema: PropertySchema): ValidateFunction {
  const key = JSON.stringify(schema);
  let v = propertyValidators.get(key);
  if (!v) {
    if (propertyValidators.size >= 5_000) {
      const [oldestKey, oldest] = propertyValidators.entries().next().value as [string, ValidateFunction];
      propertyValidators.delete(oldestKey);
      ajv.removeSchema(oldest.schema as object);
    }
    v = ajv.compile(schema);
    propertyValidators.set(key, v);
  }
  return v;
}

/** Validates the `properties` object of an entity of one blueprint. */
export interface PropertiesValidator {
  /** Full check, `required` included (upsert of a whole entity). */
  full: ValidateFunction;
  /** The same without `required` (the partial body of a merge). */
  partial: ValidateFunction;
}

const validators = new WeakMap<Blueprint, PropertiesValidator>();
// By content: every model version brings new blueprint objects, mostly with unchanged schemas;
// compiling them again would block the event loop after each blueprint change (Ajv compiles
// synchronously, milliseconds per blueprint) and grow Ajv's own cache, which holds every schema
// object it compiled.
const compiled = new Map<string, PropertiesValidator>();
const compiledLimit = 2_000;

/**
 * Returns the compiled validators of a blueprint, compiled once per distinct schema (a changed
 * blueprint recompiles, an unchanged one in a new model version does not).
 */
export function propertiesValidator(bp: Blueprint): PropertiesValidator {
  let v = validators.get(bp);
  if (!v) {
    const key = JSON.stringify([bp.schema.properties, bp.schema.required ?? []]);
    v = compiled.get(key);
    if (!v) {
      const properties: Record<string, unknown> = {};
      for (const [name, p] of Object.entries(bp.schema.properties)) {
        properties[name] = p.type === 'object' ? { ...p, type: 'object' } : p;
      }
      const base = { type: 'object', properties, additionalProperties: false };
      const full = { ...base, required: bp.schema.required ?? [] };
      v = { full: ajvWithDefaults.compile(full), partial: ajv.compile(base) };
      if (compiled.size >= compiledLimit) {
        // Forget the oldest, in Ajv's caches too.
        const [oldestKey, oldest] = compiled.entries().next().value as [string, PropertiesValidator];
        compiled.delete(oldestKey);
        ajvWithDefaults.removeSchema(oldest.full.schema as object);
        ajv.removeSchema(oldest.partial.schema as object);
      }
      compiled.set(key, v);
    }
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
