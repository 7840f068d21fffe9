import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const startScript = resolve(dirname(fileURLToPath(import.meta.url)), '../../../neo4j/start.sh');

/** A running embedded Neo4j started by `startEmbeddedNeo4j`. */
export interface EmbeddedNeo4j {
  uri: string;
  /** The JVM itself: start.sh execs java, so this is the direct child. */
  /** Credentials of the embedded database: user `neo4j` and the generated password. */
  user: string;
  password: string;
  process: ChildProcess;
  /** Sends SIGTERM and waits for the clean shutdown. */
  stop(): Promise<void>;
}

/** Finds a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

/** The pid the launcher wrote to `<dataDir>/plexus-neo4j.pid` when it started (undefined if none). */
export function recordedNeo4jPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, 'plexus-neo4j.pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Neo4j failed because another process holds the store lock: say which, and what to do. */
function lockMessage(dataDir: string, pid: number | undefined, own: number | undefined): string {
  const holder = pid !== undefined && pid !== own && alive(pid) ? `a Neo4j JVM from an earlier run (pid ${pid}) still holds it` : 'another process holds it';
  return `the Neo4j store in ${dataDir} is locked: ${holder}. Stop that process (kill ${pid ?? '<pid>'}) or use another PLEXUS_DATA_DIR, then start again`;
}

/**
 * The embedded Neo4j's password: read from `<dataDir>/plexus-neo4j-password`, or generated and
 * written there with mode 0600 on first start. The server passes it to the launcher, which sets
 * it on the `neo4j` user before Bolt answers queries.
 */
export function embeddedNeo4jPassword(dataDir: string): { file: string; password: string } {
  const file = join(dataDir, 'plexus-neo4j-password');
  if (existsSync(file)) {
    chmodSync(file, 0o600);
    return { file, password: readFileSync(file, 'utf8').trim() };
  }
  mkdirSync(dataDir, { recursive: true });
  const password = randomBytes(24).toString('base64url');
  writeFileSync(file, password, { mode: 0o600, flag: 'wx' });
  return { file, password };
}

/**
 * Starts Neo4j through `neo4j/start.sh` (which builds the launcher with Maven the first time)
 * and resolves once it prints its ready line. The JVM dies with this process, even on SIGKILL:
 * its stdin is a pipe from here and the launcher exits when it reads EOF or its parent changes
 * (NEO4J_EXIT_WITH_PARENT). A store locked by a JVM of an earlier run is named in the error.
 * @example const neo = await startEmbeddedNeo4j({ dataDir: '.data/neo4j', port: 7687 })
 */
