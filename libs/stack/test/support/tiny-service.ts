/** A stand-in for a service in supervision tests: answers HTTP on TINY_PORT, stops on SIGTERM. */
import { createServer } from 'node:http';

const server = createServer((_request, response) => response.end(String(process.pid)));
server.listen(Number(process.env['TINY_PORT']), '127.0.0.1', () => console.log(`tiny service ${process.pid} listening`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
