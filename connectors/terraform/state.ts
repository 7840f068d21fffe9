/**
 * Reading Terraform state format version 4: every instance of every managed resource, with its
 * address (`module.network.aws_subnet.private[0]`) and the instance addresses its `dependencies`
 * (resource addresses, without index) stand for.
 */
import type { RawRecord } from '@plexus/connector-sdk';

/** One resource of a v4 state. */
export interface StateResource {
  module?: string;
  mode: 'managed' | 'data';
  type: string;
  name: string;
  provider: string;
  each?: string;
  instances: StateInstance[];
}

/** One instance of a resource. */
export interface StateInstance {
  index_key?: string | number;
  schema_version?: number;
  attributes?: Record<string, unknown>;
  sensitive_attributes?: unknown[];
  dependencies?: string[];
  status?: string;
  [field: string]: unknown;
}

/** A v4 state document. */
export interface StateV4 {
  version: number;
  terraform_version?: string;
  serial?: number;
  lineage?: string;
  resources?: StateResource[];
  [field: string]: unknown;
}

/** The record kind of resource instances. */
export const instanceKind = 'resourceInstance';

/** A resource's address: `[module path.]type.name`, with `data.` for data sources. */
export function resourceAddress(r: Pick<StateResource, 'module' | 'mode' | 'type' | 'name'>): string {
  const local = `${r.mode === 'data' ? 'data.' : ''}${r.type}.${r.name}`;
  return r.module ? `${r.module}.${local}` : local;
}

/** An instance's address: the resource's with `[0]` or `["key"]` for count and for_each. */
export function instanceAddress(r: StateResource, i: StateInstance): string {
  const base = resourceAddress(r);
  if (i.index_key === undefined || i.index_key === null) return base;
  return typeof i.index_key === 'number'
    ? `${base}[${i.index_key}]`
    : `${base}[${JSON.stringify(i.index_key)}]`;
}

/**
 * The attributes without those the state marks sensitive (`sensitive_attributes` paths), so a
 * password never travels further than this parser.
 */
export function withoutSensitive(i: StateInstance): Record<string, unknown> {
  const attributes = { ...(i.attributes ?? {}) };
  for (const path of i.sensitive_attributes ?? []) {
    const first = Array.isArray(path) ? path[0] : path;
    const name =
      typeof first === 'string'
        ? first.replace(/^\$?\.?/, '').split(/[.[]/)[0]
        : first && typeof first === 'object'
          ? (first as { value?: unknown }).value
          : undefined;
    if (typeof name === 'string') delete attributes[name];
  }
  return attributes;
}

/** Thrown for a document that is not a v4 state. */
export class UnsupportedStateError extends Error {}

/** Checks that `doc` is a state this parser reads. */
export function checkState(doc: unknown): StateV4 {
  const s = doc as StateV4;
  if (!s || typeof s !== 'object' || typeof s.version !== 'number')
    throw new UnsupportedStateError('not a Terraform state: it has no "version"');
  if (s.version !== 4)
    throw new UnsupportedStateError(
      `state format version ${s.version} is not supported; Terraform 0.12 and later write version 4`,
    );
  return s;
}

/** One dependency as the mapping sees it. */
export interface Dependency {
  address: string;
  type: string;
  provider: string;
}

/**
 * The records of a state: one per managed resource instance. `dependsOn` lists the managed
 * instances each dependency stands for (every instance of a counted resource).
 */
export function stateRecords(
  state: StateV4,
  context: { name: string; environment?: string; origin: string },
): RawRecord[] {
  const managed = (state.resources ?? []).filter((r) => r.mode === 'managed');
  const instancesOf = new Map<string, Dependency[]>();
  for (const r of managed)
    instancesOf.set(
      resourceAddress(r),
      r.instances.map((i) => ({ address: instanceAddress(r, i), type: r.type, provider: r.provider })),
    );
  const records: RawRecord[] = [];
  for (const r of managed) {
    const { instances: _all, ...resource } = r;
    for (const i of r.instances) {
      const address = instanceAddress(r, i);
      const dependsOn = [...new Set(i.dependencies ?? [])]
        .flatMap((d) => instancesOf.get(d) ?? [])
        .sort((a, b) => a.address.localeCompare(b.address));
      records.push({
        kind: instanceKind,
        data: {
          state: {
            name: context.name,
            version: state.version,
            terraform_version: state.terraform_version,
            serial: state.serial,
            lineage: state.lineage,
          },
          environment: context.environment,
          resource,
          instance: { ...i, attributes: withoutSensitive(i) },
          address,
          dependsOn,
        },
        origin: `${context.origin} ${address}`,
      });
    }
  }
  return records;
}
