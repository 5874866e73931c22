import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { Pool } from 'pg';
import { CachedCheck, probeGrpcHealth, type CheckResult } from '@checkout-lab/contracts';
import { probeDatabase } from '@checkout-lab/database';

/**
 * Whether payment can take an authorization: its database answers and billing-address reports
 * SERVING. Stripe is an outside API with its own availability and is not checked: a Stripe
 * outage shows as 503 `stripe` on the checkout, not as payment leaving rotation. A dependency
 * that is only slow (the legacy billing server is, by design) keeps payment SERVING.
 */
export class PaymentReadiness {
  private readonly database: CachedCheck;
  private readonly billingAddress: CachedCheck;

  constructor(pool: Pool, billingAddressTarget: string) {
    this.database = new CachedCheck(() => probeDatabase(pool));
    this.billingAddress = new CachedCheck((timeoutMs) => probeGrpcHealth(billingAddressTarget, timeoutMs));
  }

  async check(): Promise<{ serving: boolean; checks: { database: CheckResult; billingAddress: CheckResult } }> {
    const [database, billingAddress] = await Promise.all([this.database.run(), this.billingAddress.run()]);
    return { serving: database !== 'down' && billingAddress !== 'down', checks: { database, billingAddress } };
  }
}

/** The standard grpc.health.v1 service: SERVING while payment can take an authorization (PaymentReadiness). */
@Controller()
export class HealthController {
  constructor(private readonly readiness: PaymentReadiness) {}

  @GrpcMethod('Health', 'Check')
  async check(): Promise<{ status: 'SERVING' | 'NOT_SERVING' }> {
    const { serving } = await this.readiness.check();
    return { status: serving ? 'SERVING' : 'NOT_SERVING' };
  }
}
