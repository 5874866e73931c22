import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { readdirSync, readFileSync } from 'node:fs';
import { BILLING_LOOKUP_SQL } from '@checkout-lab/billing-store';
import { withClient } from '@checkout-lab/database';
import type { HostStats, SqlEvidence } from '@checkout-lab/run-record';
import type { StackEndpoints } from '@checkout-lab/stack';

/** Makes pg_stat_statements available (the billing server preloads it) and clears it, so a run's figures are its own. */
export async function resetStatementStats(billingDatabaseUrl: string): Promise<void> {
  await withClient(billingDatabaseUrl, async (client) => {
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await client.query('SELECT pg_stat_statements_reset()');
  });
}

/**
 * EXPLAIN (ANALYZE, BUFFERS) of the lookup the service runs, for a seeded user, and the
 * pg_stat_statements rows of statements on billing_addresses since the last reset.
 */
export async function collectSqlEvidence(billingDatabaseUrl: string, profile: string, sampleUserId: string): Promise<SqlEvidence> {
  return withClient(billingDatabaseUrl, async (client) => {
    const explain = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${BILLING_LOOKUP_SQL}`, [sampleUserId]);
    const plan = explain.rows.map((row) => row['QUERY PLAN']).join('\n');
    const stats = await client.query<{ query: string; calls: string; mean_ms: number; total_ms: number; rows: string }>(
      `SELECT query, calls, mean_exec_time AS mean_ms, total_exec_time AS total_ms, rows
         FROM pg_stat_statements
        WHERE query ILIKE '%billing_addresses%' AND query NOT ILIKE '%EXPLAIN%' AND query NOT ILIKE '%pg_stat_statements%'
        ORDER BY total_exec_time DESC LIMIT 10`,
    );
    return {
      store: 'sql',
      profile,
      plan,
      statements: stats.rows.map((r) => ({
        query: r.query,
        calls: Number(r.calls),
        mean_ms: round(r.mean_ms),
        total_ms: round(r.total_ms),
        rows: Number(r.rows),
      })),
    };
  });
}

/**
 * Host figures for a run: CPU utilisation over the run, load average, memory, the services'
 * resident sizes, and the CPU seconds each named process tree used (from /proc: the process, its
 * threads and its live descendants, plus what its reaped children used), so a report can show
 * where the CPU went and that the legacy server's load stayed on its own CPUs.
 */
export class HostSampler {
  private readonly start = cpuTimes();
  private readonly startTrees: Record<string, number>;

  constructor(private readonly trees: () => Record<string, number | undefined> = () => ({})) {
    this.startTrees = treeCpuSeconds(this.trees());
  }

  finish(pids: number[]): HostStats {
    const end = cpuTimes();
    const busy = end.busy - this.start.busy;
    const total = end.total - this.start.total;
    const endTrees = treeCpuSeconds(this.trees());
    const processCpuSeconds: Record<string, number> = {};
    for (const [name, seconds] of Object.entries(endTrees)) processCpuSeconds[name] = round(Math.max(0, seconds - (this.startTrees[name] ?? 0)));
    return {
      cpus: cpus().length,
      loadavg: loadavg().map(round),
      cpuUtilisation: total > 0 ? round(busy / total) : 0,
      memory: { totalBytes: totalmem(), usedBytes: totalmem() - freemem(), rssBytes: pids.reduce((sum, pid) => sum + rssOf(pid), 0) },
      processCpuSeconds,
    };
  }
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** CPU seconds of each named process and its descendants (live ones, and reaped children via cutime/cstime). */
function treeCpuSeconds(roots: Record<string, number | undefined>): Record<string, number> {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return {};
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // After the comm: state ppid … utime(12) stime(13) cutime(14) cstime(15), counted from state = 0.
      const num = (i: number) => Number(fields[i]) || 0;
      stats.set(Number(entry), { ppid: num(1), ticks: num(11) + num(12) + num(13) + num(14) });
    } catch {
      // exited meanwhile
    }
  }
  const out: Record<string, number> = {};
  // A root's tree stops at another root (the lab's children are the services, each counted on its own).
  const rootPids = new Set(Object.values(roots).filter((p): p is number => p !== undefined));
  for (const [name, root] of Object.entries(roots)) {
    if (root === undefined || !stats.has(root)) continue;
    let ticks = 0;
    const queue = [root];
    while (queue.length) {
      const pid = queue.shift() as number;
      ticks += stats.get(pid)?.ticks ?? 0;
      for (const [child, s] of stats) if (s.ppid === pid && !rootPids.has(child)) queue.push(child);
    }
    out[name] = ticks / CLOCK_TICKS;
  }
  return out;
}

function cpuTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const cpu of cpus()) {
    const { user, nice, sys, idle, irq } = cpu.times;
    busy += user + nice + sys + irq;
    total += user + nice + sys + idle + irq;
  }
  return { busy, total };
}

function rssOf(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** Spans each service's exporter delivered and lost (cumulative since it started). */
export interface SpanCounters {
  services: Record<string, { exported: number; dropped: number }>;
}

/** otel_spans_exported_total / otel_spans_dropped_total of each service: did the run lose spans? */
export async function scrapeSpanCounters(endpoints: Pick<StackEndpoints, 'metrics'>, settleMs = 600): Promise<SpanCounters> {
  // Give the batch processors one schedule interval to export what the last requests produced.
  if (settleMs > 0) await new Promise((resolve) => setTimeout(resolve, settleMs));
  const services: SpanCounters['services'] = {};
  for (const [name, url] of Object.entries(endpoints.metrics)) {
    try {
      const text = await (await fetch(url, { signal: AbortSignal.timeout(5000) })).text();
      services[name] = { exported: sumMetric(text, 'otel_spans_exported_total'), dropped: sumMetric(text, 'otel_spans_dropped_total') };
    } catch {
      // A service that cannot be scraped reports nothing rather than a made-up zero.
    }
  }
  return { services };
}

function sumMetric(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0;
  }
  return sum;
}
