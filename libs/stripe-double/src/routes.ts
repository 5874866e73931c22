/** The endpoints the double serves, matched on method and path. */
import type { StripeApi } from './api';
import type { FormObject } from './form';

export interface RouteMatch {
  /** `POST /v1/payment_intents/:id/confirm`: the key for request counts. */
  name: string;
  run(api: StripeApi, params: FormObject): unknown;
}

interface Route {
  method: 'GET' | 'POST';
  path: RegExp;
  name: string;
  run(api: StripeApi, params: FormObject, id: string): unknown;
}

const ID = '([^/]+)';

const ROUTES: readonly Route[] = [
  {
    method: 'POST',
    path: /^\/v1\/payment_methods$/,
    name: 'POST /v1/payment_methods',
    run: (api, params) => api.createPaymentMethod(params),
  },
  {
    method: 'GET',
    path: new RegExp(`^/v1/payment_methods/${ID}$`),
    name: 'GET /v1/payment_methods/:id',
    run: (api, params, id) => api.retrievePaymentMethod(id, params),
  },
  {
    method: 'POST',
    path: /^\/v1\/payment_intents$/,
    name: 'POST /v1/payment_intents',
    run: (api, params) => api.createPaymentIntent(params),
  },
  {
    method: 'GET',
    path: /^\/v1\/payment_intents$/,
    name: 'GET /v1/payment_intents',
    run: (api, params) => api.listPaymentIntents(params),
  },
  {
    // Before `/:id`, which would otherwise take `search` for an id.
    method: 'GET',
    path: /^\/v1\/payment_intents\/search$/,
    name: 'GET /v1/payment_intents/search',
    run: (api, params) => api.searchPaymentIntents(params),
  },
  {
    method: 'GET',
    path: new RegExp(`^/v1/payment_intents/${ID}$`),
    name: 'GET /v1/payment_intents/:id',
    run: (api, params, id) => api.retrievePaymentIntent(id, params),
  },
  {
    method: 'POST',
    path: new RegExp(`^/v1/payment_intents/${ID}/confirm$`),
    name: 'POST /v1/payment_intents/:id/confirm',
    run: (api, params, id) => api.confirmPaymentIntent(id, params),
  },
];

/** The route for this request, or null (404). An id that is not valid percent-encoding matches nothing. */
export function matchRoute(method: string, path: string): RouteMatch | null {
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const match = route.path.exec(path);
    if (!match) continue;
    let id = '';
    try {
      id = decodeURIComponent(match[1] ?? '');
    } catch {
      return null;
    }
    return { name: route.name, run: (api, params) => route.run(api, params, id) };
  }
  return null;
}
