import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** A compose file as `docker compose config` would see it: YAML merged, variables interpolated. */
export type ComposeFile = {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  [key: string]: unknown;
};

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | { target: number; published?: string | number })[];
  expose?: (string | number)[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] | string; disable?: boolean };
  profiles?: string[];
  volumes?: (string | { source?: string; target: string })[];
  [key: string]: unknown;
}

/**
 * Compose's interpolation of one value: `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?message}`, `${VAR?message}`, `$VAR`, and `$$` for a literal `$`.
 */
export function interpolate(value: string, variables: Record<string, string | undefined>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, name, op, arg, bare) => {
    if (whole === '$$') return '$';
    const key = (name ?? bare) as string;
    const current = variables[key];
    const operator = op as string | undefined;
    switch (operator) {
      case undefined:
        return current ?? '';
      case ':-':
        return current === undefined || current === '' ? (arg as string) : current;
      case '-':
        return current ?? (arg as string);
      case ':?':
      case '?':
        if (current === undefined || (operator === ':?' && current === '')) throw new Error(`${key}: ${(arg as string) || 'required'}`);
        return current;
      default:
        throw new Error(`unsupported interpolation ${whole}`);
    }
  });
}

function interpolateDeep(value: unknown, variables: Record<string, string | undefined>): unknown {
  if (typeof value === 'string') return interpolate(value, variables);
  if (Array.isArray(value)) return value.map((item) => interpolateDeep(item, variables));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateDeep(item, variables)]));
  }
  return value;
}

/** Reads a compose file: YAML anchors and `<<` merge keys resolved, then variables interpolated. */
export function loadCompose(file: string, variables: Record<string, string | undefined> = {}): ComposeFile {
  const document = parse(readFileSync(file, 'utf8'), { merge: true }) as unknown;
  return interpolateDeep(document, variables) as ComposeFile;
}

/** A service's environment as name → value (both list and mapping forms). */
export function serviceEnvironment(service: ComposeService): Record<string, string> {
  const environment = service.environment ?? {};
  if (Array.isArray(environment)) {
    return Object.fromEntries(
      environment.map((entry) => {
        const at = entry.indexOf('=');
        return at === -1 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, value === null ? '' : String(value)]));
}

/** Container ports a service listens on inside the compose network: `expose` plus `ports` targets. */
export function servicePorts(service: ComposeService): Set<number> {
  const ports = new Set<number>();
  for (const entry of service.expose ?? []) ports.add(Number(String(entry).split('/')[0]));
  for (const entry of service.ports ?? []) {
    if (typeof entry === 'string') {
      const target = entry.split('/')[0]?.split(':').pop();
      ports.add(Number(target));
    } else {
      ports.add(entry.target);
    }
  }
  return ports;
}
