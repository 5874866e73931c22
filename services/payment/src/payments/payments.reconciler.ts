import type { Logger } from 'pino';
import { PeriodicTask } from '@checkout-lab/config';
import { SPAN_PAYMENT_RECONCILE, errorFields, reconcileCountAttributes, withSpan } from '@checkout-lab/telemetry';
import type { PaymentsRepository } from './payments.repository';
import type { PaymentsService, Resolution } from './payments.service';

export interface PaymentsReconcilerOptions {
  /** Time between passes; 0: no passes at all (not even at start). */
  intervalMs: number;
  /** See PaymentsOptions.reconcileAfterMs. */
  afterMs: number;
  /** The payment-level lease (the same one Authorize takes). */
  leaseMs: number;
  /** Payments claimed at once (default 1: each lease is taken just before its payment is resolved); a pass claims until one claim comes back short. */
  batchSize?: number;
}

export type ReconcileCounts = Record<Resolution['status'] | 'failed', number>;

/** Batches one pass goes through at most, so one pass cannot run for ever. */
const MAX_BATCHES_PER_PASS = 100;

/**
 * Payment resolves its own pending payments, at start and every `intervalMs`, without a client:
 * a payment nobody holds the lease of and no Authorize has touched for longer than the lease
 * plus `afterMs` is claimed (the same lease, taken with one UPDATE … WHERE it has expired, so an
 * Authorize working on it is never disturbed) and resolved against Stripe (PaymentsService).
 * A crash mid-way leaves at worst a claimed lease, which expires: the next pass picks it up.
 */
export class PaymentsReconciler {
  private readonly task: PeriodicTask;

  constructor(
    private readonly payments: PaymentsRepository,
    private readonly service: PaymentsService,
    private readonly options: PaymentsReconcilerOptions,
    private readonly logger: Logger,
  ) {
    this.task = new PeriodicTask(() => this.runOnce(), options.intervalMs, (error) =>
      logger.warn({ err: errorFields(error) }, 'reconcile pass failed'),
    );
  }

  /** One pass: claims the idle pending payments and resolves each; returns how many ended how. */
  runOnce(): Promise<ReconcileCounts> {
    return withSpan(SPAN_PAYMENT_RECONCILE, {}, async (span) => {
      const counts: ReconcileCounts = { succeeded: 0, declined: 0, canceled: 0, pending: 0, unknown: 0, failed: 0 };
      // One at a time by default: a claimed lease must not run out while earlier ones are resolved.
      const batchSize = this.options.batchSize ?? 1;
      // A payment left pending (Stripe unreachable, a PaymentIntent still processing) stays idle: look at it once per pass.
      const seen: string[] = [];
      let failing = false;
      for (let batch = 0; batch < MAX_BATCHES_PER_PASS && !this.task.stopped && !failing; batch++) {
        const claimed = await this.payments.claimIdle(this.options.leaseMs + this.options.afterMs, this.options.leaseMs, batchSize, seen);
        for (const leased of claimed) {
          seen.push(leased.payment.id);
          try {
            counts[(await this.service.resolveLeased(leased)).status]++;
          } catch (error) {
            // Stripe or the database failed: the lease was given back; this pass ends, the next one tries again.
            counts.failed++;
            failing = true;
            this.logger.warn({ paymentId: leased.payment.id, err: errorFields(error) }, 'reconcile: payment not resolved');
          }
        }
        if (claimed.length < batchSize) break;
      }
      span.setAttributes(reconcileCountAttributes(counts));
      if (Object.values(counts).some((n) => n > 0)) this.logger.info({ counts }, 'reconcile pass');
      return counts;
    });
  }

  /** A pass now, then one every intervalMs (never two at once); nothing when intervalMs is 0. */
  start(): void {
    this.task.start();
  }

  /** Stops scheduling passes and waits for the one running, if any. */
  stop(): Promise<void> {
    return this.task.stop();
  }
}
