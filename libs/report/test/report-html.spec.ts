import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { writeReport } from '../src/write-report';
import { launchChromium, watchPage } from './chromium';
import { swiftcartRuns } from './synthetic';

/**
 * report.html in real headless Chromium (Debian's `chromium`, installed by .ci/run): it renders
 * its charts, logs no errors and loads nothing from anywhere.
 */

describe('report.html in headless Chromium', () => {
  let dir: string;
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
    dir = mkdtempSync(path.join(tmpdir(), 'report-html-'));
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('renders the summary first, every chart with a size, no console errors and no network requests', async () => {
    const hostile = '<img src="https://evil.example/x.png" onerror="console.error(1)">';
    const { files } = await writeReport({ runs: swiftcartRuns({ iterations: 80 }), experiment: { name: 'swiftcart', title: `SwiftCart ${hostile}`, rationale: { billingPoolMax: hostile } } }, dir, {
      jaegerUrl: 'http://jaeger.invalid:16686',
      traceViewer: { url: 'http://127.0.0.1:16680', command: 'npm run lab -- traces ./runs/swiftcart' },
    });
    const page = await browser.newPage();
    const { problems, requests } = watchPage(page);
    await page.goto(pathToFileURL(files.html).href, { waitUntil: 'load', timeout: 60_000 });

    // Product manager first: the plain-language summary is the first section.
    const firstSection = await page.locator('section').first().getAttribute('id');
    expect(firstSection).toBe('summary');
    const summary = await page.locator('#summary ul.summary').innerText();
    expect(summary).toMatch(/dynamodb vs legacy-sql: payment processing fell from .+ to .+ \(−\d+\.\d %, 95 % CI/);
    expect(summary).toMatch(/timeouts fell from/);

    // Charts: the distribution, the critical-path bars and two waterfalls per variant.
    const charts = await page.locator('svg.chart').evaluateAll((nodes) =>
      nodes.map((n) => {
        const box = n.getBoundingClientRect();
        return { width: box.width, height: box.height, shapes: n.querySelectorAll('path, rect, circle').length, label: n.getAttribute('aria-label') ?? '' };
      }),
    );
    expect(charts.length).toBe(1 + 1 + 3 * 2);
    for (const chart of charts) {
      expect(chart.width).toBeGreaterThan(100);
      expect(chart.height).toBeGreaterThan(50);
      expect(chart.shapes).toBeGreaterThan(2);
    }
    expect(await page.locator('#distribution svg path.curve').count()).toBe(3);
    expect(await page.locator('#critical-path svg rect').count()).toBeGreaterThan(3);
    expect(await page.locator('#exemplars svg rect.span-critical').count()).toBeGreaterThan(6);

    // Evidence sections a reader relies on.
    expect(await page.locator('#database').innerText()).toMatch(/Seq Scan on billing_addresses/);
    expect(await page.locator('#glossary dt').allInnerTexts()).toEqual(expect.arrayContaining(['Critical path', 'Sequential scan', 'Open-model load', 'Confidence interval (95 % CI)']));
    // Each exemplar's trace id opens the lab's trace viewer, and a "Jaeger" link beside it opens Jaeger.
    const hrefs = (selector: string) => page.locator(selector).evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
    const viewerLinks = await hrefs('#exemplars a.trace-viewer');
    expect(viewerLinks.length).toBe(6);
    for (const link of viewerLinks) expect(link).toMatch(/^http:\/\/127\.0\.0\.1:16680\/trace\/[0-9a-f]{32}$/);
    const jaegerLinks = await hrefs('#exemplars a.jaeger');
    expect(jaegerLinks.length).toBe(6);
    for (const link of jaegerLinks) expect(link).toMatch(/^http:\/\/jaeger\.invalid:16686\/trace\/[0-9a-f]{32}$/);
    expect(await page.locator('#exemplars > p').first().innerText()).toContain('while npm run lab -- traces ./runs/swiftcart runs');

    // Hostile text is shown as text, not markup.
    expect(await page.locator('h1').innerText()).toContain('<img src=');
    expect(await page.locator('img').count()).toBe(0);

    expect(problems).toEqual([]);
    expect(requests.filter((url) => !url.startsWith('file:') && !url.startsWith('data:'))).toEqual([]);
    await page.close();
  });
});
