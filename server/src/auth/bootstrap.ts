import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TokenStore } from './tokens.ts';

/** What start-up should tell the operator about the admin token. */
export type AdminTokenNotice =
  | { kind: 'environment' }
  | { kind: 'generated'; token: string; file: string }
  | { kind: 'existing'; file: string | null };

/**
 * Makes sure an admin can sign in without leaving the API open: `PLEXUS_ADMIN_TOKEN` when set;
 * otherwise, on the first start, a generated admin token (stored hashed in Neo4j, and in
 * `<dataDir>/admin-token` readable by the owner only, so the local operator can find it again).
 */
export async function ensureAdminToken(tokens: TokenStore, options: { adminToken?: string; dataDir: string }): Promise<AdminTokenNotice> {
  if (options.adminToken) return { kind: 'environment' };
  const file = join(options.dataDir, 'admin-token');
  if (await tokens.hasBootstrapToken()) return { kind: 'existing', file: existsSync(file) ? file : null };
  const { token } = await tokens.create({ name: 'admin', role: 'admin', bootstrap: true }, { actor: 'plexus', source: 'bootstrap' });
  mkdirSync(options.dataDir, { recursive: true });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { kind: 'generated', token, file };
}
