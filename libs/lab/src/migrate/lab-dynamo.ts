import * as path from 'node:path';
import type { DynamoConnection } from '@checkout-lab/billing-store';
import { startDynalite, type RunningDynalite } from '@checkout-lab/embedded';
import type { LabSettings } from '../settings';

/** Credentials the lab uses for its own dynalite (which accepts any). */
export const DYNALITE_CREDENTIALS = { accessKeyId: 'checkout-lab', secretAccessKey: 'checkout-lab' } as const;

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
