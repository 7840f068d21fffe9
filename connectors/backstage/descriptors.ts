/**
 * What the connector and `plexus apply`/`plexus push` share about a Backstage descriptor: how one
 * YAML document becomes a checked record (Backstage's own rules, Location names, placeholders),
 * and how records become entities through the connector's mapping (mapping.yaml). One code path,
 * so a file applied by hand and the same file synced by a source give the same entities.
 */
import { createHash } from 'node:crypto';
import {
  type CompiledMapping,
  compileMapping,
  entityKey,
  type MappedEntity,
  mergeMapped,
  parseErrorWithoutContent,
} from '@plexus/connector-sdk';
import { parse as parseYaml } from 'yaml';
import { backstageFunctions } from './entity-ref.ts';
import { checkDescriptor } from './validate-descriptor.ts';

/** The connector's mapping: Backstage kinds to the backstage pack. */
export const backstageMappingUrl = new URL('./mapping.yaml', import.meta.url);

/** Whether a parsed YAML document is a Backstage descriptor (`apiVersion: backstage.io/...`). */
export function isBackstageDescriptor(data: unknown): data is Record<string, any> {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return false;
  const d = data as Record<string, unknown>;
  return (
    typeof d.apiVersion === 'string' && /^backstage\.io\//.test(d.apiVersion) && typeof d.kind === 'string'
  );
}

/**
 * Replaces Backstage's `$text`, `$json`, `$yaml` and `$openapi` placeholders (e.g. an API's
 * `definition: {$text: ./openapi.yaml}`) with the referenced file's content (`read` resolves the
 * target relative to the descriptor; `$openapi` is read as text, its own `$ref`s unresolved). A
 * placeholder that cannot be read or parsed keeps the reference itself (the URL or path) in its
 * place and adds a warning, so the entity is still imported.
 */
export async function resolvePlaceholders(
  value: unknown,
  read: (target: string) => Promise<string>,
  warnings: string[],
  at = '',
): Promise<unknown> {
  if (Array.isArray(value))
    return Promise.all(value.map((v, i) => resolvePlaceholders(v, read, warnings, `${at}.${i}`)));
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    const v = value as Record<string, unknown>;
    if (
      keys.length === 1 &&
      ['$text', '$json', '$yaml', '$openapi'].includes(keys[0]) &&
      typeof v[keys[0]] === 'string'
    ) {
      const target = v[keys[0]] as string;
      try {
        const text = await read(target);
        if (keys[0] === '$text' || keys[0] === '$openapi') return text;
        try {
          return keys[0] === '$json' ? JSON.parse(text) : parseYaml(text);
        } catch (err) {
          throw new Error(
            `${target} is ${parseErrorWithoutContent(err, keys[0] === '$json' ? 'JSON' : 'YAML')}`,
          );
        }
      } catch (err) {
        warnings.push(
          `placeholder ${keys[0]} ${target} at ${at.slice(1)} was not read, so the field holds the reference instead: ${(err as Error).message}`,
        );
        return target;
      }
    }
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = await resolvePlaceholders(v[k], read, warnings, `${at}.${k}`);
    return out;
  }
  return value;
}

/** A descriptor checked and ready to map, or why it is not imported; warnings either way. */
export interface PreparedDescriptor {
  data?: Record<string, any>;
  problems: string[];
  warnings: string[];
}

/**
 * Checks one parsed document as Backstage would and resolves its placeholders: `apiVersion` and
 * `kind` present, a Location without a name named after its targets (as Backstage does), then
 * Backstage's envelope and reference rules (validate-descriptor.ts). `problems` non-empty means
 * the descriptor is not imported.
 */
export async function prepareDescriptor(
  doc: unknown,
  read: (target: string) => Promise<string>,
): Promise<PreparedDescriptor> {
  if (
    !doc ||
    typeof doc !== 'object' ||
    Array.isArray(doc) ||
    typeof (doc as any).kind !== 'string' ||
    typeof (doc as any).apiVersion !== 'string'
  )
    return { problems: ['not a Backstage descriptor: apiVersion and kind are required'], warnings: [] };
  const data = doc as Record<string, any>;
  data.metadata ??= {};
  if (data.kind === 'Location' && !data.metadata.name) {
    // Backstage names unnamed locations after their targets; the same here, so re-reads match.
    const targets = [data.spec?.target, ...(data.spec?.targets ?? [])].filter(Boolean).join('\n');
    data.metadata.name = `generated-${createHash('sha1').update(targets).digest('hex').slice(0, 12)}`;
  }
  if (typeof data.metadata.name !== 'string' || data.metadata.name === '')
    return { problems: ['metadata.name is required'], warnings: [] };
  const problems = checkDescriptor(data);
  if (problems.length > 0) return { problems, warnings: [] };
  const warnings: string[] = [];
  const resolved = (await resolvePlaceholders(data, read, warnings)) as Record<string, any>;
  return { data: resolved, problems: [], warnings };
}

let compiled: CompiledMapping | undefined;

/**
 * Maps prepared descriptors to entities with the connector's mapping, combining what several
 * descriptors say about one entity (a group's own descriptor and its users' `memberOf`) as a sync
 * does. Returns the entities and the per-descriptor mapping problems.
 */
export async function mapDescriptors(
  records: { data: Record<string, any>; origin: string }[],
): Promise<{ entities: MappedEntity[]; problems: { origin: string; message: string }[] }> {
  compiled ??= compileMapping(backstageMappingUrl, { functions: backstageFunctions });
  const byKey = new Map<string, MappedEntity>();
  const problems: { origin: string; message: string }[] = [];
  for (const [position, r] of records.entries()) {
    const { entities, errors } = await compiled.apply(
      { kind: r.data.kind, data: r.data, origin: r.origin },
      position,
    );
    for (const e of errors) problems.push({ origin: r.origin, message: `${e.field}: ${e.message}` });
    for (const e of entities) {
      const key = entityKey(e);
      const before = byKey.get(key);
      byKey.set(key, before ? mergeMapped(before, e) : e);
    }
  }
  return { entities: [...byKey.values()], problems };
}
