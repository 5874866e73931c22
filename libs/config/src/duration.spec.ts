import { z } from 'zod';
import { DurationError, durationSchema, parseDuration } from './duration';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1500us', 1.5],
    ['250µs', 0.25],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('takes decimals and several parts in a row, as k6 does', () => {
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('0.5m')).toBe(30_000);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('1h2m3.5s')).toBe(3_723_500);
    expect(parseDuration(' 20s ')).toBe(20_000);
  });

  it('reads a bare number as seconds', () => {
    expect(parseDuration('30')).toBe(30_000);
    expect(parseDuration('2.5')).toBe(2500);
    expect(parseDuration('0')).toBe(0);
  });

  it.each(['', 'soon', 'ten seconds', '2 seconds', '-5s', '5x', '1m30', 's', '1.s'])('refuses %j in one line naming where it came from', (text) => {
    const error = captured(() => parseDuration(text, '--step'));
    expect(error).toBeInstanceOf(DurationError);
    expect(error.message).toBe(`--step: "${text}" is not a duration (like "30s", "1m30s", "500ms"; a bare number is seconds)`);
    expect(error.message).not.toContain('\n');
  });

  it('leaves the place out of the message when none is given', () => {
    expect(() => parseDuration('soon')).toThrow(/^"soon" is not a duration/);
  });
});

describe('durationSchema', () => {
  const schema = z.object({ warmup: durationSchema });

  it('turns a definition field into milliseconds', () => {
    expect(schema.parse({ warmup: '2s' })).toEqual({ warmup: 2000 });
    expect(schema.parse({ warmup: '3' })).toEqual({ warmup: 3000 });
  });

  it('names the field and the form when the text is no duration, and refuses a JSON number', () => {
    const bad = schema.safeParse({ warmup: '2 seconds' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['warmup', 'must be a duration such as "500ms", "30s", "2m" (a bare number is seconds)']]);
    // A number in JSON is milliseconds to k6 and would be seconds here: asked for as text instead.
    expect(schema.safeParse({ warmup: 2 }).success).toBe(false);
  });
});

function captured(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}
