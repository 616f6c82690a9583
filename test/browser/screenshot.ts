/**
 * docs/console.png: the console on a deployment mid-bake, 1280 px wide, from a real local mode — a
 * linear 10 %-a-minute deployment at its fourth step, with a hook that asked to be called back once and
 * synthetic traffic, so the alarms have data. `scripts/console-screenshot.ts` runs it.
 */
import { parseGroupConfig } from '../../functions/core/group-config.ts';
import { bakingAt, consoleScenario, launchBrowser } from './scenario.ts';

const GROUPS = parseGroupConfig({
  groups: {
    checkout: {
      kind: 'lambda',
      description: 'The checkout API',
      target: { functionName: 'checkout', alias: 'live' },
      deploymentConfig: 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
      hooks: { BeforeAllowTraffic: ['checkout-smoke-test'], AfterAllowTraffic: ['checkout-contract-test'] },
      alarms: ['checkout-errors', 'checkout-p99-latency'],
    },
  },
});

export async function screenshotConsole(path: string): Promise<void> {
  const browser = await launchBrowser();
  const s = await consoleScenario(browser, {
    groups: GROUPS,
    traffic: true,
    shape: (account) => account.setHookBehaviour('checkout-smoke-test', 'in-progress:1'),
  });
  try {
    const d = await s.deploy();
    await s.until(d, bakingAt(4), 'the fourth bake');
    // Into the bake: the traffic rounds and alarm evaluations of 25 virtual seconds.
    await s.clock.run(s.clock.sleep(25_000));
    const page = await s.open(`#/deployments/${d.id}`, 1280);
    await page.setViewportSize({ width: 1280, height: 1000 });
    await page.waitForSelector('[data-state="Bake"][data-status="running"][data-visits="4"]');
    await page.waitForSelector('svg.traffic-chart[data-shifts="4"]');
    await page.waitForSelector('[data-alarm-state="OK"]');
    // Past the first frame: the chart measures its box, the graph scrolls to the running state.
    await page.waitForTimeout(300);
    await page.screenshot({ path, fullPage: true });
    if (s.errors.length > 0) throw new Error(`the page reported errors: ${s.errors.join('; ')}`);
  } finally {
    await s.close();
    await browser.close();
  }
}
