import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Pool } from 'pg';
import { CachedCheck, probeGrpcHealth, type CheckResult } from '@checkout-lab/contracts';
import { probeDatabase } from '@checkout-lab/database';
import { PaymentTarget } from '../checkout/payment.client';

/** A check as /readyz reports it: `slow` still counts as ready. */
type Check = 'ok' | 'slow' | 'failing';

const shown = (result: CheckResult): Check => (result === 'down' ? 'failing' : result);

@Controller()
export class HealthController {
  private readonly database: CachedCheck;
  private readonly payment: CachedCheck;

  constructor(pool: Pool, payment: PaymentTarget) {
    this.database = new CachedCheck(() => probeDatabase(pool));
    // payment's own readiness covers its database and billing-address.
    this.payment = new CachedCheck((timeoutMs) => probeGrpcHealth(payment.address, timeoutMs));
  }

  /** Liveness: the process answers. */
  @Get('healthz')
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Readiness: cart can take a checkout. 503 when cart's database refuses or payment is not
   * SERVING; a dependency that is only slow (no answer within 1 s) keeps cart ready.
   */
  @Get('readyz')
  async readyz(@Res() reply: FastifyReply): Promise<void> {
    const [database, payment] = await Promise.all([this.database.run(), this.payment.run()]);
    const ready = database !== 'down' && payment !== 'down';
    await reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: { database: shown(database), payment: shown(payment) } });
  }
}
