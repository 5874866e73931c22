import { z } from 'zod';

/** Thrown for text that is not a duration; the message is one line that says where it came from. */
export class DurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DurationError';
  }
}

const BARE_NUMBER = /^\d+(?:\.\d+)?$/;
// "ms" before "m", so "5ms" is five milliseconds and "5m" five minutes.
const PART = /(\d+(?:\.\d+)?)(ms|us|µs|h|m|s)/y;
const MS_PER_UNIT: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/**
 * The one way a duration is written, in a flag, a setting or an experiment file: k6's form, a
 * number and a unit or several in a row — "500ms", "30s", "1.5m", "1h2m3.5s" (units h, m, s, ms,
 * us / µs). A bare number ("30") is seconds. Returns milliseconds.
 * `at` names where the text came from (a flag, a variable, a field) at the start of the error.
 */
export function parseDuration(text: string, at?: string): number {
  const ms = toMilliseconds(text.trim());
  if (ms === undefined) {
    throw new DurationError(`${at ? `${at}: ` : ''}"${text}" is not a duration (like "30s", "1m30s", "500ms"; a bare number is seconds)`);
  }
  return ms;
}

function toMilliseconds(text: string): number | undefined {
  if (BARE_NUMBER.test(text)) return Number(text) * 1000;
  if (text === '') return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const match = PART.exec(text);
    if (!match) return undefined;
    const amount = Number(match[1]);
    const unit = match[2] as string;
    total += unit === 'us' || unit === 'µs' ? amount / 1000 : amount * (MS_PER_UNIT[unit] as number);
  }
  return total;
}

/** A duration field of a definition file (see parseDuration), as milliseconds. */
export const durationSchema = z.string().transform((text, context) => {
  try {
    return parseDuration(text);
  } catch {
    context.addIssue({ code: 'custom', message: 'must be a duration such as "500ms", "30s", "2m" (a bare number is seconds)' });
    return z.NEVER;
  }
});
