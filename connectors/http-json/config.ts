import { defineConfig, field, z } from '@plexus/connector-sdk';

const pagination = z.strictObject({
  strategy: z.enum(['none', 'link', 'cursor', 'page', 'offset']).default('none'),
  /** cursor: where the next cursor is in the body (dotted path), and the query parameter to send it in. */
  nextCursor: field.string().optional(),
  cursorParam: field.string().optional(),
  /** page: the page parameter, the first page, the page-size parameter and size. */
  pageParam: field.string().optional(),
  startPage: field.number({ integer: true, min: 0 }).optional(),
  pageSizeParam: field.string().optional(),
  pageSize: field.number({ integer: true, min: 1 }).optional(),
  /** offset: parameter names and the page size. */
  offsetParam: field.string().optional(),
  limitParam: field.string().optional(),
  limit: field.number({ integer: true, min: 1 }).optional(),
  /** page/offset: a boolean in the body saying whether more pages follow (e.g. `more`). */
  hasMore: field.string().optional(),
  maxPages: field.number({ integer: true, min: 1 }).optional(),
});

/** Config of an `http-json` source: one JSON endpoint, how it pages, and the record kind its items get. */
export const httpJsonConfig = defineConfig(
  {
    url: field.url(),
    /** Sent with every request; write-only, as they usually carry credentials. */
    headers: field.secret(z.record(z.string(), field.string())).optional(),
    query: z.record(z.string(), field.string()).optional(),
    /** Dotted path to the list of items in the body; default: the body itself when it is a list. */
    items: field.string().optional(),
    /** The record kind the mapping selects on. */
    kind: field.string().default('item'),
    pagination: pagination.optional(),
  },
  {
    check(c, issues) {
      if (c.pagination?.strategy === 'cursor' && !c.pagination.nextCursor) {
        issues.push({
          path: '/pagination/nextCursor',
          message: 'the cursor strategy needs nextCursor: the dotted path of the next cursor in the body',
        });
      }
    },
  },
);

/** The parsed config. */
export type HttpJsonConfig = ReturnType<typeof httpJsonConfig.parse>;
