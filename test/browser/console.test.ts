// The web console in real Chromium against a real broker and a real agent: a merchant books a
// slot covering now, uploads a clip, and sees the plays in the report's chart once the agent
// has played it on simulated unlocks; another merchant cannot see that campaign; the report
// works on a phone. Screenshots go to .tmp/screenshots/.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAYPART_IDS, daypartOfHour } from '../../broker/src/market/dayparts.js';
import { collectErrors, context, launch, screenshot, signIn } from './chromium.js';
import { SITE, startWorld, type World } from './world.js';

let world: World;
let browser: Browser;
let campaignId = '';

beforeAll(async () => {
  [world, browser] = await Promise.all([startWorld(), launch()]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await world?.stop();
}, 30_000);

/** Site-local (here: this machine's zone) date `offset` days from today, and the hour now. */
function localNow(offset = 0): { date: string; hour: number } {
  const d = new Date(Date.now() + offset * 86_400_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return { date: `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`, hour: new Date().getHours() };
}

/** Polls the page until `read` returns a truthy value, or fails after `ms`. */
async function until<T>(page: Page, what: string, ms: number, read: () => Promise<T>): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = await read().catch(() => null);
    if (v) return v as NonNullable<T>;
    await page.waitForTimeout(250);
  }
  throw new Error(`${what} not seen within ${ms} ms`);
}

// In-page scripts are strings: the root tsconfig has no DOM lib (it types Node code).
/** Elements a finger should hit, with a box under 44 × 44 CSS px. */
const SMALL_TARGETS = `[...document.querySelectorAll('button, a[href], select, input:not([type=checkbox]):not([type=file]), summary, label.chip, label.site-pick')]
  .filter((e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden')
  .map((e) => ({ e, r: e.getBoundingClientRect() }))
  .filter(({ r }) => r.height < 44 || r.width < 44)
  .map(({ e, r }) => e.tagName.toLowerCase() + ' "' + (e.textContent ?? '').trim().slice(0, 30) + '" ' + Math.round(r.width) + 'x' + Math.round(r.height))`;
const OVERFLOW = 'document.documentElement.scrollWidth - document.documentElement.clientWidth';
/** Non-transparent pixels on the by-day chart's canvas. */
const INKED = `(() => {
  const c = document.querySelector('[data-chart=byDay] canvas');
  const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
  return n;
})()`;
/** The campaign and its report as this browser session asks for them: bearer, then cookie only. */
const probe = (id: string) => `Promise.all([
  fetch('/api/v1/campaigns/${id}', { headers: { authorization: 'Bearer ' + sessionStorage.getItem('dc_token') } }).then((r) => r.status),
  fetch('/api/v1/campaigns/${id}/report').then((r) => r.status),
])`;

/** Notes whether the upload progress bar was ever in the page (it may last one frame). */
const WATCH_PROGRESS = `window.sawProgress = false;
new MutationObserver(() => { if (document.querySelector('[data-testid=upload-progress]')) window.sawProgress = true; })
  .observe(document.body, { childList: true, subtree: true });`;

const ORDER = DAYPART_IDS;
/** Today and tomorrow, the daypart holding the current hour and the next (so a boundary mid-test changes nothing). */
function bookingNow(): { from: string; to: string; dayparts: Set<string> } {
  const now = daypartOfHour(localNow(0).hour);
  return { from: localNow(0).date, to: localNow(1).date, dayparts: new Set([now, ORDER[(ORDER.indexOf(now) + 1) % ORDER.length]!]) };
}

async function setFilter(page: Page, f: { from: string; to: string; dayparts: Set<string>; units?: number }): Promise<void> {
  for (const d of ORDER) await page.setChecked(`[data-testid=filter] input[data-daypart=${d}]`, f.dayparts.has(d));
  await page.fill('[data-testid=filter] input[name=from]', f.from);
  await page.fill('[data-testid=filter] input[name=to]', f.to);
  if (f.units) await page.fill('[data-testid=filter] input[name=units]', String(f.units));
}

async function upload(page: Page, file: string): Promise<void> {
  await page.click('nav a[href="/console/creatives"]');
  await page.waitForSelector('[data-testid=upload]');
  await page.evaluate(WATCH_PROGRESS);
  await page.setInputFiles('[data-testid=upload] input[type=file]', file);
  await page.click('[data-testid=upload] button[type=submit]');
}

const smallTargets = (page: Page) => page.evaluate<string[]>(SMALL_TARGETS);
const horizontalOverflow = (page: Page) => page.evaluate<number>(OVERFLOW);

