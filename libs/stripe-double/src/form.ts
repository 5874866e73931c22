/**
 * Decoding of Stripe's form encoding: `application/x-www-form-urlencoded` with nested keys
 * (`billing_details[address][city]=Paris`), as the official SDKs send request bodies and GET
 * query strings.
 *
 * Arrays come as indexed keys (`payment_method_types[0]=card`) or as `list[]=a`. An indexed key
 * decodes to an object key ("0"), because only the endpoint knows whether `metadata[0]` is a map
 * key or a list index; `asList` reads such an object as a list where a list is expected.
 */

export type FormValue = string | FormValue[] | FormObject;
export interface FormObject {
  [key: string]: FormValue;
}

/** A body or query string that cannot be decoded into one consistent value per key. */
export class FormError extends Error {
  override name = 'FormError';
}

export function decodeForm(encoded: string): FormObject {
  const root: FormObject = Object.create(null) as FormObject;
  for (const pair of encoded.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawKey = eq === -1 ? pair : pair.slice(0, eq);
    const rawValue = eq === -1 ? '' : pair.slice(eq + 1);
    assign(root, parseKey(decode(rawKey)), decode(rawValue));
  }
  return root;
}

function decode(component: string): string {
  try {
    return decodeURIComponent(component.replace(/\+/g, ' '));
  } catch {
    throw new FormError(`Invalid percent-encoding: ${component}`);
  }
}

/** `a[b][0]` → ['a', 'b', '0']; `a[]` → ['a', '']. */
export function parseKey(key: string): string[] {
  const open = key.indexOf('[');
  if (open === -1) return [key];
  const segments = [key.slice(0, open)];
  const rest = key.slice(open);
  const pattern = /\[([^[\]]*)\]/g;
  let consumed = 0;
  for (let match = pattern.exec(rest); match; match = pattern.exec(rest)) {
    if (match.index !== consumed) break;
    segments.push(match[1] ?? '');
    consumed = pattern.lastIndex;
  }
  if (consumed !== rest.length || segments[0] === '') throw new FormError(`Invalid parameter name: ${key}`);
  return segments;
}

function assign(root: FormObject, path: string[], value: string): void {
  const name = path.join('.');
  let container: FormObject | FormValue[] = root;
  for (let depth = 0; depth < path.length; depth++) {
    const segment = path[depth] ?? '';
    const last = depth === path.length - 1;
    if (Array.isArray(container)) {
      // Only `[]` builds arrays, and only of scalars: `a[]=x&a[]=y`.
      if (segment !== '' || !last) throw new FormError(`Unsupported parameter name: ${name}`);
      container.push(value);
      return;
    }
    if (segment === '' || isUnsafeKey(segment)) throw new FormError(`Invalid parameter name: ${name}`);
    const existing: FormValue | undefined = container[segment];
    if (last) {
      if (existing !== undefined) throw new FormError(`Parameter given more than once: ${name}`);
      container[segment] = value;
      return;
    }
    const wantArray = path[depth + 1] === '';
    if (existing === undefined) {
      const created: FormObject | FormValue[] = wantArray ? [] : (Object.create(null) as FormObject);
      container[segment] = created;
      container = created;
    } else if (typeof existing === 'string' || Array.isArray(existing) !== wantArray) {
      throw new FormError(`Conflicting types for parameter ${name}`);
    } else {
      container = existing;
    }
  }
}

function isUnsafeKey(segment: string): boolean {
  return segment === '__proto__' || segment === 'constructor' || segment === 'prototype';
}

/** A list as sent either way (`a[]=x` or `a[0]=x`), in index order; undefined if `value` is not one. */
export function asList(value: FormValue | undefined): FormValue[] | undefined {
  if (value === undefined || typeof value === 'string') return undefined;
  if (Array.isArray(value)) return value;
  const keys = Object.keys(value);
  if (!keys.every((key) => /^\d+$/.test(key))) return undefined;
  return keys.sort((a, b) => Number(a) - Number(b)).map((key) => value[key] as FormValue);
}
