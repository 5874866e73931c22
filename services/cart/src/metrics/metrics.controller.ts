import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { METRICS_CONTENT_TYPE, metricsText } from '@checkout-lab/telemetry';

/** Prometheus text format: HTTP, RPC and DB client histograms, business and span-export counters. */
@Controller()
export class MetricsController {
  @Get('metrics')
  async metrics(@Res() reply: FastifyReply): Promise<void> {
    await reply.header('content-type', METRICS_CONTENT_TYPE).send(await metricsText());
  }
}
