import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import { BILLING_LOOKUP_SQL } from '@checkout-lab/billing-store';
import { withClient } from '@checkout-lab/database';

/** What the legacy billing server did during a run: the lookup's plan and its statement statistics. */
export interface SqlEvidence {
  store: 'sql';
  profile: string;
  plan: string;
  statements: { query: string; calls: number; mean_ms: number; total_ms: number; rows: number }[];
}

export interface DynamoEvidence {
  store: 'dynamodb';
  consumedCapacity: { readUnits: number; writeUnits: number };
  plan: string;
}

export type DatabaseEvidence = SqlEvidence | DynamoEvidence;

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

/** Host figures for a run: CPU utilisation over the run, load average, memory, and the services' resident sizes. */
export class HostSampler {
  private readonly start = cpuTimes();

  finish(pids: number[]): { cpus: number; loadavg: number[]; cpuUtilisation: number; memory: { totalBytes: number; usedBytes: number; rssBytes: number } } {
    const end = cpuTimes();
    const busy = end.busy - this.start.busy;
    const total = end.total - this.start.total;
    return {
      cpus: cpus().length,
      loadavg: loadavg().map(round),
      cpuUtilisation: total > 0 ? round(busy / total) : 0,
      memory: { totalBytes: totalmem(), usedBytes: totalmem() - freemem(), rssBytes: pids.reduce((sum, pid) => sum + rssOf(pid), 0) },
    };
  }
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
