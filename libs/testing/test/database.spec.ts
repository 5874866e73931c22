import { Client } from 'pg';
import { createTestDatabase } from '../src';

describe('createTestDatabase', () => {
  it('gives each caller its own database on the real server', async () => {
    const [a, b] = await Promise.all([createTestDatabase('t'), createTestDatabase('t')]);
    expect(a).not.toEqual(b);
    const client = new Client({ connectionString: a });
    await client.connect();
    const { rows } = await client.query<{ db: string; version: string }>('SELECT current_database() AS db, version()');
    await client.end();
    expect(a.endsWith(`/${rows[0]?.db}`)).toBe(true);
    expect(rows[0]?.version).toMatch(/^PostgreSQL \d+/);
  });
});
