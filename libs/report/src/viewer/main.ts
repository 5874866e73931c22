import { z } from 'zod';
import { env, parseEnv } from '@checkout-lab/config';
import { startTraceViewer } from './viewer-server';

/**
 * The trace viewer as a process of its own, which `checkout-lab up` and `experiment` start at the
 * lowest priority: reading a 100k-span run then never stalls the load generator or takes CPU from
 * the services. Configured by the lab:
 *   LAB_TRACE_VIEWER_DIRS         JSON array of the directories to serve
 *   LAB_TRACE_VIEWER_PORT         the port on 127.0.0.1 (the user's setting, passed on)
 *   LAB_TRACE_VIEWER_LIVE         true: the directories fill while it runs
 *   LAB_TRACE_VIEWER_RECEIVER_URL the embedded trace receiver, asked to decode its spool before a refresh
 *   LAB_TRACE_VIEWER_JAEGER_URL   a Jaeger UI to link each trace to
 * Stops on SIGTERM / SIGINT.
 */
const schema = z.object({
  LAB_TRACE_VIEWER_DIRS: z
    .string()
    .transform((text, context) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        context.addIssue({ code: 'custom', message: 'must be a JSON array of directories' });
        return z.NEVER;
      }
    })
    .pipe(z.array(z.string().min(1)).min(1)),
  LAB_TRACE_VIEWER_PORT: z.coerce.number().int().min(0).max(65535),
  LAB_TRACE_VIEWER_LIVE: env.boolean(false),
  LAB_TRACE_VIEWER_RECEIVER_URL: env.url().optional(),
  LAB_TRACE_VIEWER_JAEGER_URL: env.url().optional(),
});

async function main(): Promise<void> {
  const config = parseEnv('trace viewer', schema, process.env);
  const port = config.LAB_TRACE_VIEWER_PORT;
  const viewer = await startTraceViewer({
    dirs: config.LAB_TRACE_VIEWER_DIRS,
    port,
    live: config.LAB_TRACE_VIEWER_LIVE,
    ...(config.LAB_TRACE_VIEWER_RECEIVER_URL ? { receiverUrl: config.LAB_TRACE_VIEWER_RECEIVER_URL } : {}),
    ...(config.LAB_TRACE_VIEWER_JAEGER_URL ? { jaegerUrl: config.LAB_TRACE_VIEWER_JAEGER_URL } : {}),
  }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new Error(`port ${port} (LAB_TRACE_VIEWER_PORT) is already in use on 127.0.0.1`);
    throw error;
  });
  process.stdout.write(`trace viewer listening on ${viewer.url}, serving ${config.LAB_TRACE_VIEWER_DIRS.join(', ')}\n`);
  const stop = () => void viewer.stop().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`trace viewer: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
