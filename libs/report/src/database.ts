import type { DatabaseEvidence } from '@checkout-lab/run-record';
import { SPAN_BILLING_LOOKUP } from '@checkout-lab/telemetry';
import { round } from './format';
import type { DatabaseReport } from './report-types';
import type { RunFacts } from './run-facts';

// The database evidence of a variant's runs: the SQL statements and plan, or DynamoDB's consumed capacity.

/** What the runs' database evidence shows (the first run's store and plan); `lookupsHint`: billing lookups to assume when no span counts them. */
export function databaseReport(facts: RunFacts[], lookupsHint: number): DatabaseReport | null {
  const withDb = facts.filter((f) => f.run.database);
  const first = withDb[0]?.run.database as DatabaseEvidence | undefined;
  if (!first) return null;
  switch (first.store) {
    case 'sql': {
      const statements = new Map<string, { query: string; calls: number; total_ms: number; rows: number }>();
      for (const f of withDb) {
        const db = f.run.database;
        if (db?.store !== 'sql') continue;
        for (const s of db.statements) {
          const agg = statements.get(s.query) ?? { query: s.query, calls: 0, total_ms: 0, rows: 0 };
          agg.calls += s.calls;
          agg.total_ms += s.total_ms;
          agg.rows += s.rows;
          statements.set(s.query, agg);
        }
      }
      return {
        store: 'sql',
        profile: first.profile,
        plan: first.plan,
        access: planAccess(first.plan),
        statements: [...statements.values()]
          .map((s) => ({ ...s, total_ms: round(s.total_ms) as number, mean_ms: s.calls ? (round(s.total_ms / s.calls) as number) : 0 }))
          .sort((a, b) => b.total_ms - a.total_ms),
        consumed_capacity: null,
      };
    }
    case 'dynamodb': {
      let read = 0;
      let write = 0;
      let lookups = 0;
      for (const f of withDb) {
        const db = f.run.database;
        if (db?.store !== 'dynamodb') continue;
        read += db.consumedCapacity.readUnits;
        write += db.consumedCapacity.writeUnits;
        lookups += f.run.spans.filter((s) => s.name === SPAN_BILLING_LOOKUP).length;
      }
      if (lookups === 0) lookups = lookupsHint;
      return {
        store: 'dynamodb',
        profile: null,
        plan: first.plan ?? 'GetItem on the table key (user id): one key lookup per billing address request',
        access: 'key_lookup',
        statements: [],
        consumed_capacity: { read_units: round(read) as number, write_units: round(write) as number, read_units_per_lookup: lookups ? round(read / lookups, 4) : null },
      };
    }
  }
}

/** Reads a PostgreSQL plan: does it scan the table or use an index to find the user's rows? */
export function planAccess(plan: string): DatabaseReport['access'] {
  if (/\b(Index Scan|Index Only Scan|Bitmap Index Scan)\b/.test(plan)) return 'index_scan';
  if (/\bSeq Scan\b/.test(plan)) return 'sequential_scan';
  if (/GetItem|Query|key lookup/i.test(plan)) return 'key_lookup';
  return 'unknown';
}
