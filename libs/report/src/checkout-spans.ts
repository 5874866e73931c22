import { ATTR_CHECKOUT_OUTCOME, SPAN_CHECKOUT, type AttributeValue, type FlatSpan } from '@checkout-lab/telemetry';

// What the analysis reads from a span: which span is a checkout, how it ended, whether a span timed out.

/**
 * The span attributes the analysis reads (below: the checkout span's outcome, NestJS's handler
 * marker, HTTP and gRPC status codes). The file reader keeps only these: add any new one here.
 * gRPC's status comes under three names, depending on the instrumentation's conventions:
 * `rpc.status_code` (current: the name, `DEADLINE_EXCEEDED`), `rpc.response.status_code` (an
 * interim name, the same values) and `rpc.grpc.status_code` (deprecated: the number, 4).
 */
export const ANALYSED_ATTRIBUTES = [
  'nestjs.type',
  ATTR_CHECKOUT_OUTCOME,
  'http.response.status_code',
  'http.status_code',
  'rpc.status_code',
  'rpc.response.status_code',
  'rpc.grpc.status_code',
] as const;

/** Cart's business span of a checkout (NestJS's instrumentation also names its handler span after the method, "checkout"; that one carries nestjs.type). */
export function isCheckoutSpan(span: FlatSpan): boolean {
  return span.name === SPAN_CHECKOUT && span.service === 'cart' && span.attributes['nestjs.type'] === undefined;
}

/** How one checkout ended, as the report counts it. */
export interface CheckoutResult {
  /** Cart's span for the checkout request (the business span itself when there is no server span above it). */
  requestSpan: FlatSpan;
  /** `checkout.outcome` (paid, declined, error, timeout, unavailable), `timeout` for an HTTP 504, else `error` / `unknown` from the status. */
  outcome: string;
  timedOut: boolean;
}

/** The result of the checkout whose business span is `checkoutSpan` (see isCheckoutSpan); `traceById`: its trace's spans by id. */
export function checkoutResult(checkoutSpan: FlatSpan, traceById: Map<string, FlatSpan>): CheckoutResult {
  const requestSpan = topOfService(checkoutSpan, traceById);
  const recorded = stringAttr(checkoutSpan.attributes[ATTR_CHECKOUT_OUTCOME]) ?? (checkoutSpan.status === 'error' ? 'error' : 'unknown');
  const timedOut = recorded === 'timeout' || httpStatus(requestSpan) === 504;
  return { requestSpan, outcome: timedOut ? 'timeout' : recorded, timedOut };
}

/** The outermost span of the same service above `span`, within its trace (`byId`: the trace's spans by id). */
function topOfService(span: FlatSpan, byId: Map<string, FlatSpan>): FlatSpan {
  let current = span;
  for (let i = 0; i < 100; i++) {
    const parent = current.parentSpanId === undefined ? undefined : byId.get(current.parentSpanId);
    if (!parent || parent.service !== span.service) return current;
    current = parent;
  }
  return current;
}

function httpStatus(span: FlatSpan): number | undefined {
  const v = span.attributes['http.response.status_code'] ?? span.attributes['http.status_code'];
  return typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : undefined;
}

/** A span that ran out of time: gRPC DEADLINE_EXCEEDED, a checkout that timed out, or an HTTP 504. */
export function isTimeout(span: FlatSpan): boolean {
  if (span.attributes[ATTR_CHECKOUT_OUTCOME] === 'timeout') return true;
  if (httpStatus(span) === 504) return true;
  if (span.status !== 'error') return false;
  const grpc = span.attributes['rpc.status_code'] ?? span.attributes['rpc.response.status_code'] ?? span.attributes['rpc.grpc.status_code'];
  return grpc === 4 || grpc === '4' || grpc === 'DEADLINE_EXCEEDED' || /DEADLINE_EXCEEDED|deadline exceeded/i.test(span.statusMessage ?? '');
}

function stringAttr(v: AttributeValue | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
