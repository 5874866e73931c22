import { Client } from 'pg';
import { createTestDatabase } from '@checkout-lab/testing';
import { BILLING_LOOKUP_SQL } from './postgres.billing-address.store';
import { applySqlProfile, BILLING_LOOKUP_INDEX, migrateBillingSchema } from './postgres.schema';
import { seedBillingAddresses } from './postgres.seed';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function flatten(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(flatten)];
}

describe('billing schema', () => {
  let url: string;
  let client: Client;

  const indexes = async (): Promise<string[]> => {
    const { rows } = await client.query<{ indexname: string }>(
      "SELECT indexname FROM pg_indexes WHERE tablename = 'billing_addresses' ORDER BY indexname",
    );
    return rows.map((row) => row.indexname);
  };

  const lookupPlan = async (userId: string): Promise<PlanNode[]> => {
    const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
      `EXPLAIN (FORMAT JSON) ${BILLING_LOOKUP_SQL}`,
      [userId],
    );
    const plan = rows[0]?.['QUERY PLAN'][0].Plan;
    if (!plan) throw new Error('EXPLAIN returned no plan');
    return flatten(plan);
  };

  beforeAll(async () => {
    url = await createTestDatabase('billing_schema');
    client = new Client({ connectionString: url });
    await client.connect();
  });

  afterAll(async () => {
    await client.end();
  });

  it('migrates once, recording the migration in billing_migrations', async () => {
    await expect(migrateBillingSchema(url)).resolves.toEqual(['1735689600000_billing-addresses']);
    await expect(migrateBillingSchema(url)).resolves.toEqual([]);
    const { rows } = await client.query<{ name: string }>('SELECT name FROM billing_migrations');
    expect(rows.map((row) => row.name)).toEqual(['1735689600000_billing-addresses']);
  });

  it('lets concurrent migrators wait for each other instead of failing', async () => {
    const other = await createTestDatabase('billing_schema_race');
    const results = await Promise.all([migrateBillingSchema(other), migrateBillingSchema(other), migrateBillingSchema(other)]);
    expect(results.flat()).toEqual(['1735689600000_billing-addresses']);
  });

  it('has no index serving the lookup in the legacy schema', async () => {
    expect(await indexes()).toEqual(['billing_addresses_address_id_key', 'billing_addresses_pkey']);
  });

  it('switches profiles idempotently: indexed adds the lookup index, legacy drops it', async () => {
    await applySqlProfile(url, 'indexed');
    await applySqlProfile(url, 'indexed');
    expect(await indexes()).toContain(BILLING_LOOKUP_INDEX);
    const { rows } = await client.query<{ indexdef: string }>('SELECT indexdef FROM pg_indexes WHERE indexname = $1', [
      BILLING_LOOKUP_INDEX,
    ]);
    expect(rows[0]?.indexdef).toMatch(/\(user_id, updated_at DESC\) WHERE is_default/);

    await applySqlProfile(url, 'legacy');
    await applySqlProfile(url, 'legacy');
    expect(await indexes()).not.toContain(BILLING_LOOKUP_INDEX);
  });

  describe('the lookup plan on 20k rows', () => {
    beforeAll(async () => {
      await seedBillingAddresses(url, { users: 5_000, addressesPerUser: 4 });
    });

    it('is a sequential scan of billing_addresses under legacy', async () => {
      await applySqlProfile(url, 'legacy');
      const nodes = await lookupPlan('user-4242');

      expect(nodes).toContainEqual(
        expect.objectContaining({ 'Node Type': expect.stringMatching(/Seq Scan$/), 'Relation Name': 'billing_addresses' }),
      );
      expect(nodes.filter((node) => node['Index Name'])).toEqual([]);
    });

    it('uses the lookup index under indexed', async () => {
      await applySqlProfile(url, 'indexed');
      const nodes = await lookupPlan('user-4242');

      expect(nodes).toContainEqual(
        expect.objectContaining({
          'Node Type': expect.stringMatching(/^(Index Scan|Index Only Scan|Bitmap Index Scan)$/),
          'Index Name': BILLING_LOOKUP_INDEX,
        }),
      );
      expect(nodes.map((node) => node['Node Type'])).not.toContainEqual(expect.stringMatching(/Seq Scan/));
    });
  });
});
