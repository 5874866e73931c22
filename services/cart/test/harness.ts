import { createTestDatabase } from '@checkout-lab/testing';
import { startCartService, type RunningCartService } from '../src/bootstrap';
import { loadConfig } from '../src/config';
import { FakePaymentServer } from './fake-payment.server';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  body: Record<string, any>;
}

export interface CartHarness {
  cart: RunningCartService;
  payment: FakePaymentServer;
  databaseUrl: string;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  close(): Promise<void>;
}

/** Cart on its own fresh database, with a fake payment server over real gRPC. */
export async function startCart(env: Record<string, string> = {}): Promise<CartHarness> {
  const payment = new FakePaymentServer();
  const target = await payment.start();
  const databaseUrl = await createTestDatabase('cart');
  const cart = await startCartService(
    loadConfig({ DATABASE_URL: databaseUrl, CART_HTTP_PORT: '0', PAYMENT_GRPC_TARGET: target, PAYMENT_DEADLINE_MS: '300', LOG_LEVEL: 'silent', ...env }),
  );
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> => {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${cart.url}${path}`, init);
    const text = await response.text();
    let parsed: Record<string, any> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, any>) : {};
    } catch {
      parsed = { unparsable: text };
    }
    return { status: response.status, headers: response.headers, text, body: parsed };
  };
  return {
    cart,
    payment,
    databaseUrl,
    call,
    close: async () => {
      await cart.close();
      await payment.stop();
    },
  };
}
