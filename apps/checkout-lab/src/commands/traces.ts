import type { Command } from 'commander';
import * as path from 'node:path';
import { freePort, portInUse } from '@checkout-lab/embedded';
import { startTraceViewer, TRACE_VIEWER_ENTRY, ViewerInputError, type TraceViewerLink } from '@checkout-lab/report';
import { loadLabSettings, ServiceProcess, type LabSettings } from '@checkout-lab/stack';

/**
 * `checkout-lab traces DIR...`: the trace viewer over finished runs, in this process, until Ctrl-C.
 * `up` and `experiment` run the same viewer beside them as a process of its own (startViewerProcess).
 * The viewer itself (index, API, page) is libs/report/src/viewer.
 */
export function registerTraces(program: Command): void {
  program
    .command('traces')
    .description('serve the trace viewer over finished runs: traces by run, variant, service and outcome; each one a waterfall with its critical path')
    .argument('<dir...>', 'experiment output directories, run directories, or directories of span files (such as the receiver\'s $LAB_DATA_DIR/traces)')
    .option('--jaeger <url>', 'Jaeger UI base URL: each trace also links to it')
    .action(async (dirs: string[], options: { jaeger?: string }, command: Command) => {
      // Usage errors: one line, the hint, exit 2 (see bin/checkout-lab.ts).
      if (options.jaeger !== undefined && !/^https?:\/\/[^\s]+$/.test(options.jaeger)) {
        command.error(`error: --jaeger ${JSON.stringify(options.jaeger)} is not an http(s) URL`, { exitCode: 2 });
      }
      const settings = loadLabSettings(process.env);
      const port = settings.ports.traceViewer;
      const say = (line: string) => process.stderr.write(`${line}\n`);
      const started = Date.now();
      const viewer = await startTraceViewer({ dirs, port, ...(options.jaeger ? { jaegerUrl: options.jaeger } : {}), onProgress: (line) => say(`  ${line}`) }).catch(
        (error: unknown) => {
          if (error instanceof ViewerInputError) command.error(`error: ${error.message}`, { exitCode: 2 });
          if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new Error(portTakenMessage(port));
          throw error;
        },
      );
      const { indexed } = viewer.index.list({ limit: 1 });
      say(`read ${indexed.traces.toLocaleString('en-US')} traces (${indexed.spans.toLocaleString('en-US')} spans) of ${indexed.runs} run(s) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      process.stdout.write(`trace viewer: ${viewer.url}   (Ctrl-C stops it)\n`);
      await untilInterrupted(() => {
        say('\nstopping the trace viewer …');
        return viewer.stop();
      });
    });
}

/** Resolves once Ctrl-C (SIGINT) or SIGTERM has come and `stop` has finished. */
export function untilInterrupted(stop: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    const onSignal = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      void stop().then(resolve, resolve);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}

/** The trace viewer in a process of its own, beside `up` or `experiment`. */
export interface ViewerProcess {
  url: string;
  stop(): Promise<void>;
}

/**
 * The lowest priority: the viewer reads span files only when a page asks, and then never takes
 * CPU from the load generator or the services (an experiment's validity depends on it).
 */
const VIEWER_NICE = 19;

/**
 * Starts the trace viewer over `dirs` as its own process (live: directories that fill while it
 * runs), at nice 19, with its log in <data dir>/logs/trace-viewer.log. It is a convenience, not
 * part of the system under test: when it cannot start (its port is taken) this says why in one
 * WARNING line and returns undefined, and the caller goes on without it.
 */
export async function startViewerProcess(
  settings: LabSettings,
  options: { dirs: readonly string[]; receiverUrl?: string; jaegerUrl?: string; say: (line: string) => void },
): Promise<ViewerProcess | undefined> {
  const { say } = options;
  const port = settings.ports.traceViewer || (await freePort());
  if (await portInUse(port)) {
    say(`WARNING: trace viewer not started: ${portTakenMessage(port)}`);
    return undefined;
  }
  const url = `http://127.0.0.1:${port}`;
  const viewer: ServiceProcess = new ServiceProcess({
    name: 'trace-viewer',
    entry: TRACE_VIEWER_ENTRY,
    env: {
      ...process.env,
      LAB_TRACE_VIEWER_DIRS: JSON.stringify(options.dirs),
      LAB_TRACE_VIEWER_PORT: String(port),
      LAB_TRACE_VIEWER_LIVE: 'true',
      ...(options.receiverUrl ? { LAB_TRACE_VIEWER_RECEIVER_URL: options.receiverUrl } : {}),
      ...(options.jaegerUrl ? { LAB_TRACE_VIEWER_JAEGER_URL: options.jaegerUrl } : {}),
    },
    // Ready once it answers, and it is this process that answers (not another viewer that took the port meanwhile).
    ready: () =>
      fetch(`${url}/api/health`)
        .then((r) => r.json() as Promise<{ pid?: number }>)
        .then((health) => health.pid === viewer.pid),
    readyTimeoutMs: 30_000,
    logFile: path.join(settings.dataDir, 'logs', 'trace-viewer.log'),
    nice: VIEWER_NICE,
    onUnexpectedExit: (exit) =>
      say(`WARNING: the trace viewer (pid ${exit.pid}) exited unexpectedly (${exit.signal ?? `code ${exit.code}`}); last output: ${exit.tail.slice(-2).join(' | ')}`),
  });
  try {
    await viewer.start();
  } catch (error) {
    say(`WARNING: trace viewer not started: ${(error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ')}`);
    return undefined;
  }
  return { url, stop: () => viewer.stop() };
}

/** Where the report's exemplar links point, and the command that makes them answer. */
export function traceViewerLink(settings: LabSettings, dirs: readonly string[]): TraceViewerLink {
  return {
    url: `http://127.0.0.1:${settings.ports.traceViewer}`,
    command: `npm run lab -- traces ${dirs.map((dir) => shellWord(path.resolve(dir))).join(' ')}`,
  };
}

function portTakenMessage(port: number): string {
  return `port ${port} (LAB_TRACE_VIEWER_PORT) is already in use on 127.0.0.1, perhaps by another trace viewer (checkout-lab up, experiment or traces); stop it, or set LAB_TRACE_VIEWER_PORT to another port`;
}

/** A path as one shell word: as it is when it is plain, else in single quotes. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
