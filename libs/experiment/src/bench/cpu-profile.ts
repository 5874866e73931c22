/**
 * Where a service's CPU went: reads V8 `.cpuprofile` files (as written by
 * `node --cpu-prof --cpu-prof-dir DIR`) and attributes self time to the categories a
 * performance engineer asks about (OpenTelemetry, gRPC, pg, NestJS, HTTP server, app code…),
 * in total and per checkout flow.
 *
 * Self time is a frame's own time, not its callees': a pg query's socket write counts as
 * 'HTTP server' (node:net), a regular expression run from fastify as 'node internals'.
 * Line numbers are those of the script V8 ran (for TypeScript, swc's output, not the source).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// The profile format

const callFrameSchema = z.object({
  functionName: z.string(),
  url: z.string(),
  lineNumber: z.number(),
  columnNumber: z.number().optional(),
  scriptId: z.union([z.string(), z.number()]).optional(),
});
const profileNodeSchema = z.object({
  id: z.number(),
  callFrame: callFrameSchema,
  hitCount: z.number().optional(),
  children: z.array(z.number()).optional(),
});
const cpuProfileSchema = z.object({
  nodes: z.array(profileNodeSchema).min(1),
  startTime: z.number(),
  endTime: z.number(),
  samples: z.array(z.number()).optional(),
  timeDeltas: z.array(z.number()).optional(),
});

/** A V8 CPU profile (the JSON of a `.cpuprofile` file); times in microseconds. */
export type CpuProfile = z.infer<typeof cpuProfileSchema>;
export type CpuProfileNode = z.infer<typeof profileNodeSchema>;

/** Thrown for input that is not a V8 CPU profile; names the file and the bad field. */
export class CpuProfileFormatError extends Error {
  override readonly name = 'CpuProfileFormatError';
}

