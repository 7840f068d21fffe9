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
 * and resolves once it prints its ready line.
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
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  const tail: string[] = [];
  const uri = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`embedded Neo4j did not start within ${options.timeoutMs ?? 900_000} ms`)),
      options.timeoutMs ?? 900_000,
    );
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
      fail(new Error(`embedded Neo4j exited with code ${code} before it was ready:\n${tail.join('\n')}`));
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
