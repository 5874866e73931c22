import { Writable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { createServiceLogger, NestPinoLogger, type LogLevel } from '../src';

/** A service logger writing into an array: each line parsed. */
function capture(level: LogLevel = 'trace') {
  const records: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) records.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createServiceLogger({ service: 'svc', level, destination }), records };
}

describe('createServiceLogger', () => {
  it('writes one JSON object per line with level, an ISO-8601 time, service and msg, and no pid or hostname', () => {
    const { logger, records } = capture('info');
    logger.info({ orderId: 'o-1' }, 'order paid');
    logger.debug('below the level');
    expect(records).toEqual([{ level: 30, time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/), service: 'svc', orderId: 'o-1', msg: 'order paid' }]);
  });
});

describe('NestPinoLogger', () => {
  const setup = (level?: LogLevel) => {
    const { logger, records } = capture(level);
    return { nest: new NestPinoLogger(logger), records };
  };

  it("maps Nest's levels to pino's: log is start-up chatter (debug), verbose is trace", () => {
    const { nest, records } = setup();
    nest.log('Nest application successfully started', 'NestApplication');
    nest.verbose('details', 'X');
    nest.debug('debugging', 'X');
    nest.warn('careful', 'X');
    nest.fatal('gone', 'X');
    expect(records.map((r) => [r['level'], r['msg'], r['context']])).toEqual([
      [20, 'Nest application successfully started', 'NestApplication'],
      [10, 'details', 'X'],
      [20, 'debugging', 'X'],
      [40, 'careful', 'X'],
      [60, 'gone', 'X'],
    ]);
  });

  it("reads an error's stack and context as Nest passes them, and serializes an Error", () => {
    const { nest, records } = setup();
    const error = new Error('listen EADDRINUSE');
    nest.error('boom', error.stack, 'RoutesResolver');
    nest.error('boom alone', error.stack);
    nest.error('with context', 'NestFactory');
    nest.error(error, undefined, 'ExceptionHandler');
    expect(records[0]).toMatchObject({ level: 50, msg: 'boom', stack: error.stack, context: 'RoutesResolver' });
    expect(records[1]).toMatchObject({ msg: 'boom alone', stack: error.stack });
    expect(records[1]).not.toHaveProperty('context');
    expect(records[2]).toMatchObject({ msg: 'with context', context: 'NestFactory' });
    expect(records[2]).not.toHaveProperty('stack');
    expect(records[3]).toMatchObject({ msg: 'listen EADDRINUSE', context: 'ExceptionHandler', err: { type: 'Error', message: 'listen EADDRINUSE' } });
  });

  it("is what Nest's Logger writes through once it is the app's logger, and honours the level", () => {
    const { nest, records } = setup('info');
    Logger.overrideLogger(nest);
    new Logger('InstanceLoader').log('AppModule dependencies initialized');
    new Logger('NestApplication').warn('slow start');
    expect(records).toEqual([expect.objectContaining({ level: 40, msg: 'slow start', context: 'NestApplication', service: 'svc' })]);
  });
});
