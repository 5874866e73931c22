import * as path from 'node:path';
import { Client } from 'pg';
import { freePort } from '@checkout-lab/embedded';
import { createTestDatabase } from '@checkout-lab/testing';
import { classifyDatabaseError, isUniqueViolation, migrate, withClient } from '../src';

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
