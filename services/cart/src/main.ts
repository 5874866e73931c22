import 'reflect-metadata';
import { ConfigError } from '@checkout-lab/config';
import { startCartService } from './bootstrap';
import { loadConfig } from './config';

async function main(): Promise<void> {
  const service = await startCartService(loadConfig(process.env));
  const stop = () => {
    service.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`cart failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
