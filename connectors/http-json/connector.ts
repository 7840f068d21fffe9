import type { Connector, PaginateOptions } from '@plexus/connector-sdk';
import { type HttpJsonConfig, httpJsonConfig } from './config.ts';

function paginateOptions(c: HttpJsonConfig): PaginateOptions {
  const p = c.pagination;
  const common = { query: c.query, headers: c.headers, items: c.items, maxPages: p?.maxPages };
  if (!p) return { ...common, strategy: 'none' };
  switch (p.strategy) {
    case 'link':
      return { ...common, strategy: 'link' };
    case 'cursor':
      return { ...common, strategy: 'cursor', nextCursor: p.nextCursor!, cursorParam: p.cursorParam };
    case 'page':
      return {
        ...common,
        strategy: 'page',
        pageParam: p.pageParam,
        startPage: p.startPage,
        pageSizeParam: p.pageSizeParam,
        pageSize: p.pageSize,
        hasMore: p.hasMore,
      };
    case 'offset':
      return {
        ...common,
        strategy: 'offset',
        offsetParam: p.offsetParam,
        limitParam: p.limitParam,
        limit: p.limit,
        hasMore: p.hasMore,
      };
    default:
      return { ...common, strategy: 'none' };
  }
}

/**
 * `http-json`: polls any JSON endpoint, following its pagination, and yields every item as a
 * record of the configured kind. What an item becomes is the source's mapping.
 */
export const httpJsonConnector: Connector<HttpJsonConfig> = {
  type: 'http-json',
  title: 'JSON over HTTP',
  description:
    'Polls a JSON endpoint (with Link, cursor, page or offset pagination) and maps its items with JSONata.',
  config: httpJsonConfig,
  defaultMapping: new URL('./mapping.yaml', import.meta.url),
  async *fetch(config, ctx) {
    // Configured headers are write-only credentials: none of them follows a redirect off the origin.
    const http = ctx.http({ secretHeaders: Object.keys(config.headers ?? {}) });
    for await (const page of http.paginate(config.url, paginateOptions(config))) {
      for (const [i, item] of page.items.entries())
        yield { kind: config.kind, data: item, origin: `${page.response.url} #${i}` };
    }
  },
};
