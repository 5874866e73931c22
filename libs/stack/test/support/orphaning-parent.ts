/**
 * Stands in for the lab in the exit-with-parent test: starts tiny-service.ts through
 * ServiceProcess, prints its pid, then waits to be killed.
 */
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ServiceProcess } from '../../src/service-process';

const port = Number(process.env['TINY_PORT']);
const service = new ServiceProcess({
  name: 'tiny',
  entry: 'libs/stack/test/support/tiny-service.ts',
  env: { ...process.env },
  logFile: path.join(tmpdir(), `orphaning-parent-${process.pid}.log`),
  ready: () => fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok),
});
void service.start().then(() => console.log(`child ${service.pid}`));
setInterval(() => undefined, 1000);
