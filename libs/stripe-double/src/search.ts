/**
 * The subset of Stripe's search query language the double understands: clauses `field:'value'`
 * joined by `AND` or by `OR` (not mixed, as on Stripe), where field is `metadata['key']`,
 * `status`, `currency` or `amount`; values in single or double quotes, `\'` / `\"` escaping the
 * quote. Anything else is refused with 400 `parameter_invalid` on `query`, rather than
 * silently matching the wrong PaymentIntents.
 */
import type Stripe from 'stripe';
import { errors } from './errors';

export type SearchPredicate = (intent: Stripe.PaymentIntent) => boolean;

interface Clause {
  field: { kind: 'metadata'; key: string } | { kind: 'status' | 'currency' | 'amount' };
  value: string;
}

const FIELDS = ['status', 'currency', 'amount'] as const;

export function parseSearchQuery(query: string): SearchPredicate {
  const clauses: Clause[] = [];
  const joins = new Set<string>();
  let rest = query.trim();
  if (rest === '') throw invalid('the query is empty');
  for (;;) {
    const { clause, remainder } = readClause(rest);
    clauses.push(clause);
    rest = remainder.trimStart();
    if (rest === '') break;
    const join = /^(AND|OR)\s+/.exec(rest);
    if (!join?.[1]) throw invalid(`expected AND or OR near "${rest.slice(0, 20)}"`);
    joins.add(join[1]);
    rest = rest.slice(join[0].length);
  }
  if (joins.size > 1) throw invalid('AND and OR cannot be mixed in one query');
  const matches = (intent: Stripe.PaymentIntent, clause: Clause): boolean => {
    switch (clause.field.kind) {
      case 'metadata':
        return intent.metadata[clause.field.key] === clause.value;
      case 'status':
        return intent.status === clause.value;
      case 'currency':
        return intent.currency === clause.value.toLowerCase();
      case 'amount':
        return String(intent.amount) === clause.value;
    }
  };
  return joins.has('OR')
    ? (intent) => clauses.some((clause) => matches(intent, clause))
    : (intent) => clauses.every((clause) => matches(intent, clause));
}

function readClause(text: string): { clause: Clause; remainder: string } {
  let field: Clause['field'];
  let rest: string;
  const metadata = /^metadata\[(['"])/.exec(text);
  if (metadata?.[1]) {
    const key = readQuoted(text.slice('metadata['.length), metadata[1]);
    if (!key.remainder.startsWith(']')) throw invalid('expected ] after the metadata key');
    field = { kind: 'metadata', key: key.value };
    rest = key.remainder.slice(1);
  } else {
    const name = FIELDS.find((candidate) => text.startsWith(candidate));
    if (!name) throw invalid(`unsupported field near "${text.slice(0, 20)}" (the double supports metadata['key'], status, currency, amount)`);
    field = { kind: name };
    rest = text.slice(name.length);
  }
  if (!rest.startsWith(':')) throw invalid('only the exact-match operator ":" is supported');
  rest = rest.slice(1);
  const quote = rest[0];
  if (quote !== "'" && quote !== '"') throw invalid('values must be quoted');
  const value = readQuoted(rest, quote);
  return { clause: { field, value: value.value }, remainder: value.remainder };
}

/** `'abc\'d'…` → `abc'd` and what follows the closing quote. */
function readQuoted(text: string, quote: string): { value: string; remainder: string } {
  let value = '';
  for (let i = 1; i < text.length; i++) {
    const char = text[i];
    if (char === '\\' && i + 1 < text.length) {
      value += text[++i];
      continue;
    }
    if (char === quote) return { value, remainder: text.slice(i + 1) };
    value += char;
  }
  throw invalid('unterminated quoted value');
}

function invalid(detail: string) {
  return errors.parameterInvalid('query', `Invalid search query: ${detail}.`);
}
