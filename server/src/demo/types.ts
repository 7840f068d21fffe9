/**
 * An entity as the REST API accepts it (`POST /api/v1/entities/bulk`). Relation values name
 * target identifiers; a relation with several target blueprints uses `"blueprint:identifier"`.
 */
export interface Entity {
  identifier: string;
  blueprint: string;
  title?: string;
  properties: Record<string, unknown>;
  relations: Record<string, string | string[]>;
}
