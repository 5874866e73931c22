import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { DependencyError, InvalidRequestError, NotFoundError, StateError } from '../errors';

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

const STATE_STATUS: Record<StateError['code'], number> = {
  cart_checked_out: 409,
  checkout_in_progress: 409,
  cart_empty: 422,
  idempotency_key_reused: 422,
  billing_address_missing: 422,
};

/** Fastify's own request errors (body parsing, limits), by code. */
const FASTIFY_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large', message: 'the request body is larger than allowed' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'unsupported_media_type',
    message: 'send the body as application/json',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'malformed_json', message: 'the JSON body is empty' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'malformed_json', message: 'the body is not valid JSON' },
};

/** The one mapping from errors to HTTP responses: `{"error":{"code","message","details?"}}`, never a stack trace. */
export function toHttpError(error: unknown): { status: number; body: ErrorBody } {
  const reply = (status: number, code: string, message: string, details?: Record<string, unknown>) => ({
    status,
    body: { error: { code, message, ...(details ? { details } : {}) } },
  });
  if (error instanceof NotFoundError) return reply(404, `${error.entity}_not_found`, error.message);
  if (error instanceof InvalidRequestError) {
    return reply(400, error.code, error.message, error.problems.length ? { problems: error.problems } : undefined);
  }
  if (error instanceof StateError) return reply(STATE_STATUS[error.code], error.code, error.message);
  if (error instanceof DependencyError) {
    return error.kind === 'timeout'
      ? reply(504, 'dependency_timeout', error.message, { dependency: error.dependency })
      : reply(503, 'dependency_unavailable', error.message, { dependency: error.dependency });
  }
  const fastifyCode = (error as { code?: unknown } | null)?.code;
  if (typeof fastifyCode === 'string' && fastifyCode in FASTIFY_ERRORS) {
    const known = FASTIFY_ERRORS[fastifyCode];
    if (known) return reply(known.status, known.code, known.message);
  }
  if (error instanceof SyntaxError) return reply(400, 'malformed_json', 'the body is not valid JSON');
  if (error instanceof HttpException) {
    const status = error.getStatus();
    if (status === 404) return reply(404, 'not_found', 'no such route');
    // Nest reports Fastify's body-parsing failures as a plain 400.
    if (status === 400 && /JSON/i.test(error.message)) return reply(400, 'malformed_json', 'the body is not valid JSON');
    return reply(status, status === 413 ? 'payload_too_large' : 'http_error', error.message);
  }
  return reply(500, 'internal_error', 'internal error in cart');
}

@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const { status, body } = toHttpError(exception);
    if (exception instanceof DependencyError) {
      this.logger.warn({ status, dependency: exception.dependency, kind: exception.kind }, 'dependency failed');
    } else if (status >= 500) {
      this.logger.error({ err: exception, status }, 'request failed');
    }
    void host.switchToHttp().getResponse<FastifyReply>().status(status).send(body);
  }
}
