import { defineConfig, field, z } from '@plexus/connector-sdk';

/** Config of a `backstage` source: where the descriptors are. */
export const backstageConfig = defineConfig(
  {
    /** Files, folders or git checkouts (folders are searched recursively; `.git` and `node_modules` are skipped). */
    paths: field.list(field.string()).default([]),
    /** Git repositories to clone (shallow) for each sync: `url` (any URL or path git accepts) and an optional `ref`. */
    repositories: field
      .list(z.strictObject({ url: field.string(), ref: field.string().optional() }))
      .default([]),
    /** File names (with `*` wildcards) read in folders. */
    include: field.list(field.string()).default(['catalog-info.yaml', 'catalog-info.yml']),
    /** Read the files that Location entities point at. */
    followLocations: z.boolean().default(true),
    /** Let Location entities of type `url` fetch descriptors over HTTP (off: a descriptor should not make the server call out). */
    allowUrlTargets: z.boolean().default(false),
    /** Sent with URL location reads (e.g. a token for a private Git host); write-only. */
    headers: field.secret(z.record(z.string(), field.string())).optional(),
  },
  {
    check(c, issues) {
      if (c.paths.length === 0 && c.repositories.length === 0)
        issues.push({
          path: '/paths',
          message: 'give at least one file, folder or git checkout in paths (or a repository)',
        });
    },
  },
);

/** The parsed config. */
export type BackstageConfig = ReturnType<typeof backstageConfig.parse>;
