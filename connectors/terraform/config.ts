import { defineConfig, field, z } from '@plexus/connector-sdk';

/**
 * Config of a `terraform` source: state files (format version 4) on disk, or the state an HTTP
 * backend serves (`GET <url>` answers the state JSON, as Terraform's `http` backend expects).
 */
export const terraformConfig = defineConfig(
  {
    /** `.tfstate` files, or folders searched for them (`.terraform/` folders are skipped). */
    paths: field.list(field.string()).default([]),
    /** An HTTP backend's state address. */
    url: field.url().optional(),
    /** Basic auth of the HTTP backend (its `username`/`password` settings). */
    username: field.string().optional(),
    password: field.secret().optional(),
    /** Extra headers for the HTTP backend (e.g. a bearer token); write-only. */
    headers: field.secret(z.record(z.string(), field.string())).optional(),
    /**
     * The state's name in identifiers (`<name>/<resource address>`): default the file's name
     * (its path under a configured folder), or the URL's last segment.
     */
    workspace: field.string().optional(),
    /** The environment these resources belong to (a relation of each cloud resource). */
    environment: field.string().optional(),
  },
  {
    check(c, issues) {
      if (c.paths.length === 0 && !c.url)
        issues.push({
          path: '/paths',
          message: 'give state files or folders in paths, or an HTTP backend url',
        });
    },
  },
);

/** The parsed config. */
export type TerraformConfig = ReturnType<typeof terraformConfig.parse>;
