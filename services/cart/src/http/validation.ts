import type { z } from 'zod';
import { InvalidRequestError } from '../errors';

/** Parses a request part with a zod schema; failures become one 400 naming every bad field. */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown, what = 'body'): z.infer<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => ({
    field: issue.path.join('.') || what,
    message: issue.message,
  }));
  throw new InvalidRequestError(
    'invalid_request',
    `invalid ${what}: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
    problems,
  );
}
