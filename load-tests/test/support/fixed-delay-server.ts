/**
 * A test HTTP server with a fixed service time, run as its own process (so its timers do not
 * share an event loop with the driver under test). Every request is answered `DELAY_MS` after it
 * arrived (a timer for all but the last SPIN_MS, then turns of the event loop: sub-ms exact).
 * `POST /__stall?ms=N` freezes it: requests arriving in the next N ms are served as if they
 * arrived when the stall ends. Prints `listening <port>` once ready.
 *
 *   PORT=0 DELAY_MS=20 node -r @swc-node/register load-tests/test/support/fixed-delay-server.ts
 */
import * as http from 'node:http';

const delayMs = Number(process.env['DELAY_MS'] ?? 20);
const port = Number(process.env['PORT'] ?? 0);
// Timers on a VM fire a few ms late now and then; the last SPIN_MS before a response is due are
// spent turning the event loop instead, which keeps responses within ~0.1 ms of their due time.
const spinMs = Number(process.env['SPIN_MS'] ?? 4);
const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

interface Pending {
  arrived: number;
  due: number;
  res: http.ServerResponse;
  body: string;
}
// With one fixed delay, due times follow arrival order: a FIFO is the whole timer wheel.
const queue: Pending[] = [];
let head = 0;
let armed = false;
let stallUntil = 0;
// What the server saw, for the tests' independent view: arrivals and how late responses went out.
let arrivals = 0;
let firstArrival = 0;
let lastArrival = 0;
let lateMs: number[] = [];
let serviceMs: number[] = [];

function pump(): void {
  const t = nowMs();
  while (head < queue.length && (queue[head]?.due ?? Infinity) <= t) {
    const item = queue[head++];
    if (item) lateMs.push(t - item.due);
    if (item) serviceMs.push(t - item.arrived);
    if (item) item.res.writeHead(200, { 'content-type': 'application/json', 'x-late-us': String(Math.round((t - item.due) * 1000)) }).end(item.body);
  }
  if (head > 1024 && head * 2 > queue.length) {
    queue.splice(0, head);
    head = 0;
  }
  const next = queue[head];
  if (!next) {
    armed = false;
    return;
  }
  const wait = next.due - nowMs();
  if (wait > spinMs + 0.5) setTimeout(pump, wait - spinMs);
  else setImmediate(pump);
}

const server = http.createServer((req, res) => {
  const arrived = nowMs();
  const url = req.url ?? '/';
  if (req.method === 'POST' && url.startsWith('/__stall')) {
    const ms = Number(new URL(url, 'http://x').searchParams.get('ms') ?? 0);
    stallUntil = arrived + ms;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ stalledUntil: stallUntil }));
    req.resume();
    return;
  }
  if (url.startsWith('/__stats')) {
    const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * p)] ?? 0;
    const stats = {
      arrivals,
      firstArrival,
      lastArrival,
      lateP99Ms: pct(lateMs, 0.99),
      serviceP50Ms: pct(serviceMs, 0.5),
      serviceP99Ms: pct(serviceMs, 0.99),
    };
    if (url.includes('reset')) {
      arrivals = 0;
      lateMs = [];
      serviceMs = [];
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
    req.resume();
    return;
  }
  if (arrivals === 0) firstArrival = arrived;
  arrivals++;
  lastArrival = arrived;
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const effective = arrived < stallUntil ? stallUntil : arrived;
    queue.push({ arrived, due: effective + delayMs, res, body: JSON.stringify({ ok: true, bytes: Buffer.concat(chunks).length }) });
    if (!armed) {
      armed = true;
      pump();
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
