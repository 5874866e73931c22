import * as path from 'node:path';
import type { DynamoConnection } from '@checkout-lab/billing-store';
import { startDynalite, startEmbeddedPostgres, type RunningDynalite, type RunningPostgres } from '@checkout-lab/embedded';
import type { LabSettings } from './settings';

/** Credentials the lab uses for its own dynalite (which accepts any). */
export const DYNALITE_CREDENTIALS = { accessKeyId: 'checkout-lab', secretAccessKey: 'checkout-lab' } as const;

/** The embedded legacy billing server and the URL of its `billing` database. */
export interface BillingPostgres {
  server: RunningPostgres;
  url: string;
}

/**
 * The embedded legacy billing PostgreSQL: its data in <data dir>/billing-pg, on
 * LAB_BILLING_PG_PORT, with pg_stat_statements loaded (an experiment's SQL evidence reads it),
 * and its `billing` database created. The one way the lab starts it (`up`, experiments, `seed`,
 * `migrate`), so the server is the same whichever command made its data.
 */
export async function startBillingPostgres(settings: LabSettings): Promise<BillingPostgres> {
  const server = await startEmbeddedPostgres({
    dataDir: path.join(settings.dataDir, 'billing-pg'),
    port: settings.ports.billingPostgres,
    settings: { shared_preload_libraries: 'pg_stat_statements' },
  });
  try {
    await server.ensureDatabase('billing');
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { server, url: server.url('billing') };
}

export interface LabDynamo {
  connection: DynamoConnection;
  /** The embedded server, when the lab started one (DYNAMODB_ENDPOINT unset). */
  server?: RunningDynalite;
}

/**
 * The DynamoDB the lab backfills into and billing-address reads: DYNAMODB_ENDPOINT when set (AWS
 * region and credentials from the default chain), otherwise a dynalite server in its own process
 * on LAB_DYNAMODB_PORT, with its data in <data dir>/dynamodb (kept between runs).
 */
export async function startLabDynamo(settings: LabSettings): Promise<LabDynamo> {
  const table = settings.dynamoTable;
  if (settings.external.dynamoEndpoint) return { connection: { table, endpoint: settings.external.dynamoEndpoint } };
  const server = await startDynalite({ port: settings.ports.dynamodb, dataDir: path.join(settings.dataDir, 'dynamodb') });
  return { connection: { table, endpoint: server.endpoint, credentials: DYNALITE_CREDENTIALS }, server };
}
