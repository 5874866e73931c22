import { createServer, type Server } from 'node:http';
import { METRICS_CONTENT_TYPE, metricsText } from './sdk';

export interface MetricsServer {
  /** http://host:port/metrics */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves GET /metrics (Prometheus text) on its own port, for the gRPC services (cart serves it on
 * its own Fastify port). Kept instead of the Prometheus exporter's built-in server, which is not
 * equivalent here: that server's host and port are fixed when the exporter is constructed, in the
 * preload, before the service has parsed its config (PAYMENT_METRICS_PORT, BILLING_METRICS_PORT,
 * its host), so telemetry would have to read service variables itself; it does not report the
 * port it bound (tests ask for port 0), logs a bind failure through diag instead of failing the
 * start, and answers without Prometheus's text-format version.
 */
export async function serveMetrics(host: string, port: number): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    metricsText().then(
      (text) => response.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(text),
      () => response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/metrics`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
