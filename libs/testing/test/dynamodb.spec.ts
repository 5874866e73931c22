import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, ListTablesCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { freePort, isAlive, startDynalite } from '@checkout-lab/embedded';
import { testDynamoEndpoint } from '../src';

function client(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'lab', secretAccessKey: 'lab' } });
}

describe('dynamodb: true (the run-wide dynalite)', () => {
  it('exposes a DynamoDB endpoint that the AWS SDK talks to', async () => {
    const dynamo = client(testDynamoEndpoint());
    const result = await dynamo.send(new ListTablesCommand({}));
    dynamo.destroy();
    expect(Array.isArray(result.TableNames)).toBe(true);
  });
});

describe('startDynalite', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'checkout-lab-dynalite-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('runs in its own process, keeps data in dataDir across a restart, and leaves no process after stop', async () => {
    const dataDir = path.join(root, 'data');
    const port = await freePort();
    const first = await startDynalite({ port, dataDir });
    expect(first.pid).not.toBe(process.pid);
    expect(first.endpoint).toBe(`http://127.0.0.1:${port}`);

    let dynamo = client(first.endpoint);
    await dynamo.send(
      new CreateTableCommand({
        TableName: 'kept',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await dynamo.send(new PutItemCommand({ TableName: 'kept', Item: { id: { S: 'a' }, v: { S: 'Zoë' } } }));
    dynamo.destroy();
    await first.stop();
    await first.stop();
    expect(isAlive(first.pid)).toBe(false);

    const second = await startDynalite({ port, dataDir });
    dynamo = client(second.endpoint);
    const item = await dynamo.send(new GetItemCommand({ TableName: 'kept', Key: { id: { S: 'a' } } }));
    dynamo.destroy();
    await second.stop();
    expect(item.Item?.['v']).toEqual({ S: 'Zoë' });
    expect(isAlive(second.pid)).toBe(false);
  });

  it('fails with a clear message when the port is taken', async () => {
    const running = await startDynalite({ port: await freePort() });
    try {
      await expect(startDynalite({ port: running.port, startTimeoutMs: 10_000 })).rejects.toThrow(/dynalite exited during start-up/);
    } finally {
      await running.stop();
    }
  });
});
