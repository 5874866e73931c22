import * as path from 'node:path';
import { Client } from 'pg';
import { freePort } from '@checkout-lab/embedded';
import { createTestDatabase } from '@checkout-lab/testing';
import { classifyDatabaseError, createPool, isUniqueViolation, migrate, withClient } from '../src';

describe('migrate', () => {
  it('applies SQL migrations once, even when two processes race', async () => {
    const url = await createTestDatabase('migrate');
    const options = { database: url, dir: path.join(__dirname, 'migrations'), table: 'test_migrations' };
    const [a, b] = await Promise.all([migrate(options), migrate(options)]);
    expect([...a, ...b]).toEqual(['1_things']);
    expect(await migrate(options)).toEqual([]);
    const applied = await withClient(url, (c) => c.query('SELECT name FROM test_migrations'));
    expect(applied.rows).toEqual([{ name: '1_things' }]);
  });
});

describe('classifyDatabaseError', () => {
  it('calls a refused connection unavailable', async () => {
    const client = new Client({ connectionString: `postgres://x@127.0.0.1:${await freePort()}/x` });
    const error = await client.connect().catch((e: unknown) => e);
    expect(classifyDatabaseError(error)).toBe('unavailable');
  });

  it('calls a statement timeout a timeout, and a constraint error other', async () => {
    const url = await createTestDatabase('classify');
    await withClient(url, async (c) => {
      await c.query('SET statement_timeout = 50');
      expect(classifyDatabaseError(await c.query('SELECT pg_sleep(1)').catch((e: unknown) => e))).toBe('timeout');
      await c.query('CREATE TABLE u (id int PRIMARY KEY)');
      await c.query('INSERT INTO u VALUES (1)');
      const duplicate = await c.query('INSERT INTO u VALUES (1)').catch((e: unknown) => e);
      expect(classifyDatabaseError(duplicate)).toBe('other');
      expect(isUniqueViolation(duplicate)).toBe(true);
      expect(isUniqueViolation(duplicate, 'some_other_constraint')).toBe(false);
    });
  });
});

describe('createPool', () => {
  it('survives the server terminating its idle connections, reports it, and serves on', async () => {
    const url = await createTestDatabase('pool');
    const seen: { code: string | undefined; message: string }[] = [];
    const pool = createPool({ connectionString: url, max: 2, statementTimeoutMs: 1000, connectTimeoutMs: 1000, applicationName: 'pool-test', onIdleError: (info) => seen.push(info) });
    try {
      await Promise.all([pool.query('SELECT pg_sleep(0.05)'), pool.query('SELECT pg_sleep(0.05)')]);
      await withClient(url, (c) =>
        c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pool-test' AND state = 'idle'"),
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(seen.length).toBeGreaterThan(0);
      expect(seen[0]?.message).not.toContain(url);
      await expect(pool.query('SELECT 1 AS one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
    } finally {
      await pool.end();
    }
  });

  it('times out a statement held up by a lock, as a timeout', async () => {
    const url = await createTestDatabase('pool_lock');
    const pool = createPool({ connectionString: url, max: 1, statementTimeoutMs: 200, connectTimeoutMs: 1000, applicationName: 'pool-test' });
    try {
      await pool.query('CREATE TABLE t (id int)');
      await withClient(url, async (locker) => {
        await locker.query('BEGIN');
        await locker.query('LOCK TABLE t IN ACCESS EXCLUSIVE MODE');
        const error = await pool.query('SELECT * FROM t').catch((e: unknown) => e);
        expect(classifyDatabaseError(error)).toBe('timeout');
        await locker.query('ROLLBACK');
      });
    } finally {
      await pool.end();
    }
  });
});
