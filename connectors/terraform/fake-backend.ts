/**
 * A fake Terraform HTTP backend for tests: real HTTP on 127.0.0.1; `GET /state/<name>` answers
 * the state JSON built from `state.items` (the resources), with basic auth as the `http` backend
 * sends it. A failure "midway" cuts the body short, as a dropped connection would.
 */
import { readFileSync } from 'node:fs';
import { type FakeServer, startFakeServer } from '@plexus/connector-sdk/fake-server';
import type { StateResource, StateV4 } from './state.ts';

/** A recorded state from `__fixtures__/states/`. */
export function readState(name: string): StateV4 {
  return JSON.parse(readFileSync(new URL(`./__fixtures__/states/${name}`, import.meta.url), 'utf8'));
}

/** Options of {@link startFakeStateBackend}. */
export interface FakeStateBackendOptions {
  /** The state around the resources: version, serial, lineage, outputs. */
  base: StateV4;
  state: { items: StateResource[]; failure: 'none' | 'at-start' | 'midway' };
  username?: string;
  password?: string;
}

/** Starts the fake backend; the state is at `<url>/state/<any name>`. */
export function startFakeStateBackend(options: FakeStateBackendOptions): Promise<FakeServer> {
  const { base, state } = options;
  const auth = `Basic ${Buffer.from(`${options.username ?? 'terraform'}:${options.password ?? 'tf-secret'}`).toString('base64')}`;
  return startFakeServer((req) => {
    if (state.failure === 'at-start' || req.headers.authorization !== auth)
      return { status: 401, body: 'Unauthorized' };
    if (req.method !== 'GET' || !req.path.startsWith('/state/')) return { status: 404, body: 'Not Found' };
    const text = JSON.stringify({ ...base, resources: state.items }, null, 2);
    return {
      headers: { 'content-type': 'application/json' },
      body: state.failure === 'midway' ? text.slice(0, Math.floor(text.length / 2)) : text,
    };
  });
}
