/**
 * The real server process (`server/src/main.ts`): killed during startup it leaves no Neo4j JVM
 * behind, and SIGTERM drains (a request in flight completes, new connections are refused).
 * The server runs as `node --import tsx server/src/main.ts` so the process killed is the one that
 * started the JVM (the `tsx` command would put a wrapper process in between).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { readRows } from './db/driver.ts';
import { freePort, recordedNeo4jPid } from './db/embedded-neo4j.ts';
import { startTestPlexus } from './test-support.ts';
import { waitFor } from '@plexus/connector-sdk/testing';

const root = resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Starts main.ts with `env` on top of a clean environment; collects its output. */
function startServer(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(NEO4J_|PLEXUS_|PORT$|HOST$)/.test(k)),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    cwd: root,
    env: { ...base, PLEXUS_CONFIG: '/dev/null', PLEXUS_DEMO: 'false', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString('utf8');
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString('utf8');
  });
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  return { child, output: () => out, exited };
}

/** Whether `pid` is a live process (a zombie waiting to be reaped counts as gone). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('killing the server during startup', () => {
  it('leaves no Neo4j JVM behind', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'plexus-main-kill-'));
    dirs.push(dataDir);
    const server = startServer({
      PLEXUS_DATA_DIR: dataDir,
      PORT: String(await freePort()),
      NEO4J_BOLT_PORT: String(await freePort()),
      NEO4J_HEAP: '512m',
      NEO4J_PAGECACHE: '64m',
    });
    // The launcher writes its pid as soon as the JVM runs, before the database starts.
    const jvm = await waitFor(
      'the Neo4j JVM to start',
      () => recordedNeo4jPid(join(dataDir, 'neo4j')),
      300_000,
      { diagnostics: server.output },
    );
    expect(running(jvm)).toBe(true);
    expect(readFileSync(`/proc/${jvm}/cmdline`, 'utf8')).toContain('dev.plexus.neo4j.Launcher');
    // start.sh execs java: the JVM is the server's direct child.
    expect(readFileSync(`/proc/${jvm}/stat`, 'utf8').split(') ')[1].split(' ')[1]).toBe(
      String(server.child.pid),
    );

    server.child.kill('SIGKILL');
    await server.exited;
    await waitFor('the orphaned JVM to exit', () => (running(jvm) ? undefined : true), 60_000, { diagnostics: server.output });
    expect(running(jvm)).toBe(false);
  }, 420_000);
});

describe('SIGTERM', () => {
  it('lets an in-flight request finish while refusing new connections', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'plexus-main-drain-'));
    dirs.push(dataDir);
    const port = await freePort();
    const token = 'drain-test-admin-token';
    const server = startServer({
      PLEXUS_DATA_DIR: dataDir,
      PORT: String(port),
      NEO4J_URI: inject('neo4jUri'),
      NEO4J_USER: inject('neo4jUser'),
      NEO4J_PASSWORD: inject('neo4jPassword'),
      PLEXUS_ADMIN_TOKEN: token,
    });
    await waitFor(
      'the server to listen',
      () => (server.output().includes('Plexus is running at') ? true : undefined),
      180_000,
      { diagnostics: server.output },
    );
    const blueprint = `drain${Date.now().toString(36)}`;
    const created = await fetch(`http://127.0.0.1:${port}/api/v1/blueprints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ identifier: blueprint, title: 'Drain', schema: { properties: {} } }),
    });
    expect(created.status).toBe(201);

    // A bulk NDJSON request whose body arrives slowly: it is in flight until the client ends it.
    const req = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/api/v1/entities/bulk',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/x-ndjson',
        expect: '100-continue',
      },
    });
    const response = new Promise<{ status: number; body: string }>((ok, fail) => {
      req.once('response', (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString('utf8');
        });
        res.once('end', () => ok({ status: res.statusCode ?? 0, body }));
      });
      req.once('error', fail);
    });
    // "100 Continue" means the server has the request (its handler runs right after).
    await new Promise<void>((ok) => req.once('continue', () => ok()));
    req.write(`${JSON.stringify({ blueprint, identifier: 'slow-0' })}\n`);

    server.child.kill('SIGTERM');
    await waitFor(
      'new connections to be refused',
      () =>
        new Promise<true | undefined>((ok) => {
          const socket = connect(port, '127.0.0.1');
          socket.once('connect', () => {
            socket.destroy();
            ok(undefined);
          });
          socket.once('error', (err: NodeJS.ErrnoException) =>
            ok(err.code === 'ECONNREFUSED' ? true : undefined),
          );
        }),
      30_000,
    );
    expect(server.child.exitCode).toBeNull(); // still draining

    req.end(`${JSON.stringify({ blueprint, identifier: 'slow-1' })}\n`);
    const res = await response;
    expect(res.status, res.body).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ upserted: 2, created: 2 });
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain('shutting down: no new connections');

    const px = await startTestPlexus();
    try {
      const rows = await readRows<{ id: string }>(
        px.services.db,
        'MATCH (n:Entity {_blueprint: $bp}) RETURN n.identifier AS id ORDER BY id',
        { bp: blueprint },
      );
      expect(rows.map((r) => r.id)).toEqual(['slow-0', 'slow-1']);
      expect((await px.call('DELETE', `/api/v1/blueprints/${blueprint}?force=true`)).status).toBe(200);
    } finally {
      await px.close();
    }
    expect(existsSync(join(dataDir, 'neo4j'))).toBe(false); // it used the given Neo4j, started none
  }, 420_000);
});
