// Debian's Chromium under playwright-core: headless, nothing but loopback, a fresh profile
// (playwright launches with a new temp user-data dir each time), screenshots for review.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const SCREENSHOTS = resolve(import.meta.dirname, '../../.tmp/screenshots');

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS, timeout: 20_000 });
}

/** A new isolated context (its own cookies and storage): a desktop window or a 390×844 phone. */
export async function context(browser: Browser, { phone = false, locale = 'en-GB' } = {}): Promise<BrowserContext> {
  const ctx = await browser.newContext({
    locale,
    viewport: phone ? { width: 390, height: 844 } : { width: 1280, height: 900 },
    ...(phone ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
  });
  ctx.setDefaultTimeout(15_000);
  return ctx;
}

/** Every console message and page error, to show when a test fails. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return errors;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  // From the top, so the sticky header sits where a person sees it.
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
  return path;
}

/** Signs in through the login form and waits for the signed-in frame. */
export async function signIn(page: Page, base: string, who: { email: string; password: string }, path = '/'): Promise<void> {
  await page.goto(base + path);
  await page.fill('[data-testid=login] input[name=email]', who.email);
  await page.fill('[data-testid=login] input[name=password]', who.password);
  await page.click('[data-testid=login] button[type=submit]');
  await page.waitForSelector('header.top nav');
}
