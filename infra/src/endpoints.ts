/** A host:port a variable's value points at, or undefined when it names no network endpoint. */
export interface Endpoint {
  host: string;
  port: number;
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443, 'postgres:': 5432, 'postgresql:': 5432 };

/** Parses URLs (http, https, postgres) and gRPC-style host:port targets. */
export function endpointOf(value: string): Endpoint | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    if (!URL.canParse(value)) return undefined;
    const url = new URL(value);
    const port = url.port ? Number(url.port) : DEFAULT_PORTS[url.protocol];
    return port === undefined ? undefined : { host: url.hostname, port };
  }
  const match = /^([A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  return match ? { host: match[1] as string, port: Number(match[2]) } : undefined;
}

/** Names of variables whose values are endpoints inside the deployment (URLs, targets). */
export function isEndpointVariable(name: string): boolean {
  return /(_URL|_TARGET|_ENDPOINT|_API_BASE)$/.test(name);
}