export async function startEmbeddedNeo4j(options: {
  dataDir: string;
  port?: number;
  heap?: string;
  pageCache?: string;
  /** Where start-up progress and Neo4j's own log lines go. */
  onOutput?: (line: string) => void;
  timeoutMs?: number;
}): Promise<EmbeddedNeo4j> {
  const port = options.port ?? (await freePort());
  const secret = embeddedNeo4jPassword(options.dataDir);
  const child = spawn('bash', [startScript], {
    env: {
      ...process.env,
      NEO4J_BOLT_PORT: String(port),
      NEO4J_BOLT_HOST: '127.0.0.1',
      NEO4J_DATA_DIR: options.dataDir,
      NEO4J_PASSWORD_FILE: secret.file,
      NEO4J_HEAP: options.heap ?? process.env.NEO4J_HEAP ?? '1g',
      NEO4J_PAGECACHE: options.pageCache ?? process.env.NEO4J_PAGECACHE ?? '256m',
      NEO4J_EXIT_WITH_PARENT: '1',
    },
    // stdin is a pipe nobody writes to: the kernel closes it when this process dies, however.
    stdio: ['pipe', 'pipe', 'pipe'],
    // Its own process group: Ctrl-C in a terminal reaches the server, which stops the database
    // in order (after draining requests) instead of both stopping at once.
    detached: true,
  });
  const earlierPid = recordedNeo4jPid(options.dataDir);
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  const tail: string[] = [];
  const uri = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`embedded Neo4j did not start within ${options.timeoutMs ?? 900_000} ms`));
    }, options.timeoutMs ?? 900_000);
    const onLine = (line: string) => {
      tail.push(line);
      if (tail.length > 40) tail.shift();
      options.onOutput?.(line);
      const m = /^PLEXUS_NEO4J_READY (\S+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    };
    for (const stream of [child.stdout, child.stderr]) {
      let buf = '';
      stream?.on('data', (chunk: Buffer) => {
        buf += chunk.toString('utf8');
        let i = buf.indexOf('\n');
        while (i >= 0) {
          onLine(buf.slice(0, i));
          buf = buf.slice(i + 1);
          i = buf.indexOf('\n');
        }
      });
    }
    exited.then((code) => {
      clearTimeout(timer);
      const text = tail.join('\n');
      if (/FileLockException|locked by another process|Unable to obtain lock/i.test(text)) {
        fail(new Error(`${lockMessage(options.dataDir, earlierPid, child.pid)}\n${text}`));
      } else {
        fail(new Error(`embedded Neo4j exited with code ${code} before it was ready:\n${text}`));
      }
    });
  });
  return {
    uri,
    user: 'neo4j',
    password: secret.password,
    process: child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** An embedded Neo4j kept running by `superviseEmbeddedNeo4j`. */
export interface SupervisedNeo4j {
  uri: string;
  /** Credentials of the embedded database (the password survives restarts: it is in the data directory). */
  user: string;
  password: string;
  /** Pid of the current JVM (undefined while it is being restarted). */
  pid(): number | undefined;
  /** How many times the database was restarted after dying on its own. */
  restarts(): number;
  /** Stops supervising, then stops the database cleanly. */
  stop(): Promise<void>;
}

/**
 * Starts the embedded Neo4j and restarts it (same port and data directory) whenever it dies on
 * its own, after a backoff that doubles from `backoffMs` up to `maxBackoffMs` and is reset
 * once the database stayed up for a minute. Every exit and restart is reported to `onEvent`.
 * The first start fails like `startEmbeddedNeo4j`.
 * @example const neo = await superviseEmbeddedNeo4j({ dataDir, onEvent: (msg, f) => logger.warn(msg, f) })
 */
export async function superviseEmbeddedNeo4j(
  options: Parameters<typeof startEmbeddedNeo4j>[0] & {
    onEvent?: (message: string, fields: Record<string, unknown>) => void;
    backoffMs?: number;
    maxBackoffMs?: number;
  },
): Promise<SupervisedNeo4j> {
  const port = options.port ?? (await freePort());
  const first = options.backoffMs ?? 1000;
  const max = options.maxBackoffMs ?? 30_000;
  let current: EmbeddedNeo4j | null = await startEmbeddedNeo4j({ ...options, port });
  let stopping = false;
  let restarts = 0;
  let backoff = first;
  let startedAt = Date.now();
  let timer: NodeJS.Timeout | null = null;
  let starting: Promise<unknown> | null = null;
  const report = (message: string, fields: Record<string, unknown>) => options.onEvent?.(message, { component: 'neo4j', port, dataDir: options.dataDir, ...fields });

  const watch = (neo: EmbeddedNeo4j) => {
    neo.process.once('exit', (code, signal) => {
      if (stopping || current !== neo) return;
      current = null;
      if (Date.now() - startedAt > 60_000) backoff = first;
      report('embedded Neo4j exited on its own; restarting it', { code, signal, pid: neo.process.pid, inMs: backoff });
      schedule();
    });
  };
  const schedule = () => {
    const wait = backoff;
    backoff = Math.min(backoff * 2, max);
    timer = setTimeout(() => {
      timer = null;
      if (stopping) return;
      starting = startEmbeddedNeo4j({ ...options, port })
        .then((neo) => {
          starting = null;
          if (stopping) return neo.stop();
          restarts++;
          current = neo;
          startedAt = Date.now();
          watch(neo);
          report('embedded Neo4j restarted', { restart: restarts, pid: neo.process.pid });
        })
        .catch((err) => {
          starting = null;
          if (stopping) return;
          report('embedded Neo4j failed to restart; trying again', { error: (err as Error).message.split('\n')[0], inMs: backoff });
          schedule();
        });
    }, wait);
    timer.unref();
  };
  watch(current);
  return {
    uri: current.uri,
    user: current.user,
    password: current.password,
    pid: () => current?.process.pid,
    restarts: () => restarts,
    async stop() {
      stopping = true;
      if (timer) clearTimeout(timer);
      await starting?.catch(() => {});
      await current?.stop();
    },
  };
}
