import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { seededRandom } from '@checkout-lab/config';
import { withClient } from './postgres.schema';

export interface SeedOptions {
  /** Users `user-1` … `user-<users>`. */
  users: number;
  /** Addresses per user; at least one of each user's is a default. */
  addressesPerUser: number;
  /** Called as rows stream in, and once at the end with done === total. */
  onProgress?(done: number, total: number): void;
}

export interface SeedResult {
  /** Rows in billing_addresses that the seed accounts for. */
  rows: number;
  /** True when the database already held a seed of this size and nothing was written. */
  skipped: boolean;
}

const ROWS_PER_CHUNK = 1_000;

/**
 * Loads the deterministic synthetic data set (users `user-1` … `user-N`, several addresses each)
 * with COPY, in one transaction: it never leaves half-written data behind. The `billing_seed`
 * table records the size; the same size again is a no-op, another size truncates
 * billing_addresses (including addresses written through the store) and reloads it.
 * Concurrent seeders wait for each other. Readers of billing_addresses wait while a reload runs.
 */
export async function seedBillingAddresses(connectionString: string, options: SeedOptions): Promise<SeedResult> {
  const { users, addressesPerUser, onProgress } = options;
  for (const [name, value] of [
    ['users', users],
    ['addressesPerUser', addressesPerUser],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  const total = users * addressesPerUser;

  return withClient(connectionString, async (client) => {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['billing_seed']);
      const { rows } = await client.query<{ users: number; addresses_per_user: number }>(
        'SELECT users, addresses_per_user FROM billing_seed',
      );
      if (rows[0]?.users === users && rows[0].addresses_per_user === addressesPerUser) {
        await client.query('COMMIT');
        onProgress?.(total, total);
        return { rows: total, skipped: true };
      }
      await client.query('TRUNCATE billing_addresses RESTART IDENTITY');
      await copyRows(client, users, addressesPerUser, onProgress);
      await client.query(
        `INSERT INTO billing_seed (singleton, users, addresses_per_user, row_count) VALUES (true, $1, $2, $3)
         ON CONFLICT (singleton) DO UPDATE SET users = EXCLUDED.users, addresses_per_user = EXCLUDED.addresses_per_user,
           row_count = EXCLUDED.row_count, seeded_at = now()`,
        [users, addressesPerUser, total],
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    await client.query('ANALYZE billing_addresses');
    onProgress?.(total, total);
    return { rows: total, skipped: false };
  });
}

async function copyRows(
  client: Client,
  users: number,
  addressesPerUser: number,
  onProgress: SeedOptions['onProgress'],
): Promise<void> {
  const total = users * addressesPerUser;
  // FREEZE: the table was truncated in this transaction, so rows can be written pre-frozen
  // (no hint-bit rewrite or anti-wraparound vacuum of the whole table afterwards).
  const copy = client.query(
    copyFrom(
      `COPY billing_addresses (address_id, user_id, name, email, line1, line2, city, state, postal_code, country, is_default, updated_at)
       FROM STDIN WITH (FREEZE)`,
    ),
  );
  function* chunks(): Generator<string> {
    let chunk = '';
    let inChunk = 0;
    let done = 0;
    for (let user = 1; user <= users; user++) {
      chunk += userRows(user, addressesPerUser);
      inChunk += addressesPerUser;
      done += addressesPerUser;
      if (inChunk >= ROWS_PER_CHUNK || user === users) {
        yield chunk;
        chunk = '';
        inChunk = 0;
        if (done < total) onProgress?.(done, total);
      }
    }
  }
  await pipeline(Readable.from(chunks(), { objectMode: false }), copy);
}

// --- the synthetic data set: a pure function of (user, address index) -----------------------

const FIRST_NAMES = [
  'Ada', 'Grace', 'Alan', 'Barbara', 'Edsger', 'Frances', 'Ken', 'Radia', 'Linus', 'Margaret',
  'Dennis', 'Hedy', 'Tim', 'Katherine', 'Zoë', 'José', 'Søren', 'Chloé', 'Mei', 'Amara',
  'Oluwaseun', 'Priya', 'Hiroshi', 'Anja', 'Mateo', 'Fatima', 'Björn', 'Élodie', 'Nikolai', 'Aroha',
];
const LAST_NAMES = [
  'Lovelace', 'Hopper', 'Turing', 'Liskov', 'Dijkstra', 'Allen', 'Thompson', 'Perlman', 'Torvalds', 'Hamilton',
  'Ritchie', 'Lamarr', 'Berners-Lee', 'Johnson', 'Müller', 'García', 'Kierkegaard', 'Dubois', 'Chen', 'Okafor',
  'Adeyemi', 'Sharma', 'Tanaka', 'Kowalski', 'Rossi', 'Haddad', 'Andersson', 'Lefèvre', 'Ivanov', 'Ngata',
];
const STREETS = [
  'Main Street', 'High Street', 'Market Street', 'Elm Avenue', 'Oak Road', 'Baker Street', 'Rue de Rivoli',
  'Hauptstraße', 'Calle Mayor', 'Queen Street', "King's Road", 'Harbour Way', 'Station Road', 'Mill Lane',
];
/** [country, state, city, postal code prefix]; the postal code is the prefix plus digits. */
const PLACES: readonly (readonly [string, string, string, string])[] = [
  ['US', 'CA', 'San Francisco', '941'],
  ['US', 'NY', 'New York', '100'],
  ['US', 'TX', 'Austin', '787'],
  ['GB', '', 'London', 'SW1A '],
  ['DE', 'BE', 'Berlin', '10'],
  ['FR', '', 'Paris', '750'],
  ['JP', '13', 'Tokyo', '100-'],
  ['CA', 'ON', 'Toronto', 'M5V '],
  ['AU', 'NSW', 'Sydney', '2'],
  ['NL', '', 'Amsterdam', '10'],
  ['BR', 'SP', 'São Paulo', '01310-'],
  ['IN', 'MH', 'Mumbai', '400'],
  ['NG', 'LA', 'Lagos', '100'],
  ['ES', '', 'Madrid', '280'],
];

/** 2023-01-01T00:00:00Z; updated_at values spread over the two years after it. */
const EPOCH_MS = Date.UTC(2023, 0, 1);
const SPREAD_MS = 2 * 365 * 24 * 3600 * 1000;

/** COPY text-format lines for one user's addresses. */
function userRows(user: number, addressesPerUser: number): string {
  const random = seededRandom(user);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const userId = `user-${user}`;
  const name = `${pick(FIRST_NAMES)} ${pick(LAST_NAMES)}`;
  const email = `user-${user}@example.com`;
  // One address is always a default; each other one is with probability 0.3. updated_at is
  // random (plus the index in ms, so a user's timestamps never tie), so the latest default is
  // often not the newest address and not the first one.
  const anchor = Math.floor(random() * addressesPerUser);
  let lines = '';
  for (let index = 0; index < addressesPerUser; index++) {
    const [country, state, city, postalPrefix] = pick(PLACES);
    const isDefault = index === anchor || random() < 0.3;
    const updatedAt = new Date(EPOCH_MS + Math.floor(random() * SPREAD_MS) + index).toISOString();
    const line1 = `${1 + Math.floor(random() * 999)} ${pick(STREETS)}`;
    const line2 = random() < 0.3 ? `Apt ${1 + Math.floor(random() * 99)}` : '';
    const postalCode = `${postalPrefix}${String(Math.floor(random() * 100)).padStart(2, '0')}`;
    lines +=
      [`addr-${user}-${index}`, userId, name, email, line1, line2, city, state, postalCode, country]
        .map(escapeCopyText)
        .join('\t') + `\t${isDefault ? 't' : 'f'}\t${updatedAt}\n`;
  }
  return lines;
}

/** Escapes a value for COPY's text format. */
function escapeCopyText(value: string): string {
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c] ?? c) : value;
}
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
