/**
 * Reading decoded form parameters the way Stripe does: unknown parameters are rejected, an empty
 * string means "unset" for optional values, and a bad value is a 400 naming the parameter
 * (`billing_details[address][city]`).
 */
import { errors } from './errors';
import { asList, type FormObject, type FormValue } from './form';

export class Params {
  constructor(
    private readonly form: FormObject,
    private readonly prefix = '',
  ) {}

  /** Rejects any parameter not in `known` (at this level). */
  static of(form: FormObject, known: readonly string[], prefix = ''): Params {
    for (const key of Object.keys(form)) {
      if (!known.includes(key)) throw errors.parameterUnknown(nameOf(prefix, key));
    }
    return new Params(form, prefix);
  }

  name(key: string): string {
    return nameOf(this.prefix, key);
  }

  has(key: string): boolean {
    return this.form[key] !== undefined;
  }

  string(key: string): string | null {
    const value = this.form[key];
    if (value === undefined || value === '') return null;
    if (typeof value !== 'string') throw errors.parameterInvalid(this.name(key), `Invalid string: ${this.name(key)} must be a string`);
    return value;
  }

  /** The value when it is a plain string (not a hash or list); undefined otherwise. */
  plainString(key: string): string | undefined {
    const value = this.form[key];
    return typeof value === 'string' ? value : undefined;
  }

  requiredString(key: string): string {
    const value = this.string(key);
    if (value === null) throw errors.parameterMissing(this.name(key));
    return value;
  }

  requiredInteger(key: string, min: number): number {
    const text = this.requiredString(key);
    if (!/^-?\d+$/.test(text)) throw errors.parameterInvalid(this.name(key), `Invalid integer: ${text}`, 'parameter_invalid_integer');
    const value = Number(text);
    if (!Number.isSafeInteger(value)) throw errors.parameterInvalid(this.name(key), `Invalid integer: ${text}`, 'parameter_invalid_integer');
    if (value < min) {
      throw errors.parameterInvalid(this.name(key), `This value must be greater than or equal to ${min}.`, 'parameter_invalid_integer');
    }
    return value;
  }

  integer(key: string, fallback: number, min: number, max: number): number {
    if (this.string(key) === null) return fallback;
    const value = this.requiredInteger(key, min);
    if (value > max) {
      throw errors.parameterInvalid(this.name(key), `This value must be less than or equal to ${max}.`, 'parameter_invalid_integer');
    }
    return value;
  }

  boolean(key: string, fallback: boolean): boolean {
    const text = this.string(key);
    if (text === null) return fallback;
    if (text !== 'true' && text !== 'false') throw errors.parameterInvalid(this.name(key), `Invalid boolean: ${text}`);
    return text === 'true';
  }

  /** A nested hash, itself checked against `known`; null when absent or `''`. */
  object(key: string, known: readonly string[]): Params | null {
    const value = this.form[key];
    if (value === undefined || value === '') return null;
    if (typeof value === 'string' || Array.isArray(value)) {
      throw errors.parameterInvalid(this.name(key), `Invalid object: ${this.name(key)} must be a hash`);
    }
    return Params.of(value, known, this.name(key));
  }

  /** A hash of string values such as `metadata`; `{}` when absent or `''`. */
  stringMap(key: string): Record<string, string> {
    const value = this.form[key];
    const result: Record<string, string> = {};
    if (value === undefined || value === '') return result;
    if (typeof value === 'string' || Array.isArray(value)) {
      throw errors.parameterInvalid(this.name(key), `Invalid object: ${this.name(key)} must be a hash`);
    }
    for (const [mapKey, mapValue] of Object.entries(value)) {
      if (typeof mapValue !== 'string') {
        throw errors.parameterInvalid(nameOf(this.name(key), mapKey), 'Invalid string: metadata values must be strings');
      }
      // Setting a key to '' unsets it, as on Stripe.
      if (mapValue !== '') result[mapKey] = mapValue;
    }
    return result;
  }

  /** A list of strings (`a[0]=x` or `a[]=x`); null when absent. */
  stringList(key: string): string[] | null {
    const value: FormValue | undefined = this.form[key];
    if (value === undefined) return null;
    const list = asList(value);
    if (!list || !list.every((item): item is string => typeof item === 'string')) {
      throw errors.parameterInvalid(this.name(key), `Invalid array: ${this.name(key)} must be a list of strings`);
    }
    return list;
  }
}

function nameOf(prefix: string, key: string): string {
  return prefix === '' ? key : `${prefix}[${key}]`;
}
