// The k6 adapter of the flow's LoadClient (k6/http's asyncRequest and k6's check).
import { check, sleep } from 'k6';
import http from 'k6/http';
import type { FlowRequestParams, FlowResponse, LoadClient } from '../src/flow.ts';

export const k6Client: LoadClient = {
  async post(url: string, body: string, params: FlowRequestParams): Promise<FlowResponse> {
    const res = await http.asyncRequest('POST', url, body, { headers: params.headers, tags: params.tags });
    return { status: res.status, body: typeof res.body === 'string' ? res.body : '' };
  },
  sleep(seconds: number): Promise<void> {
    sleep(seconds);
    return Promise.resolve();
  },
  check<T>(value: T, checks: Record<string, (value: T) => boolean>, tags?: Record<string, string>): boolean {
    return check(value, checks, tags);
  },
};
