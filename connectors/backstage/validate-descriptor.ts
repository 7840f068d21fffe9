/**
 * Backstage's own rules for an entity's envelope and references, with Backstage's messages
 * (catalog-model's KubernetesValidatorFunctions, CommonValidatorFunctions.isValidDnsLabel and
 * FieldFormatEntityPolicy), so a descriptor Backstage would refuse is refused here too, and the
 * message reads the same as in Backstage.
 */

const adr =
  'To learn more about catalog file format, visit: https://github.com/backstage/backstage/blob/master/docs/architecture-decisions/adr002-default-catalog-file-format.md';

/** Backstage's `isValidObjectName`: `[a-zA-Z0-9]` sequences separated by `-_.`, 1 to 63 characters. */
export function isValidObjectName(value: unknown): boolean {
  return (
    typeof value === 'string' &&
    value.length >= 1 &&
    value.length <= 63 &&
    /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/.test(value)
  );
}

/** Backstage's `isValidNamespace` (a DNS label): `[a-z0-9]` sequences separated by `-`, 1 to 63 characters. */
export function isValidNamespace(value: unknown): boolean {
  return (
    typeof value === 'string' &&
    value.length >= 1 &&
    value.length <= 63 &&
    /^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(value)
  );
}

/** Backstage's `isValidKind`. */
export function isValidKind(value: unknown): boolean {
  return (
    typeof value === 'string' &&
    value.length >= 1 &&
    value.length <= 63 &&
    /^[a-zA-Z][a-z0-9A-Z]*$/.test(value)
  );
}

const expectations = {
  name: 'a string that is sequences of [a-zA-Z0-9] separated by any of [-_.], at most 63 characters in total',
  namespace: 'a string that is sequences of [a-z0-9] separated by [-], at most 63 characters in total',
  kind: 'a string that is a sequence of [a-zA-Z][a-z0-9A-Z], at most 63 characters in total',
};

function invalid(field: string, expectation: string, value: unknown): string {
  return `"${field}" is not valid; expected ${expectation} but found "${String(value)}". ${adr}`;
}

/** Spec fields that hold entity references, one or a list (Backstage's built-in kinds). */
const referenceFields = [
  'owner',
  'system',
  'domain',
  'parent',
  'subcomponentOf',
  'subdomainOf',
  'providesApis',
  'consumesApis',
  'dependsOn',
  'dependencyOf',
  'children',
  'memberOf',
  'members',
];

/**
 * Checks one reference as Backstage's `parseEntityRef` does, then its parts with the validators
 * above; `undefined` when it is valid.
 */
export function checkEntityRef(field: string, ref: unknown): string | undefined {
  if (ref && typeof ref === 'object' && !Array.isArray(ref)) {
    const r = ref as Record<string, unknown>;
    if (typeof r.name !== 'string' || r.name === '')
      return `Entity reference in "${field}" had missing or empty name`;
    if (!isValidObjectName(r.name)) return invalid(`${field}.name`, expectations.name, r.name);
    if (r.namespace !== undefined && !isValidNamespace(String(r.namespace).toLowerCase()))
      return invalid(`${field}.namespace`, expectations.namespace, r.namespace);
    if (r.kind !== undefined && !isValidKind(r.kind))
      return invalid(`${field}.kind`, expectations.kind, r.kind);
    return undefined;
  }
  if (typeof ref !== 'string')
    return `Entity reference in "${field}" must be a string or an object, found ${JSON.stringify(ref)}`;
  const form = `Entity reference "${ref}" was not on the form [<kind>:][<namespace>/]<name>`;
  let rest = ref;
  const colon = rest.indexOf(':');
  const slash = rest.indexOf('/');
  let kind: string | undefined;
  if (colon >= 0 && (slash < 0 || colon < slash)) {
    kind = rest.slice(0, colon);
    rest = rest.slice(colon + 1);
    if (kind === '')
      return `Entity reference "${ref}" had missing or empty kind (e.g. did not start with "component:" or similar)`;
  }
  const parts = rest.split('/');
  if (parts.length > 2 || parts.some((p) => p === '') || rest.includes(':')) return form;
  const [namespace, name] = parts.length === 2 ? parts : [undefined, parts[0]];
  if (kind !== undefined && !isValidKind(kind)) return invalid(`${field} kind`, expectations.kind, kind);
  // Backstage compares references case-insensitively: a namespace is checked in lower case.
  if (namespace !== undefined && !isValidNamespace(namespace.toLowerCase()))
    return invalid(`${field} namespace`, expectations.namespace, namespace);
  if (!isValidObjectName(name)) return invalid(`${field} name`, expectations.name, name);
  return undefined;
}

/**
 * Every problem Backstage would report for the envelope of a descriptor (kind, metadata.name,
 * metadata.namespace) and for the references in its spec; empty when it is valid.
 */
export function checkDescriptor(data: {
  kind?: unknown;
  metadata?: Record<string, unknown>;
  spec?: unknown;
}): string[] {
  const problems: string[] = [];
  if (!isValidKind(data.kind)) problems.push(invalid('kind', expectations.kind, data.kind));
  const name = data.metadata?.name;
  if (name === undefined || name === null) problems.push('metadata.name must have a value');
  else if (!isValidObjectName(name)) problems.push(invalid('metadata.name', expectations.name, name));
  const namespace = data.metadata?.namespace;
  if (namespace !== undefined && !isValidNamespace(namespace))
    problems.push(invalid('metadata.namespace', expectations.namespace, namespace));
  const spec = data.spec && typeof data.spec === 'object' ? (data.spec as Record<string, unknown>) : {};
  for (const field of referenceFields) {
    const value = spec[field];
    if (value === undefined || value === null) continue;
    const list = Array.isArray(value) ? value : [value];
    list.forEach((ref, i) => {
      const problem = checkEntityRef(`spec.${field}${Array.isArray(value) ? `.${i}` : ''}`, ref);
      if (problem) problems.push(problem);
    });
  }
  return problems;
}
