/**
 * Data shapes of the API. The model types come from @plexus/contract, the definitions the
 * server uses too, so the UI and the server cannot drift apart.
 */
export type {
  Blueprint,
  CalculatedProperty,
  PropertySchema,
  RelationDef,
  StoredEntity,
} from '@plexus/contract';

import type { components } from './openapi.d.ts';

/**
 * Answers of the REST API the UI reads, from web/src/api/openapi.d.ts: generated (openapi-typescript)
 * from the OpenAPI document the server generates from its routes, so a change to an answer's
 * documented shape shows here as a type error.
 */
type Schemas = components['schemas'];

/** An entity named in an answer. */
export type EntityRef = Schemas['EntityRef'];

/** A node of an impact / neighbourhood answer. */
export type ImpactNode = Schemas['ImpactNode'];

/** An edge of an impact answer; ends are `blueprint:identifier` keys. */
export type ImpactEdge = Schemas['ImpactEdge'];

/** `GET /api/v1/blueprints/{bp}/entities/{id}/impact`. */
export type ImpactResult = Schemas['ImpactResult'];

/** A full-text search hit (`GET /api/v1/search`). */
export type SearchHit = Schemas['SearchHit'];

/** A saved catalog view (`/api/v1/views`); `D` is the UI's definition of it (opaque to the server). */
export type SavedView<D = unknown> = Omit<Schemas['SavedView'], 'definition'> & { definition: D };

/** The error shape of every 4xx/5xx answer. */
export type ErrorBody = Schemas['Error'];

/** `blueprint:identifier`, the key the impact API and the graph use for an entity. */
export const entityKey = (blueprint: string, identifier: string) => `${blueprint}:${identifier}`;

/** Splits an entity key at its first colon (identifiers may contain colons, blueprints cannot). */
export function parseEntityKey(key: string): { blueprint: string; identifier: string } {
  const i = key.indexOf(':');
  return { blueprint: key.slice(0, i), identifier: key.slice(i + 1) };
}
