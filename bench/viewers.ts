/**
 * Restricted readers for benchmarks: a blueprint's read grant changed for the length of a
 * measurement (and restored after), and a viewer with their own token and teams.
 */
import { type BenchClient, createClient } from './client.ts';
import type { BenchContext } from './harness.ts';

type Plexus = Awaited<ReturnType<BenchContext['startPlexus']>>;

/**
 * Runs `measure` while `blueprint` has the read grant `read`, then puts the old grant back.
 * A blueprint change rebuilds the GraphQL schema on the server's event loop; both changes wait
 * for it, so its second or two never lands in timed requests.
 * @example await withReadGrant(api, plexus, 'service', { roles: ['member'], owners: true }, () => time(...))
 */
export async function withReadGrant<T>(
  api: BenchClient,
  plexus: Plexus,
  blueprint: string,
  read: unknown,
  measure: () => Promise<T>,
): Promise<T> {
  const path = `/api/v1/blueprints/${blueprint}`;
  const before = (await api.send('GET', path)) as { permissions?: unknown };
  const settle = () => plexus.services.schemas.ready(plexus.services.models.version());
  await api.send('PATCH', path, JSON.stringify({ permissions: { read } }));
  await settle();
  try {
    return await measure();
  } finally {
    await api.send('PATCH', path, JSON.stringify({ permissions: before.permissions ?? null }));
    await settle();
  }
}

/** A new viewer in `teams` with a token of their own; close the client when done. */
export async function createViewer(
  api: BenchClient,
  plexus: Plexus,
  name: string,
  teams: string[],
): Promise<BenchClient> {
  const id = `${name}-${Date.now()}`;
  await api.post('/api/v1/users', { id, role: 'viewer', teams });
  const { token } = (await api.post('/api/v1/tokens', { name: id, role: 'viewer', user: id })) as {
    token: string;
  };
  return createClient(plexus.url, token);
}
