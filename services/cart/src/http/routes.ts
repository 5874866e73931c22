/**
 * The routes the app serves, recorded as Fastify registers them, so that a request for a known
 * path with another method can be answered 405 with an `Allow` header instead of 404.
 */
export class RouteTable {
  private readonly routes: { pattern: RegExp; method: string }[] = [];

  add(method: string | readonly string[], url: string): void {
    const pattern = new RegExp(`^${url.split('/').map((part) => (part.startsWith(':') ? '[^/]+' : escape(part))).join('/')}/?$`);
    for (const m of typeof method === 'string' ? [method] : method) this.routes.push({ pattern, method: m.toUpperCase() });
  }

  /** The methods served for `path` (without its query string); empty when no route matches it. */
  allowedMethods(path: string): string[] {
    const pathname = path.split('?')[0] ?? path;
    return [...new Set(this.routes.filter((r) => r.pattern.test(pathname)).map((r) => r.method))].sort();
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
