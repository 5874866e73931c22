import { InvalidArgumentError } from 'commander';
import { DurationError, parseDuration } from '@checkout-lab/config';

/**
 * The parser of a duration flag (`--step 20s`, `--duration 1m`; a bare number is seconds, see
 * parseDuration), in seconds; a usage error unless it is more than 0.
 */
export function durationSeconds(value: string): number {
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (error) {
    throw error instanceof DurationError ? new InvalidArgumentError(error.message) : error;
  }
  if (ms <= 0) throw new InvalidArgumentError(`must be more than 0, got "${value}"`);
  return ms / 1000;
}
