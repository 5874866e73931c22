import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { DependencyError, InvalidRequestError, MethodNotAllowedError, NotFoundError, StateError } from '../errors';
import type { RouteTable } from './routes';

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

const STATE_STATUS: Record<StateError['code'], number> = {
  cart_checked_out: 409,
  checkout_in_progress: 409,
  cart_empty: 422,
  idempotency_key_reused: 422,
  billing_address_missing: 422,
  quantity_too_large: 422,
  amount_too_large: 422,
  payment_method_invalid: 422,
  payment_rejected: 422,
  payment_expired: 422,
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
  // Router errors (through FastifyAdapter's frameworkErrors): never echo the path back.
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: 'uri_too_long', message: 'a path parameter is longer than allowed' },
  FST_ERR_BAD_URL: { status: 400, code: 'invalid_request', message: 'the URL is not valid' },
};

/** The one mapping from errors to HTTP responses: `{"error":{"code","message","details?"}}`, never a stack trace. */
export function toHttpError(error: unknown): { status: number; body: ErrorBody; headers?: Record<string, string> } {
  const reply = (status: number, code: string, message: string, details?: Record<string, unknown>) => ({
    status,
    body: { error: { code, message, ...(details ? { details } : {}) } },
  });
  if (error instanceof MethodNotAllowedError) {
    return { ...reply(405, 'method_not_allowed', error.message), headers: { allow: error.allow.join(', ') } };
  }
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
    if (status === 413) return reply(413, 'payload_too_large', 'the request body is larger than allowed');
    if (status === 415) return reply(415, 'unsupported_media_type', 'send the body as application/json');
    return reply(status, 'http_error', error.message);
  }
  return reply(500, 'internal_error', 'internal error in cart');
}

@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(
    private readonly logger: Logger,
    private readonly routes: RouteTable,
  ) {}

  catch(thrown: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const exception = this.methodNotAllowed(thrown, http.getRequest<FastifyRequest>()) ?? thrown;
    const { status, body, headers } = toHttpError(exception);
    if (exception instanceof DependencyError) {
      this.logger.warn({ status, dependency: exception.dependency, kind: exception.kind }, 'dependency failed');
    } else if (status >= 500) {
      this.logger.error({ err: exception, status }, 'request failed');
    }
    const response = http.getResponse<FastifyReply>();
    if (headers) void response.headers(headers);
    void response.status(status).send(body);
  }

  /** A 404 for a path that a route serves with other methods is a 405. */
  private methodNotAllowed(exception: unknown, request: FastifyRequest): MethodNotAllowedError | undefined {
    if (!(exception instanceof HttpException) || exception.getStatus() !== 404) return undefined;
    const allow = this.routes.allowedMethods(request.url);
    return allow.length > 0 && !allow.includes(request.method) ? new MethodNotAllowedError(allow) : undefined;
  }
}
