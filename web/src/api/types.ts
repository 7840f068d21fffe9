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

/** A node of an impact / neighbourhood answer. */
export interface ImpactNode {
  identifier: string;
  blueprint: string;
  title: string | null;
  distance: number;
  direction?: 'upstream' | 'downstream' | 'both';
}

/** An edge of an impact answer; ends are `blueprint:identifier` keys. */
export interface ImpactEdge {
  source: string;
  target: string;
  relation: string;
}

/** `GET /api/v1/blueprints/{bp}/entities/{id}/impact`. */
export interface ImpactResult {
  root: { identifier: string; blueprint: string; title: string | null };
  nodes: ImpactNode[];
  edges: ImpactEdge[];
  truncated?: boolean;
}

/** A full-text search hit (`GET /api/v1/search`). */
export interface SearchHit {
  identifier: string;
  blueprint: string;
  title: string | null;
  score?: number;
}

/** A saved catalog view (`/api/v1/views`). */
export interface SavedView<D = unknown> {
  id: string;
  blueprint: string;
  name: string;
  definition: D;
  createdBy: string;
  createdAt: string;
  updatedAt?: string;
}

/** `blueprint:identifier`, the key the impact API and the graph use for an entity. */
export const entityKey = (blueprint: string, identifier: string) => `${blueprint}:${identifier}`;

/** Splits an entity key at its first colon (identifiers may contain colons, blueprints cannot). */
export function parseEntityKey(key: string): { blueprint: string; identifier: string } {
  const i = key.indexOf(':');
  return { blueprint: key.slice(0, i), identifier: key.slice(i + 1) };
}
