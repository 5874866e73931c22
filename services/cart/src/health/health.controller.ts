import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Pool } from 'pg';
import { isServing } from '@checkout-lab/contracts';
import { PaymentTarget } from '../checkout/payment.client';

type Check = 'ok' | 'failing';

@Controller()
export class HealthController {
  constructor(
    private readonly pool: Pool,
    private readonly payment: PaymentTarget,
  ) {}

  /** Liveness: the process answers. */
  @Get('healthz')
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: cart's database answers and payment reports SERVING. */
  @Get('readyz')
  async readyz(@Res() reply: FastifyReply): Promise<void> {
    const [database, payment] = await Promise.all([
      this.pool.query('SELECT 1').then<Check, Check>(
        () => 'ok',
        () => 'failing',
      ),
      isServing(this.payment.address, 1000).then((serving): Check => (serving ? 'ok' : 'failing')),
    ]);
    const ready = database === 'ok' && payment === 'ok';
    await reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: { database, payment } });
  }
}