/** Checks the shape of parsed JSON; `source` names it in the error. */
export function parseCpuProfile(json: unknown, source = 'profile'): CpuProfile {
  const parsed = cpuProfileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : '(top level)';
    throw new CpuProfileFormatError(`${source} is not a V8 CPU profile: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

// ---------------------------------------------------------------------------------------------
// Categories

/**
 * One row of the category table. A frame belongs to the first rule with a matching entry.
 * Patterns are exact names, or prefixes when they end in `*`:
 * - `functions`: the function name of a frame without a URL (V8's `(garbage collector)`…);
 * - `packages`: the package a file lies in (under its last `node_modules/`), e.g. `pg-*`, `@grpc/*`;
 * - `repoPaths`: a file of this repository, relative to its root (any checkout), e.g. `libs/telemetry/*`;
 * - `nodeModules`: a Node.js built-in's URL, e.g. `node:_http_*`;
 * - `native`: any other frame without a URL (a native or builtin function: `writev`, `RegExp: …`).
 */
export interface CpuCategoryRule {
  category: string;
  functions?: readonly string[];
  packages?: readonly string[];
  repoPaths?: readonly string[];
  nodeModules?: readonly string[];
  native?: boolean;
}

/** Categories that are not CPU work of the process: left out of busy time and of shares. */
export const NOT_BUSY_CATEGORIES: readonly string[] = ['(idle)', '(program)'];
/** Where a frame that no rule matches goes (a script outside the repo, an unlisted package). */
export const OTHER_CATEGORY = 'other';

export const CPU_CATEGORY_RULES: readonly CpuCategoryRule[] = [
  { category: '(garbage collector)', functions: ['(garbage collector)'] },
  { category: '(idle)', functions: ['(idle)'] },
  { category: '(program)', functions: ['(program)'] },
  {
    category: 'OpenTelemetry',
    packages: ['@opentelemetry/*', 'require-in-the-middle', 'import-in-the-middle', 'shimmer', '@checkout-lab/telemetry'],
    repoPaths: ['libs/telemetry/*'],
  },
  { category: 'gRPC', packages: ['@grpc/*', 'protobufjs', '@protobufjs/*'] },
  { category: 'pg', packages: ['pg', 'pg-*', 'pgpass', 'postgres-array', 'postgres-bytea', 'postgres-date', 'postgres-interval'] },
  { category: 'AWS SDK', packages: ['@aws-sdk/*', '@smithy/*', '@aws-crypto/*'] },
  { category: 'Stripe SDK', packages: ['stripe'] },
  { category: 'NestJS', packages: ['@nestjs/*', 'rxjs', 'reflect-metadata', 'class-validator', 'class-transformer', 'iterare'] },
  {
    category: 'HTTP server',
    packages: [
      'fastify',
      '@fastify/*',
      'find-my-way',
      'light-my-request',
      'avvio',
      'fast-json-stringify',
      'secure-json-parse',
      'fast-querystring',
      'toad-cache',
      'fastq',
    ],
    nodeModules: ['node:_http_*', 'node:http', 'node:net'],
  },
  { category: 'pino', packages: ['pino', 'pino-*', 'sonic-boom', 'thread-stream', 'quick-format-unescaped', 'on-exit-leak-free'] },
  { category: 'zod', packages: ['zod'] },
  // Loading and compiling modules (services run TypeScript through @swc-node/register): start-up cost.
  { category: 'module loading', packages: ['@swc-node/*', '@swc/*', 'pirates', 'typescript'], nodeModules: ['node:internal/modules/*'] },
  { category: 'app code', packages: ['@checkout-lab/*'], repoPaths: ['services/*', 'libs/*', 'load-tests/*'] },
  { category: 'node internals', nodeModules: ['node:*', 'internal/*'], native: true },
];

/** Where a frame's code lives, from its call frame URL. */
export type FrameLocation =
  | { kind: 'special'; name: string } // (root), (program), (idle), (garbage collector)
  | { kind: 'native'; name: string }
  | { kind: 'node'; module: string }
  | { kind: 'package'; name: string; file: string }
  | { kind: 'repo'; file: string }
  | { kind: 'other'; file: string };

const REPO_TOP_DIRS = /(?:^|\/)((?:services|libs|load-tests)\/.+)$/;

/**
 * Accepts absolute paths, file:// URLs and Windows paths; a file under `node_modules/` is
 * named by its package, a file of the repository by its repo-relative path (whatever the checkout).
 */
export function locateFrame(callFrame: { functionName: string; url: string }): FrameLocation {
  const { functionName, url } = callFrame;
  if (url === '') return /^\(.+\)$/.test(functionName) ? { kind: 'special', name: functionName } : { kind: 'native', name: functionName };
  if (url.startsWith('node:') || url.startsWith('internal/')) return { kind: 'node', module: url };
  const file = toPath(url);
  const modules = file.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = file.slice(modules + '/node_modules/'.length).split('/');
    const scoped = rest[0]?.startsWith('@') ?? false;
    const name = rest.slice(0, scoped ? 2 : 1).join('/');
    return { kind: 'package', name, file: rest.join('/') };
  }
  const repo = REPO_TOP_DIRS.exec(file);
  if (repo?.[1]) return { kind: 'repo', file: repo[1] };
  return { kind: 'other', file };
}

function toPath(url: string): string {
  let file = url;
  if (url.startsWith('file:')) {
    try {
      file = fileURLToPath(url);
    } catch {
      file = decodeURIComponent(url.replace(/^file:\/*/, '/'));
    }
  }
  return file.replace(/\\/g, '/');
}

function matches(patterns: readonly string[] | undefined, value: string): boolean {
  return (patterns ?? []).some((p) => (p.endsWith('*') ? value.startsWith(p.slice(0, -1)) : value === p));
}

/** The category of a frame: the first rule of `rules` that matches it, else 'other'. */
export function categoriseFrame(callFrame: { functionName: string; url: string }, rules: readonly CpuCategoryRule[] = CPU_CATEGORY_RULES): string {
  const at = locateFrame(callFrame);
  const rule = rules.find((r) => {
    switch (at.kind) {
      case 'special':
        return matches(r.functions, at.name);
      case 'native':
        return r.native === true || matches(r.functions, at.name);
      case 'node':
        return matches(r.nodeModules, at.module);
      case 'package':
        return matches(r.packages, at.name);
      case 'repo':
        return matches(r.repoPaths, at.file);
      case 'other':
        return false;
    }
  });
  return rule?.category ?? OTHER_CATEGORY;
}

/** A short name for where a frame lives: package- or repo-relative, a node: URL, or '(native)'. */
export function shortUrl(callFrame: { functionName: string; url: string }): string {
  const at = locateFrame(callFrame);
  switch (at.kind) {
    case 'special':
    case 'native':
      return '(native)';
    case 'node':
      return at.module;
    case 'package':
    case 'repo':
    case 'other':
      return at.file;
  }
}

// ---------------------------------------------------------------------------------------------
// Self time

/**
 * Self time of each node in microseconds. With samples and timeDeltas (what Node writes), a
 * sample lasts until the next one (the last until endTime), as in Chrome DevTools; without them,
 * each hit gets an equal share of the profile's duration.
 */
export function selfTimesUs(profile: CpuProfile, window?: ProfileWindow): Map<number, number> {
  const self = new Map<number, number>();
  const add = (id: number, us: number) => self.set(id, (self.get(id) ?? 0) + us);
  const { samples = [], timeDeltas = [] } = profile;
  if (samples.length > 0 && timeDeltas.length === samples.length) {
    let at = profile.startTime;
    const times = timeDeltas.map((delta) => (at += delta));
    samples.forEach((id, i) => {
      const start = times[i] ?? 0;
      const end = times[i + 1] ?? Math.max(start, profile.endTime);
      if (window && (start < window.fromUs || start >= window.toUs)) return;
      add(id, Math.max(0, end - start));
    });
    return self;
  }
  if (window) throw new CpuProfileFormatError('a time window needs a profile with samples and timeDeltas');
  const hits = new Map<number, number>();
  if (samples.length > 0) for (const id of samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  else for (const node of profile.nodes) hits.set(node.id, node.hitCount ?? 0);
  const totalHits = [...hits.values()].reduce((a, b) => a + b, 0);
  const perHit = totalHits > 0 ? (profile.endTime - profile.startTime) / totalHits : 0;
  for (const [id, n] of hits) if (n > 0) add(id, n * perHit);
  return self;
}

// ---------------------------------------------------------------------------------------------
// Merging and reading

/**
 * One profile from several (of one service: restarts, worker threads), laid end to end on one
 * timeline: node ids renumbered, the roots joined under one (root), and each profile's first
 * sample placed at the previous profile's end, so every sample keeps its duration.
 */
export function mergeCpuProfiles(profiles: readonly CpuProfile[]): CpuProfile {
  const [first, ...rest] = [...profiles].sort((a, b) => a.startTime - b.startTime);
  if (!first) throw new CpuProfileFormatError('no CPU profiles to merge');
  if (rest.length === 0) return first;
  const ROOT_ID = 1;
  const root: CpuProfileNode = { id: ROOT_ID, callFrame: { functionName: '(root)', url: '', lineNumber: -1, columnNumber: -1, scriptId: '0' }, hitCount: 0, children: [] };
  const nodes: CpuProfileNode[] = [root];
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  let nextId = ROOT_ID + 1;
  // On the merged timeline: when the last sample so far was taken, and when its profile ended.
  let lastSampleAt = first.startTime;
  let endAt = first.startTime;
  for (const profile of [first, ...rest]) {
    const own = profile.samples ?? [];
    const deltas = profile.timeDeltas ?? [];
    if (own.length === 0 || deltas.length !== own.length) {
      throw new CpuProfileFormatError('cannot merge a CPU profile without samples and timeDeltas aligned with them');
    }
    const children = new Set(profile.nodes.flatMap((n) => n.children ?? []));
    const roots = new Set(profile.nodes.filter((n) => !children.has(n.id)).map((n) => n.id));
    const ids = new Map<number, number>();
    for (const node of profile.nodes) ids.set(node.id, roots.has(node.id) ? ROOT_ID : nextId++);
    const newId = (id: number) => ids.get(id) ?? ROOT_ID;
    for (const node of profile.nodes) {
      const kids = (node.children ?? []).map(newId);
      if (roots.has(node.id)) {
        root.children?.push(...kids);
        root.hitCount = (root.hitCount ?? 0) + (node.hitCount ?? 0);
      } else nodes.push({ ...node, id: newId(node.id), children: kids });
    }
    samples.push(...own.map(newId));
    // The first profile keeps its lead-in; a later one's first sample comes where the previous profile ended.
    const firstDelta = profile === first ? (deltas[0] ?? 0) : endAt - lastSampleAt;
    timeDeltas.push(firstDelta, ...deltas.slice(1));
    const ownLastSample = profile.startTime + deltas.reduce((a, b) => a + b, 0);
    lastSampleAt += firstDelta + deltas.slice(1).reduce((a, b) => a + b, 0);
    endAt = lastSampleAt + Math.max(0, profile.endTime - ownLastSample);
  }
  return { nodes, startTime: first.startTime, endTime: endAt, samples, timeDeltas };
}

/** Reads and merges every `.cpuprofile` file of a directory (one service may have written several). */
export async function readCpuProfiles(dir: string): Promise<CpuProfile> {
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).sort();
  if (files.length === 0) throw new CpuProfileFormatError(`no .cpuprofile files in ${dir}`);
  const profiles = await Promise.all(
    files.map(async (file) => {
      const where = path.join(dir, file);
      let json: unknown;
      try {
        json = JSON.parse(await fs.readFile(where, 'utf8'));
      } catch (error) {
        throw new CpuProfileFormatError(`${where} is not JSON: ${(error as Error).message}`);
      }
      return parseCpuProfile(json, where);
    }),
  );
  return mergeCpuProfiles(profiles);
}

// ---------------------------------------------------------------------------------------------
// Summary

export interface CpuCategorySummary {
  name: string;
  selfMs: number;
  /** Of busy time; null for (idle) and (program), which are not part of it. */
  share: number | null;
  msPerFlow: number;
}

export interface CpuFunctionSummary {
  name: string;
  /** Package-relative (`pg/lib/client.js`), repo-relative (`services/cart/src/…`), a node: URL or '(native)'. */
  url: string;
  /** 1-based, of the script V8 ran; null for native frames. */
  line: number | null;
  category: string;
  selfMs: number;
}

export interface CpuProfileSummary {
  flows: number;
  /** All sampled time. */
  totalMs: number;
  /** Sampled time less (idle) and (program). */
  busyMs: number;
  /** Busy categories by self time, largest first, then (idle) and (program); none with no time. */
  categories: CpuCategorySummary[];
  /** The busy functions with the most self time (a function's time summed over all its call paths). */
  topFunctions: CpuFunctionSummary[];
}

export interface SummariseOptions {
  /** Checkout flows served while profiling; figures per flow divide by it. */
  flows: number;
  rules?: readonly CpuCategoryRule[];
  /** How many functions to list; 15 unless told. */
  topFunctions?: number;
  /** Only samples taken in this window count (e.g. the measured step, not start-up and warm-up). */
  window?: ProfileWindow;
}

/**
 * A span of time on the profile's clock: microseconds of the monotonic clock, which on Linux is the
 * one `process.hrtime` reads, so another process can name the window (`hrtime.bigint() / 1000n`).
 */
export interface ProfileWindow {
  fromUs: number;
  toUs: number;
}

export function summariseCpuProfile(profile: CpuProfile, options: SummariseOptions): CpuProfileSummary {
  const { flows, rules = CPU_CATEGORY_RULES, topFunctions: topN = 15, window } = options;
  if (!(flows > 0)) throw new RangeError(`flows must be a positive number (got ${flows})`);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const categoryUs = new Map<string, number>();
  const functionUs = new Map<string, CpuFunctionSummary & { us: number }>();
  let totalUs = 0;
  for (const [id, us] of selfTimesUs(profile, window)) {
    const frame = byId.get(id)?.callFrame;
    if (!frame || us === 0) continue;
    const category = categoriseFrame(frame, rules);
    totalUs += us;
    categoryUs.set(category, (categoryUs.get(category) ?? 0) + us);
    if (NOT_BUSY_CATEGORIES.includes(category)) continue;
    const name = frame.functionName || '(anonymous)';
    const url = shortUrl(frame);
    const line = frame.url === '' || frame.lineNumber < 0 ? null : frame.lineNumber + 1;
    const key = `${name}\0${url}\0${line ?? ''}`;
    const entry = functionUs.get(key) ?? { name, url, line, category, selfMs: 0, us: 0 };
    entry.us += us;
    functionUs.set(key, entry);
  }
  const notBusyUs = NOT_BUSY_CATEGORIES.reduce((sum, c) => sum + (categoryUs.get(c) ?? 0), 0);
  const busyUs = totalUs - notBusyUs;
  const categories = [...categoryUs]
    .map(([name, us]): CpuCategorySummary => {
      const busy = !NOT_BUSY_CATEGORIES.includes(name);
      return { name, selfMs: us / 1000, share: busy ? (busyUs > 0 ? us / busyUs : 0) : null, msPerFlow: us / 1000 / flows };
    })
    .sort((a, b) => Number(a.share === null) - Number(b.share === null) || b.selfMs - a.selfMs);
  const topFunctions = [...functionUs.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, topN)
    .map(({ us, ...f }) => ({ ...f, selfMs: us / 1000 }));
  return { flows, totalMs: totalUs / 1000, busyMs: busyUs / 1000, categories, topFunctions };
}

// ---------------------------------------------------------------------------------------------
// Tables

export type CpuTableFormat = 'text' | 'markdown';

/**
 * One table of every service's categories (service, category, ms/flow, share of busy time),
 * with each service's busy total; plain text for a console, or markdown for a README.
 */
export function formatCpuTable(summaries: Readonly<Record<string, CpuProfileSummary>>, format: CpuTableFormat = 'text'): string {
  const header = ['service', 'category', 'ms/flow', 'share'];
  const rows: string[][] = [];
  for (const [service, summary] of Object.entries(summaries)) {
    const busy = summary.categories.filter((c) => c.share !== null);
    const notBusy = summary.categories.filter((c) => c.share === null);
    for (const c of busy) rows.push([service, c.name, c.msPerFlow.toFixed(3), `${((c.share ?? 0) * 100).toFixed(1)} %`]);
    rows.push([service, 'busy (total)', (summary.busyMs / summary.flows).toFixed(3), '100.0 %']);
    for (const c of notBusy) rows.push([service, c.name, c.msPerFlow.toFixed(3), '–']);
  }
  const numeric = [false, false, true, true];
  switch (format) {
    case 'text': {
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
      const line = (cells: string[]) =>
        cells
          .map((cell, i) => (numeric[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
          .join('  ')
          .trimEnd();
      return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
    }
    case 'markdown': {
      const escape = (cell: string) => cell.replace(/\|/g, '\\|');
      const line = (cells: string[]) => `| ${cells.map(escape).join(' | ')} |`;
      return [line(header), `|${numeric.map((n) => (n ? ' ---: ' : ' --- ')).join('|')}|`, ...rows.map(line)].join('\n');
    }
  }
}
