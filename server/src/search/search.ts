import type { StoredEntity } from '@plexus/contract';
import neo4j from 'neo4j-driver';
import type { ReadScope } from '../auth/authorize.ts';
import { scopeParams, visibleSlots } from '../auth/read-scope-cypher.ts';
import { decodeEntity, toApiEntity } from '../catalog/entity-codec.ts';
import { type Db, readRows } from '../db/driver.ts';
import { checkLimit } from '../db/pages.ts';
import { loadQuery } from '../db/query-loader.ts';
import { BadRequestError } from '../errors.ts';
import type { ImpactService } from '../impact/impact.ts';
import type { BlueprintStore } from '../model/blueprint-store.ts';
import { type AggregateRequest, type AggregateResult, createAggregator } from './aggregate.ts';
import { toLuceneQuery } from './fulltext.ts';
import { findReachable, type ReachableRequest } from './reachable.ts';
import { compileSearch, type SearchRequest, searchCursor } from './rules.ts';

/** A full-text hit. */
export interface TextHit {
  identifier: string;
  blueprint: string;
  title: string | null;
  score: number;
}

/** Full-text and structured search over every blueprint. */
export interface SearchService {
  /** Hits among the entities `scope` (AccessControl.scope of the caller) may read. */
  text(q: string, options: { scope: ReadScope; blueprint?: string; limit?: number }): Promise<{ entities: TextHit[] }>;
  /** Entities `scope` may read; relation values name only readable entities. */
  structured(request: SearchRequest, options: { scope: ReadScope }): Promise<{ entities: StoredEntity[]; next: string | null }>;
  /** Groups a search (or an impact result) and counts per group what `scope` may read. */
  aggregate(request: AggregateRequest, options: { scope: ReadScope }): Promise<AggregateResult>;
  /** Entities within k hops of one entity (readable ones, through readable ones), nearest first. */
  reachable(
    from: { blueprint: string; identifier: string },
    request: ReachableRequest,
    options: { scope: ReadScope },
  ): Promise<{ blueprint: string; identifier: string; distance: number }[]>;
}

/** Creates the search service (one read query per search). */
export function createSearchService(deps: { db: Db; models: BlueprintStore; impact?: ImpactService }): SearchService {
  const { db, models } = deps;
  return {
    aggregate: createAggregator(deps),
    reachable: (from, request, options) => findReachable(deps, from, request, options),
    async text(q, options) {
      if (typeof q !== 'string' || q.trim() === '') throw new BadRequestError('q is required: the text to search for');
      if (options.blueprint) models.require(options.blueprint);
      const limit = checkLimit(options.limit, 20, 200);
      const query = toLuceneQuery(q);
      if (!query) return { entities: [] };
      const rows = await readRows<{ entity: Omit<TextHit, 'score'>; score: number }>(db, loadQuery('search/fulltext', visibleSlots(options.scope, 'node')), {
        ...scopeParams(options.scope),
        query,
        blueprint: options.blueprint ?? null,
        limit: neo4j.int(limit),
      });
      return { entities: rows.map((r) => ({ ...r.entity, title: r.entity.title ?? null, score: r.score })) };
    },
    async structured(request, options) {
      if (typeof request !== 'object' || request === null) throw new BadRequestError('the body must be a search object');
      const model = models.current();
      const compiled = compileSearch(model, request, options.scope);
      const rows = await readRows<{ props: Record<string, unknown>; rels: [string, string, string][] }>(db, compiled.query, compiled.params);
      const page = rows.slice(0, compiled.limit).flatMap((r) => {
        const bp = model.get(r.props._blueprint as string);
        return bp ? [toApiEntity(bp, decodeEntity(bp, r.props, r.rels), r.props)] : [];
      });
      const last = page[page.length - 1];
      return { entities: page, next: rows.length > compiled.limit && last ? searchCursor(last.blueprint, last.identifier) : null };
    },
  };
}
