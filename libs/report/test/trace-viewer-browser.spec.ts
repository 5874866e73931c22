import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { TraceDetail, TraceList } from '../src/viewer/trace-index';
import { startTraceViewer, type TraceViewer } from '../src/viewer/viewer-server';
import { launchChromium, watchPage } from './chromium';
import { DEADLINE_MESSAGE, writeViewerExperiment } from './viewer-fixture';

/**
 * The trace viewer's page in real headless Chromium (Debian's `chromium`, installed by .ci/run):
 * the list loads, filters narrow it, a trace opens as a waterfall with the report's critical path
 * marked on its rows, a span's attributes and events show, and nothing logs an error or goes to
 * the network. Assertions are on the DOM's state (rows, data-* attributes, texts).
 */
describe('the trace viewer in headless Chromium', () => {
  let dir: string;
  let viewer: TraceViewer;
  let browser: Browser;
  const api = async <T>(url: string) => (await (await fetch(`${viewer.url}${url}`)).json()) as T;
  const rowCount = (page: Page) => page.locator('#traces tbody tr').count();
  const status = (page: Page, text: RegExp) => page.locator('#status', { hasText: text }).waitFor({ timeout: 10_000 });

  beforeAll(async () => {
    browser = await launchChromium();
    dir = mkdtempSync(path.join(tmpdir(), 'trace-viewer-browser-'));
    writeViewerExperiment(path.join(dir, 'exp'));
    viewer = await startTraceViewer({ dirs: [path.join(dir, 'exp')], port: 0 });
  });
  afterAll(async () => {
    await browser?.close();
    await viewer?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists, filters by variant and outcome, opens a trace with its critical path marked and a span\u2019s attributes and events, with no console error', async () => {
    const page = await browser.newPage();
    const { problems, requests } = watchPage(page);
    await page.goto(viewer.url, { waitUntil: 'load' });

    // The list: every trace, and each filter offers what the runs hold.
    await status(page, /^90 of 90 traces \(3 runs, \d+ spans\)/);
    expect(await rowCount(page)).toBe(90);
    expect(await page.locator('select[name=variant] option').allInnerTexts()).toEqual(['any', 'dynamodb (30)', 'indexed-sql (30)', 'legacy-sql (30)']);

    // Filter by variant: the list narrows, and the address says so (a shareable link).
    await page.selectOption('select[name=variant]', 'dynamodb');
    await status(page, /^30 of 90 traces/);
    const variants = await page.locator('#traces tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-variant')));
    expect(variants).toEqual(Array(30).fill('dynamodb'));
    expect(new URL(page.url()).search).toBe('?variant=dynamodb');

    // Filter by outcome, across variants: only legacy SQL's timeouts are left.
    const timeouts = await api<TraceList>('/api/traces?outcome=timeout&sort=duration');
    expect(timeouts.total).toBeGreaterThan(0);
    await page.selectOption('select[name=variant]', '');
    await status(page, /^90 of 90 traces/);
    await page.selectOption('select[name=outcome]', 'timeout');
    await status(page, new RegExp(`^${timeouts.total} of 90 traces`));
    const rows = await page.locator('#traces tbody tr').evaluateAll((list) => list.map((r) => [r.getAttribute('data-outcome'), r.getAttribute('data-variant')]));
    expect(rows).toEqual(Array(timeouts.total).fill(['timeout', 'legacy-sql']));

    // Search narrows within the filters; sorting by a column header orders the rows.
    await page.selectOption('select[name=sort]', 'duration');
    await page.locator('#traces tbody tr').first().waitFor();
    const slowest = timeouts.traces[0] as TraceList['traces'][number];
    await page.waitForURL(/sort=duration/);
    expect(await page.locator('#traces tbody tr').first().getAttribute('data-trace-id')).toBe(slowest.traceId);

    // Open the slowest timeout: a waterfall of every span, the critical path's spans marked.
    await page.locator('#traces tbody tr').first().locator('a').click();
    await page.waitForURL(new RegExp(`/trace/${slowest.traceId}`));
    const trace = await api<TraceDetail>(`/api/traces/${slowest.traceId}`);
    await page.locator('.span-row').nth(trace.spans.length - 1).waitFor();
    expect(await page.locator('.span-row').count()).toBe(trace.spans.length);
    const marked = await page.locator('.span-row').evaluateAll((list) =>
      list.map((r) => ({ id: r.getAttribute('data-span-id'), critical: r.getAttribute('data-critical'), classes: r.className, name: r.querySelector('.span-name')?.textContent })),
    );
    expect(marked.map((m) => m.id)).toEqual(trace.spans.map((s) => s.spanId)); // waterfall order
    expect(marked.filter((m) => m.critical === 'true').map((m) => m.id)).toEqual(trace.criticalPath.spanIds);
    expect(marked.filter((m) => m.classes.includes('critical')).length).toBe(trace.criticalPath.spanIds.length);
    expect(marked.find((m) => m.name === 'audit.write')).toMatchObject({ critical: 'false', classes: expect.stringContaining('off-path') });
    expect(marked.find((m) => m.name === 'billing.lookup')?.critical).toBe('true');
    // Each span with time of its own on the path has it drawn as dark marks inside its bar.
    expect(await page.locator('.span-row .segment').count()).toBe(trace.criticalPath.segments.length);
    expect(await page.locator('#trace-facts').innerText()).toMatch(/run synthetic-legacy-sql-r1 · variant legacy-sql · checkout timeout in/);

    // The timed-out call to payment: an error, with its attributes and its exception event.
    const call = page.locator('.span-row', { hasText: 'checkout.payment.v1.PaymentService/Authorize' });
    expect(await call.getAttribute('class')).toContain('error');
    expect(await call.locator('.event-mark').count()).toBe(1);
    await call.click();
    expect(await call.getAttribute('aria-selected')).toBe('true');
    expect(await page.locator('#span-title').innerText()).toBe('cart: checkout.payment.v1.PaymentService/Authorize');
    expect(await page.locator('#span-facts').innerText()).toContain(`status error (${DEADLINE_MESSAGE})`);
    const attributes = await page.locator('#span-attributes tr').allInnerTexts();
    expect(attributes).toEqual(expect.arrayContaining(['rpc.grpc.status_code\t4', 'lab.variant\tlegacy-sql']));
    const events = await page.locator('#span-events > li').allInnerTexts();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatch(new RegExp(`^exception at [\\d.]+ (ms|s)\\n[\\s\\S]*exception.message\\t${DEADLINE_MESSAGE}`));
    expect(await page.locator('#span-no-events').isHidden()).toBe(true);

    // Back to the list as it was filtered.
    await page.locator('#back').click();
    await status(page, new RegExp(`^${timeouts.total} of 90 traces`));
    expect(await page.locator('select[name=outcome]').inputValue()).toBe('timeout');

    // A report's exemplar link (/trace/<id>, no run) opens the trace directly.
    await page.goto(`${viewer.url}/trace/${slowest.traceId}`, { waitUntil: 'load' });
    await page.locator('.span-row').nth(trace.spans.length - 1).waitFor();
    expect(await page.locator('#trace-title').innerText()).toBe('load-driver: checkout-flow');

    expect(problems).toEqual([]);
    expect(requests.filter((url) => !url.startsWith(`${viewer.url}/`) && !url.startsWith('data:'))).toEqual([]);
    await page.close();
  });
});
