import { logLine } from './log-line';

describe('logLine', () => {
  it("is one JSON line in the services' shape: pino's level number, ISO time, service, msg, then the fields", () => {
    const line = logLine('fatal', 'cart', 'cart: failed to start: port 8080 in use', { exit_code: 1 });
    expect(line.endsWith('\n')).toBe(true);
    expect(line.trimEnd()).not.toContain('\n');
    const record = JSON.parse(line) as Record<string, unknown>;
    expect(record).toEqual({ level: 60, time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), service: 'cart', msg: 'cart: failed to start: port 8080 in use', exit_code: 1 });
    expect(Object.keys(record).slice(0, 4)).toEqual(['level', 'time', 'service', 'msg']);
    expect(JSON.parse(logLine('warn', 'payment', 'x')).level).toBe(40);
  });

  it('keeps a message with a newline or quotes on one line', () => {
    const line = logLine('error', 'payment', 'first "line"\nsecond line');
    expect(line.split('\n')).toHaveLength(2);
    expect((JSON.parse(line) as { msg: string }).msg).toBe('first "line"\nsecond line');
  });
});
