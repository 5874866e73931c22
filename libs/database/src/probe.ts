import type { Pool } from 'pg';

/**
 * `SELECT 1` on the service's own pool: `down` when the database refuses (connection refused,
 * authentication failed, shutting down); `slow` when it times out (statement or connection
 * timeout), as a busy database still takes work.
 */
export async function probeDatabase(pool: Pool): Promise<'ok' | 'slow' | 'down'> {
  try {
    await pool.query('SELECT 1');
    return 'ok';
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string };
    if (code === '57014' || /timeout/i.test(message ?? '')) return 'slow';
    return 'down';
  }
}

