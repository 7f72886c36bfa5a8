import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { startTestHub, type TestHub } from "../support/test-hub.ts";

// Helpers of the browser tests: Debian's headless Chromium driven by playwright-core, one browser per test file and a
// fresh context (cookies) per test; and a plain-fetch client of the pages for the refusals a browser cannot send.

export const DEMO_PASSWORD = "demo-password-2026";
const ARTIFACTS = fileURLToPath(new URL("../artifacts/", import.meta.url));

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

export interface BrowserSuite {
  hub: TestHub;
  browser: Browser;
  /** A fresh context (no cookies) and page for each test. */
  context: BrowserContext;
  page: Page;
}

/** A test file's hub and browser, started once and stopped after the file; a new context and page per test. */
/** One hub (with `env` on top of the test environment) and one browser for a test file; a fresh context per test. */
export function browserSuite(env: Record<string, string> = {}): BrowserSuite {
  const suite = {} as BrowserSuite;
  beforeAll(async () => {
    [suite.hub, suite.browser] = await Promise.all([startTestHub(env), launchBrowser()]);
  });
  afterAll(async () => {
    await suite.browser?.close();
    await suite.hub?.stop();
  });
  beforeEach(async () => {
    suite.context = await suite.browser.newContext({ locale: "ru-RU", viewport: { width: 1280, height: 900 } });
    suite.page = await suite.context.newPage();
  });
  afterEach(async () => {
    await suite.context?.close();
  });
  return suite;
}

/** A full-page screenshot under test/artifacts/, for people to look at. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
}

/** Signs in through the sign-in form (a signed-out visit of `path` is sent there first and comes back after). */
export async function signInAs(page: Page, hub: TestHub, login: string, path = "/cash", password = DEMO_PASSWORD): Promise<void> {
  await page.goto(`${hub.url}${path}`);
  await page.getByLabel("Логин").fill(login);
  await page.getByLabel("Пароль").fill(password);
  await page.getByRole("button", { name: "Войти" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/staff/"));
}

/** Opens a shift at the first free desk offered, unless one is open. */
export async function openShift(page: Page, hub: TestHub, openingCash = "0"): Promise<void> {
  await page.goto(`${hub.url}/cash`);
  if ((await page.getByRole("button", { name: "Открыть смену" }).count()) === 0) return;
  await page.getByLabel("Наличные в кассе на начало смены, ₽").fill(openingCash);
  await page.getByRole("button", { name: "Открыть смену" }).click();
  await page.getByText("Смена открыта. Можно принимать платежи.").waitFor();
}

/** Takes a payment through search, form and submit; answers the payment id from the receipt's address. */
export async function takePayment(page: Page, hub: TestHub, account: string, amount: string): Promise<bigint> {
  await page.goto(`${hub.url}/cash/find?q=${encodeURIComponent(account)}`);
  await page.locator(`tr[data-account="${account}"]`).getByRole("link", { name: "Принять платёж" }).click();
  await page.getByLabel("Сумма, ₽").fill(amount);
  await page.getByRole("button", { name: "Принять платёж" }).click();
  await page.waitForURL(/\/cash\/receipts\/\d+$/);
  return BigInt(new URL(page.url()).pathname.split("/").pop()!);
}

/** The visible text of an element, spaces normalised. */
export async function textOf(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).innerText()) ?? "").replace(/\s+/g, " ").trim();
}

export interface PageResponse {
  status: number;
  location: string | null;
  text: string;
}

/** The pages as a script sees them: a cookie session from the sign-in form and the CSRF token of its forms. */
export class PageClient {
  private constructor(
    private readonly hub: TestHub,
    readonly cookie: string,
    readonly csrf: string,
  ) {}

  static async signIn(hub: TestHub, login: string, password = DEMO_PASSWORD): Promise<PageClient> {
    const response = await fetch(`${hub.url}/staff/sign-in`, { method: "POST", redirect: "manual", body: new URLSearchParams({ login, password, next: "/cash" }) });
    const cookie = /^(payhub_session=[^;]+)/.exec(response.headers.get("set-cookie") ?? "")?.[1];
    if (response.status !== 303 || !cookie) throw new Error(`sign-in of ${login} answered ${response.status}`);
    const desk = await fetch(`${hub.url}/cash`, { headers: { cookie } }).then((answer) => answer.text());
    const csrf = /name="_csrf" value="([^"]+)"/.exec(desk)?.[1];
    if (!csrf) throw new Error("no CSRF token on the desk page");
    return new PageClient(hub, cookie, csrf);
  }

  get(path: string): Promise<PageResponse> {
    return PageClient.send(this.hub, "GET", path, this.cookie);
  }

  /** A form POST; the session's CSRF token is added unless `_csrf` is given (null: left out). */
  post(path: string, fields: Record<string, string>, csrf: string | null = this.csrf): Promise<PageResponse> {
    const body = new URLSearchParams(fields);
    if (csrf !== null && !("_csrf" in fields)) body.set("_csrf", csrf);
    return PageClient.send(this.hub, "POST", path, this.cookie, body);
  }

  static async send(hub: TestHub, method: string, path: string, cookie: string | undefined, body?: URLSearchParams): Promise<PageResponse> {
    const response = await fetch(`${hub.url}${path}`, { method, redirect: "manual", headers: cookie ? { cookie } : {}, body });
    return { status: response.status, location: response.headers.get("location"), text: await response.text() };
  }
}
