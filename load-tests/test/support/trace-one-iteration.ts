/**
 * Runs one traced iteration root (`checkout-flow`) with the driver's tracer and this process's
 * environment, then exits. Its own process: the OTLP/HTTP exporter loads node:http through a
 * dynamic import, which Jest's module system refuses.
 */
import { IterationTracer } from '../../src/driver/tracing';

const tracer = IterationTracer.create(process.env);
tracer.start({ 'lab.run_id': 'r1' }).end({});
void tracer.shutdown();