describe('the web console in Chromium', () => {
  it('a merchant uploads a clip, books a slot covering now, and sees the plays in the report chart', async () => {
    const ctx = await context(browser);
    const page = await ctx.newPage();
    const errors = collectErrors(page);
    try {
      await signIn(page, world.base, world.merchantA);
      expect(new URL(page.url()).pathname).toBe('/console/find');

      // Upload: the progress bar, then processing → ready with the preview still.
      await upload(page, world.clip);
      await page.waitForSelector('[data-creative][data-status=ready] img.still', { timeout: 60_000 });
      expect(await page.evaluate('window.sawProgress')).toBe(true);
      // The still loaded (the <img> carries only the session cookie).
      await page.waitForFunction("document.querySelector('[data-status=ready] img.still')?.naturalWidth > 0");
      await screenshot(page, 'merchant-clips');

      // Find: the sites around the shop on the map and by distance, for a booking covering now.
      const today = localNow(0);
      await page.click('nav a[href="/console/find"]');
      await setFilter(page, bookingNow());
      await page.waitForSelector(`[data-testid=site-map] [data-site=${SITE}]`);
      expect(await page.locator('[data-testid=site-map] [data-site]').count()).toBe(3);
      // Nearest first: the agent's site is the closest to the shop.
      expect(await page.locator('[data-testid=site-list] > li').first().getAttribute('data-site')).toBe(SITE);
      await page.check(`[data-testid=pick-${SITE}]`);
      await page.waitForSelector('[data-testid=estimate]');
      await screenshot(page, 'merchant-find');

      await page.click('[data-testid=book]');
      await page.waitForURL(/\/console\/campaigns\/c_[0-9a-f]+$/);
      campaignId = new URL(page.url()).pathname.split('/').at(-1)!;

      // The booking reaches the device's manifest, the agent plays it on unlocks, the plays
      // sync and are ingested, and the report (refreshed every 5 s) charts them.
      const plays = await until(page, 'plays in the by-day table', 80_000, async () => {
        const text = await page.textContent(`[data-table=byDay] tr[data-key="${today.date}"] [data-col=plays]`, { timeout: 1000 });
        const n = Number((text ?? '').replace(/[^\d]/g, ''));
        return /^\s*[\d,]+\s*$/.test(text ?? '') && n > 0 ? n : null;
      });
      expect(plays).toBeGreaterThan(0);
      const totals = (await page.getAttribute('[data-chart=byDay]', 'data-totals')) ?? '';
      expect(Number(totals.split(',')[0])).toBeGreaterThan(0);
      expect(Number(await page.getAttribute('[data-testid=totals]', 'data-plays'))).toBeGreaterThan(0);
      // The chart drew something: the canvas is not blank.
      const inked = await page.evaluate<number>(INKED);
      expect(inked).toBeGreaterThan(100);
      await screenshot(page, 'merchant-report');
      // The CSV download links work with the session cookie alone.
      const href = await page.getAttribute('.csv-links a >> nth=0', 'href');
      const csv = await page.evaluate<string>(`fetch(${JSON.stringify(href)}).then(async (r) => r.status + ' ' + r.headers.get('content-type') + ' ' + (await r.text()).split('\\n')[0])`);
      expect(csv).toMatch(/^200 text\/csv.* .*plays/);
      // The signed-out probe of /me before the login form answers 401, as it should.
      expect(errors.filter((e) => !e.includes('status of 401'))).toEqual([]);
    } finally {
      await ctx.close();
    }
  }, 120_000);

  it("another merchant sees neither the campaign in its list nor by URL (404, 'not found'); a non-video is refused; overbooking answers 409 with the full slots", async () => {
    expect(campaignId).toMatch(/^c_/);
    const ctx = await context(browser);
    const page = await ctx.newPage();
    try {
      await signIn(page, world.base, world.merchantB, '/console/campaigns');
      await page.waitForSelector('main.page section.card p.muted, [data-testid=campaigns]');
      expect(await page.locator(`[data-campaign="${campaignId}"]`).count()).toBe(0);

      await page.goto(`${world.base}/console/campaigns/${campaignId}`);
      await page.waitForSelector('[data-testid=not-found]');
      await screenshot(page, 'merchant-b-not-found');
      const status = await page.evaluate<number[]>(probe(campaignId));
      expect(status).toEqual([404, 404]);

      // A file that is not a video is refused at once, with the reason in plain words.
      await upload(page, world.notAVideo);
      const refusal = await page.textContent('[data-testid=upload] [role=alert]');
      expect(refusal).toMatch(/cannot|not a video|damaged/i);
      await screenshot(page, 'merchant-b-upload-refused');

      // Booking more units than are left: 409, the full slots named, nothing booked.
      await upload(page, world.clip);
      await page.waitForSelector('[data-creative][data-status=ready]', { timeout: 60_000 });
      await page.click('nav a[href="/console/find"]');
      await setFilter(page, { ...bookingNow(), units: 4 });
      await page.check(`[data-testid=pick-${SITE}]`);
      await page.waitForSelector('[data-testid=booking] >> text=4 unit(s) per slot');
      await page.click('[data-testid=book]');
      const conflict = await page.textContent('[data-testid=conflict]');
      expect(conflict).toContain('nothing was booked');
      expect(conflict).toContain('Lotus Court');
      await screenshot(page, 'merchant-b-conflict');
      await page.click('nav a[href="/console/campaigns"]');
      await page.waitForSelector('main.page section.card p.muted, [data-testid=campaigns]');
      expect(await page.locator('[data-campaign]').count()).toBe(0);
    } finally {
      await ctx.close();
    }
  }, 60_000);

  it('the report on a 390 × 844 phone in Chinese: no horizontal scrolling, 44 px tap targets', async () => {
    expect(campaignId).toMatch(/^c_/);
    const ctx = await context(browser, { phone: true, locale: 'zh-CN' });
    const page = await ctx.newPage();
    try {
      // A deep link signs in and comes back to the report.
      await signIn(page, world.base, world.merchantA, `/console/campaigns/${campaignId}`);
      await page.waitForSelector('[data-table=byDay] [data-col=plays]');
      expect(await page.textContent('nav')).toContain('投放');
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
      expect(await smallTargets(page)).toEqual([]);
      await screenshot(page, 'merchant-report-phone');

      await page.click('nav a[href="/console/find"]');
      await page.waitForSelector(`[data-testid=site-map] [data-site=${SITE}]`);
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
      expect(await smallTargets(page)).toEqual([]);
      await screenshot(page, 'merchant-find-phone');

      // The language switch: every string from the other dictionary, kept for the next visit.
      await page.selectOption('[data-testid=lang]', 'en');
      expect(await page.textContent('nav')).toContain('Campaigns');
      expect(await page.textContent('h1')).toBe('Find slots near your shop');
      await page.reload();
      await page.waitForSelector('header.top nav');
      expect(await page.getAttribute('html', 'lang')).toBe('en');
    } finally {
      await ctx.close();
    }
  }, 30_000);

  it('an operator sees the device online in the fleet and the inventory sold, creates a merchant and disables it', async () => {
    const ctx = await context(browser);
    const page = await ctx.newPage();
    try {
      await signIn(page, world.base, world.operator);
      expect(new URL(page.url()).pathname).toBe('/console/fleet');
      await page.waitForSelector(`[data-device="${SITE}/lotus-gate"] .badge-ok`);
      await screenshot(page, 'operator-fleet');
      await page.click('nav a[href="/console/inventory"]');
      await page.waitForSelector('[data-testid=fill]');
      expect(await page.textContent('[data-testid=revenue-total]')).toMatch(/[1-9]/);
      await screenshot(page, 'operator-inventory');

      // Accounts: create a merchant, then disable it; it can no longer sign in.
      await page.click('nav a[href="/console/accounts"]');
      const form = '[data-testid=create-account]';
      await page.fill(`${form} input[name=name]`, 'Ms C');
      await page.fill(`${form} input[name=email]`, 'c@tutoring.test');
      await page.fill(`${form} input[name=password]`, 'another long password');
      await page.fill(`${form} input[name=shop]`, 'Bright Tutoring');
      await page.fill(`${form} input[name=lat]`, '31.231');
      await page.fill(`${form} input[name=lon]`, '121.474');
      await page.click(`${form} button[type=submit]`);
      const row = '[data-account="c@tutoring.test"]';
      await page.waitForSelector(`${row} .badge-ok`);
      await page.click(`${row} button`);
      await page.waitForSelector(`${row} .badge-bad`);
      await screenshot(page, 'operator-accounts');
      const other = await (await context(browser)).newPage();
      await other.goto(world.base);
      await other.fill('[data-testid=login] input[name=email]', 'c@tutoring.test');
      await other.fill('[data-testid=login] input[name=password]', 'another long password');
      await other.click('[data-testid=login] button[type=submit]');
      expect(await other.textContent('[data-testid=login] [role=alert]')).toContain('disabled');
      await other.context().close();
    } finally {
      await ctx.close();
    }
  }, 30_000);
});
