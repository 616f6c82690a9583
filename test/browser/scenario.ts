/**
 * A browser on a real local mode: the real ASL in the local engine, dynalite, the simulated account,
 * the local server with the console (as `npm start` serves it), on a `StepClock` — virtual time moves
 * only while the test says so (`until`), so the page is looked at with the execution parked where the
 * test left it, and nothing depends on how fast the machine is.
 */
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { startDeployment } from '../../functions/api/operations.ts';
import type { Deployment } from '../../functions/core/deployment.ts';
import { type GroupConfig, parseGroupConfig } from '../../functions/core/group-config.ts';
import type { SimulatedAccount } from '../../local/account.ts';
import { StepClock } from '../../local/clock.ts';
import { localConsole } from '../../local/console.ts';
import { type LocalStepShift, startLocal } from '../../local/index.ts';
import { HEALTHY, seedAccount } from '../../local/seed.ts';
import { type LocalApi, serveLocalApi } from '../../local/server.ts';
import { untilStored } from '../workflow/harness.ts';
import { ensureChromium } from './chromium.ts';

/** One group, three steps with bakes, a hook and an alarm: every part of the page has something to show. */
export const GROUPS = parseGroupConfig({
  groups: {
    checkout: {
      kind: 'lambda',
      description: 'The checkout API',
      target: { functionName: 'checkout', alias: 'live' },
      deploymentConfig: {
        type: 'steps',
        steps: [
          { percent: 10, bakeSeconds: 300 },
          { percent: 50, bakeSeconds: 300 },
          { percent: 100, bakeSeconds: 0 },
        ],
      },
      hooks: { BeforeAllowTraffic: ['checkout-smoke-test'] },
      alarms: ['checkout-errors'],
    },
  },
});

/** Launched once per test file: finding (or installing) Chromium is the slow part. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: ensureChromium(), args: ['--no-sandbox'] });
}

export interface ConsoleScenario {
  local: LocalStepShift;
  clock: StepClock;
  api: LocalApi;
  /**
   * Opens a page of the console (`#/deployments/…`) at a width, on local mode's server unless `base`
   * names another; its errors are collected.
   */
  open(hash: string, width?: number, options?: { deviceScaleFactor?: number; base?: string }): Promise<Page>;
  /** Console errors and uncaught page errors of every page opened. */
  errors: string[];
  /** Starts a deployment of a new healthy version of `checkout`. */
  deploy(): Promise<Deployment>;
  /** Lets virtual time run until the stored deployment satisfies `predicate`; it stands still after. */
  until(d: Deployment, predicate: (d: Deployment) => boolean, what: string): Promise<Deployment>;
  close(): Promise<void>;
}

export interface ScenarioOptions {
  /** The groups (default `GROUPS`); the deployments are of the `checkout` group. */
  groups?: GroupConfig;
  /** Synthetic traffic through the routing, so alarms have data (default off). */
  traffic?: boolean;
  /** Shapes the account after seeding (hook behaviours). */
  shape?: (account: SimulatedAccount) => void;
}

export async function consoleScenario(
  browser: Browser,
  options: ScenarioOptions = {},
): Promise<ConsoleScenario> {
  const groups = options.groups ?? GROUPS;
  const clock = new StepClock();
  const local = await startLocal({
    groups,
    clock,
    traffic: options.traffic ?? false,
    seed: (account) => {
      seedAccount(account, groups);
      options.shape?.(account);
    },
  });
  const api = await serveLocalApi(local.ctx, 0, undefined, (url) => localConsole(local, url));
  const contexts: BrowserContext[] = [];
  const errors: string[] = [];
  return {
    local,
    clock,
    api,
    errors,
    async open(hash, width = 1280, { deviceScaleFactor = 1, base = api.url } = {}) {
      const context = await browser.newContext({
        viewport: { width, height: width > 600 ? 900 : 844 },
        deviceScaleFactor,
      });
      contexts.push(context);
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console: ${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
      await page.goto(`${base}/${hash}`);
      return page;
    },
    async deploy() {
      const revision = local.account.publishVersion('checkout', HEALTHY);
      return (await startDeployment(local.ctx, { group: 'checkout', revision })).deployment;
    },
    until: (d, predicate, what) => untilStored(clock, local.ctx, d, predicate, what),
    async close() {
      // Pages first: a stream cut by the server going away is an error in the page, not the test's.
      for (const context of contexts) await context.close();
      await api.close();
      await local.close();
    },
  };
}

/** Baking at step `n` (1-based): the execution parked in the Bake state, on the virtual clock. */
export const bakingAt = (n: number) => (d: Deployment) =>
  d.status === 'IN_PROGRESS' && d.stepIndex === n - 1 && d.bakeToken !== undefined;
