/**
 * Stripe's idempotency semantics for POST requests carrying an `Idempotency-Key`:
 * - the first request with a key runs; its response (status and exact body) is saved if the
 *   endpoint executed (see `ApiError.saved`);
 * - the same key with the same endpoint and parameters replays the saved response;
 * - the same key with other parameters or another endpoint is an `idempotency_error` (400);
 * - the same key while the first request is still running is `idempotency_key_in_use` (409);
 * - a response that was not saved frees the key, so a retry runs anew;
 * - keys expire after 24 hours, as on Stripe; beyond `maxKeys` the oldest saved responses are
 *   forgotten first, which bounds the memory a long load test takes (about 2 KB a key).
 * The double is one account: keys are not scoped by API key.
 */
import { errors } from './errors';
import type { FormValue } from './form';

export interface SavedResponse {
  status: number;
  body: string;
  /** The Request-Id of the request that produced the response. */
  requestId: string;
}

interface Entry {
  endpoint: string;
  fingerprint: string;
  createdAt: number;
  response: SavedResponse | null; // null while the first request is in flight
}

export type Claim =
  | { kind: 'replay'; response: SavedResponse }
  | { kind: 'first'; save(response: SavedResponse): void; release(): void };

export interface IdempotencyOptions {
  ttlMs?: number;
  maxKeys?: number;
  now?: () => number;
}

const MAX_KEY_LENGTH = 255;

export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  private readonly ttlMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(options: IdempotencyOptions = {}) {
    this.ttlMs = options.ttlMs ?? 24 * 60 * 60 * 1000;
    this.maxKeys = options.maxKeys ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  /** Throws the ApiError to answer with when the key cannot be used for this request. */
  claim(key: string, endpoint: string, params: FormValue): Claim {
    if (key.length > MAX_KEY_LENGTH) throw errors.idempotencyKeyTooLong();
    this.expire();
    const fingerprint = canonicalJson(params);
    const existing = this.entries.get(key);
    if (existing) {
      if (existing.endpoint !== endpoint) throw errors.idempotencyEndpointMismatch(key, existing.endpoint, endpoint);
      if (existing.fingerprint !== fingerprint) throw errors.idempotencyMismatch(key);
      if (!existing.response) throw errors.idempotencyKeyInUse(key);
      return { kind: 'replay', response: existing.response };
    }
    const entry: Entry = { endpoint, fingerprint, createdAt: this.now(), response: null };
    this.entries.set(key, entry);
    return {
      kind: 'first',
      save: (response) => {
        entry.response = response;
      },
      release: () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    };
  }

  get size(): number {
    return this.entries.size;
  }

  /** Entries are in creation order, so the expired (and the oldest) ones are at the front. */
  private expire(): void {
    const cutoff = this.now() - this.ttlMs;
    let excess = this.entries.size - this.maxKeys + 1;
    for (const [key, entry] of this.entries) {
      if (entry.createdAt > cutoff && excess <= 0) break;
      if (entry.response) {
        this.entries.delete(key);
        excess--;
      }
    }
  }
}

/** JSON with object keys sorted, so that parameter order does not matter. */
export function canonicalJson(value: FormValue): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key] as FormValue)}`).join(',')}}`;
}
