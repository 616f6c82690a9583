/**
 * The operator console in a real Chromium against a real local mode: what an operator sees while a
 * deployment runs, at a shift, and when they stop it. Virtual time moves only when a test lets it, so
 * each look at the page is at a moment the test chose.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ConsoleSource, isConsolePath, serveConsole } from '../../console/serve.ts';
import { localConsole } from '../../local/console.ts';
import { serveLoopback } from '../../local/server.ts';
import { bakingAt, type ConsoleScenario, consoleScenario, launchBrowser } from './scenario.ts';

const state = (page: Page, name: string) => page.locator(`[data-state="${name}"]`);

/** Waits until the page draws `name` with that status. */
async function expectState(page: Page, name: string, status: string, visits?: number) {
  await page.waitForSelector(
    `[data-state="${name}"][data-status="${status}"]${visits !== undefined ? `[data-visits="${visits}"]` : ''}`,
  );
}

describe('the operator console on a local deployment', () => {
  let browser: Browser;
  let s: ConsoleScenario;

  // Finding Chromium installs it first where it is missing (apt-get, as root): minutes, once.
  beforeAll(async () => {
    browser = await launchBrowser();
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    s = await consoleScenario(browser);
  });
  afterEach(async () => {
    await s.close();
  });

  it('marks the running state on the execution graph, then the path taken', async () => {
    const d = await s.deploy();
    await s.until(d, bakingAt(1), 'the first bake');
    const page = await s.open(`#/deployments/${d.id}`);

    await expectState(page, 'Bake', 'running', 1);
    for (const done of ['Prepare', 'ChooseKind', 'BeforeAllowTraffic', 'ShiftTraffic', 'ChooseNext'])
      await expectState(page, done, 'succeeded');
    for (const never of ['BeforeInstall', 'Install', 'RollBack', 'DeploymentSucceeded'])
      await expectState(page, never, 'notRun');
    await expect(page.locator('[data-stat="step"] .stat-value').textContent()).resolves.toBe('1 of 3');

    await s.until(d, (x) => x.status === 'SUCCEEDED', 'the deployment succeeding');

    await page.waitForSelector('.dep-head [data-status="SUCCEEDED"]');
    await expectState(page, 'DeploymentSucceeded', 'succeeded');
    // Each bake ends with States.Timeout into the next ShiftTraffic: the designed way on, not a failure.
    await expectState(page, 'Bake', 'succeeded', 2);
    await expectState(page, 'ShiftTraffic', 'succeeded', 3);
    await expect(state(page, 'ShiftTraffic').locator('.loops').textContent()).resolves.toBe('×3');
    for (const never of ['Install', 'RollBack', 'DeploymentRolledBack'])
      await expectState(page, never, 'notRun');
    const taken = await page
      .locator('path.edge.taken')
      .evaluateAll((paths) => paths.map((p) => p.getAttribute('data-edge')));
    expect(taken).toEqual(
      expect.arrayContaining([
        'ChooseKind->BeforeAllowTraffic',
        'ChooseNext->Bake',
        'Bake->ShiftTraffic',
        'ChooseNext->AfterAllowTraffic',
        'ChooseEnd->DeploymentSucceeded',
      ]),
    );
    expect(taken).not.toContain('ChooseKind->BeforeInstall');
    expect(s.errors).toEqual([]);
  });

  it('moves the traffic chart at a shift', async () => {
    const d = await s.deploy();
    await s.until(d, bakingAt(1), 'the first bake');
    const page = await s.open(`#/deployments/${d.id}`);
    const chart = page.locator('svg.traffic-chart');
    await page.waitForSelector('svg.traffic-chart[data-shifts="1"][data-percent="10"]');
    const before = await chart.locator('[data-series="actual"]').getAttribute('d');
    await expect(chart.locator('[data-series="planned"]').count()).resolves.toBe(1);

    await s.until(d, bakingAt(2), 'the second bake');

    await page.waitForSelector('svg.traffic-chart[data-shifts="2"][data-percent="50"]');
    const after = await chart.locator('[data-series="actual"]').getAttribute('d');
    expect(after).not.toBe(before);
    await expect(page.locator('[data-stat="step"] .stat-value').textContent()).resolves.toBe('2 of 3');
    await expect(page.locator('[data-stat="percent"] .stat-value').textContent()).resolves.toBe('50 %');
    // The hook before traffic and both bakes are marked.
    await expect(chart.locator('[data-mark="hook"]').count()).resolves.toBeGreaterThan(0);
    await expect(chart.locator('rect.bake').count()).resolves.toBe(2);
    expect(s.errors).toEqual([]);
  });

  it('stops with rollback once confirmed, and shows the deployment ROLLED_BACK', async () => {
    const d = await s.deploy();
    await s.until(d, bakingAt(2), 'the second bake');
    const page = await s.open(`#/deployments/${d.id}`);
    await expectState(page, 'Bake', 'running', 2);
    await expect(page.locator('[data-action="rollback"]').isDisabled()).resolves.toBe(true);

    // Cancelled: nothing is sent.
    await page.click('[data-action="stop"]');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.locator('dialog.confirm').isVisible()).resolves.toBe(false);
    await expect(s.local.ctx.store.get(d.id)).resolves.toMatchObject({ status: 'IN_PROGRESS' });

    await page.click('[data-action="stop"]');
    await expect(page.locator('dialog.confirm').textContent()).resolves.toContain('restore the routing');
    await page.click('[data-confirm="stop"]');
    await expect(page.locator('[data-answer]').textContent()).resolves.toMatch(
      /^202: stop requested, with rollback/,
    );

    await s.until(d, (x) => x.status === 'ROLLED_BACK', 'the rollback');

    await page.waitForSelector('.dep-head [data-status="ROLLED_BACK"]');
    await expectState(page, 'Bake', 'caught', 2);
    await expectState(page, 'RollBack', 'succeeded');
    await expectState(page, 'DeploymentRolledBack', 'failed');
    await expectState(page, 'DeploymentSucceeded', 'notRun');
    await page.waitForSelector('path.edge.taken[data-edge="Bake->RollBack"]');
    await page.waitForSelector('svg.traffic-chart[data-percent="0"]');
    for (const action of ['stop', 'stopKeep', 'promote', 'rollback'])
      await expect(page.locator(`[data-action="${action}"]`).isDisabled()).resolves.toBe(true);
    await expect(s.local.account.aliasRouting('checkout', 'live')).toMatchObject({
      version: '1',
      additionalVersionWeights: {},
    });
    expect(s.errors).toEqual([]);
  });

  it('shows the groups and the deployments, filtered, without a console error', async () => {
    const d = await s.deploy();
    await s.until(d, bakingAt(1), 'the first bake');
    const groups = await s.open('#/');
    await groups.waitForSelector(`[data-group="checkout"] a[href="#/deployments/${d.id}"]`);
    await expect(groups.locator('[data-mode]').getAttribute('data-mode')).resolves.toBe('local');

    const list = await s.open('#/deployments?status=IN_PROGRESS');
    await list.waitForSelector(`tr[data-deployment="${d.id}"]`);
    await list.selectOption('select[name="status"]', 'SUCCEEDED');
    await list.waitForSelector('text=No deployment matches these filters.');
    expect(list.url()).toContain('status=SUCCEEDED');
    expect(s.errors).toEqual([]);
  });

  it('says in a banner that a read failed, and what failed', async () => {
    const page = await s.open('#/deployments/d-none');
    await expect(page.locator('[data-banner="failure"]').textContent()).resolves.toContain(
      'GET /deployments/d-none answered 404: no deployment d-none',
    );
    await expect(page.locator('main').textContent()).resolves.toContain('Loading deployment d-none');
    expect(s.errors).toEqual([]);
  });

  it('on AWS, says so and links the execution in the Step Functions console', async () => {
    const d = await s.deploy();
    await s.until(d, bakingAt(1), 'the first bake');
    // The bodies local mode answers, as the AWS API would answer them: the deployment with its link.
    const local = localConsole(s.local, s.api.url);
    const executionUrl = `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${d.executionName}`;
    const aws: ConsoleSource = {
      mode: 'aws',
      api: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
      pollMs: 60_000,
      read: async (path) => {
        const out = await local.read(path);
        if (path !== `/deployments/${d.id}`) return out;
        const body = out.body as { deployment: object };
        return { ...out, body: { ...body, deployment: { ...body.deployment, executionUrl } } };
      },
    };
    const proxy = await serveLoopback(0, async (request, res, req) => {
      if (!isConsolePath(request.path)) return { status: 404, body: {} };
      await serveConsole(req, res, request.path, request.query, aws);
      return 'answered';
    });
    try {
      const page = await s.open(`#/deployments/${d.id}`, 1280, { base: proxy.url });
      await expect(page.locator('.aws-link').getAttribute('href')).resolves.toBe(executionUrl);
      await expect(page.locator('[data-mode]').textContent()).resolves.toBe('AWS');
      await expectState(page, 'Bake', 'running', 1);
      await page.close();
    } finally {
      await proxy.close();
    }
    expect(s.errors).toEqual([]);
  });

  it('shows each analysis check, its runs on the chart and in the timeline, 390 px wide without overflow', async () => {
    const d = await s.deploy();
    await s.until(d, bakingAt(1), 'the first bake');
    // Until the engine writes analysis, the body local mode answers with a group's checks added.
    const at = new Date(s.local.clock.now()).toISOString();
    const analysis = [
      {
        check: 'errors',
        metric: 'errorRate',
        condition: '≤ 2.00 % and ≤ baseline × 1.5 + 0.50 %',
        minSamples: 50,
        intervalSeconds: 60,
        limits: { failure: 0, inconclusive: 3, error: 3 },
        counts: { runs: 2, failed: 1, inconclusive: 0, errors: 0 },
        last: {
          verdict: 'Failed',
          value: 0.04,
          samples: 812,
          baseline: { value: 0.005, samples: 7310 },
          bound: 0.0125,
          reason:
            'errorRate 4.00 % over 812 samples > 1.25 % (baseline 0.50 % × 1.5 + 0.50 %, over 7310 samples)',
          at,
          point: 'interval',
          percent: 10,
        },
      },
      {
        check: 'latency-p99-against-the-baseline-revision',
        metric: 'latencyP99',
        condition: '≤ baseline × 1.2 + 20 ms',
        minSamples: 50,
        intervalSeconds: 120,
        limits: { failure: 0, inconclusive: 3, error: 3 },
        counts: { runs: 0, failed: 0, inconclusive: 0, errors: 0 },
      },
    ];
    const run = {
      at,
      kind: 'analysis',
      message: analysis[0]?.last ? `errors Failed: ${analysis[0].last.reason}` : '',
      details: {
        check: 'errors',
        verdict: 'Failed',
        point: 'interval',
        percent: 10,
        samples: 812,
        window: { from: at, to: at },
      },
    };
    const local = localConsole(s.local, s.api.url);
    const withChecks: ConsoleSource = {
      ...local,
      read: async (path) => {
        const out = await local.read(path);
        if (path !== `/deployments/${d.id}`) return out;
        const body = out.body as { timeline: unknown[] };
        return { ...out, body: { ...body, analysis, timeline: [...body.timeline, run] } };
      },
    };
    const proxy = await serveLoopback(0, async (request, res, req) => {
      if (!isConsolePath(request.path)) return { status: 404, body: {} };
      await serveConsole(req, res, request.path, request.query, withChecks);
      return 'answered';
    });
    try {
      const page = await s.open(`#/deployments/${d.id}`, 1280, { base: proxy.url });
      await page.waitForSelector('[data-check="errors"][data-verdict="Failed"]');
      await expect(
        page.locator('[data-check="errors"] [data-figure="Revision"]').textContent(),
      ).resolves.toContain('4.00 %');
      await expect(
        page.locator('[data-check="errors"] [data-figure="Failed"] .error-text').count(),
      ).resolves.toBe(1);
      await expect(
        page.locator('svg.traffic-chart [data-mark="analysis"][data-verdict="Failed"]').count(),
      ).resolves.toBe(1);
      await expect(page.locator('li.tl-analysis[data-verdict="Failed"]').count()).resolves.toBe(1);

      const narrow = await s.open(`#/deployments/${d.id}`, 390, { base: proxy.url });
      await narrow.waitForSelector('[data-check="errors"]');
      await narrow.waitForSelector('svg.graph');
      const overflow = await narrow.evaluate(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      );
      expect(overflow).toBe(0);
    } finally {
      await proxy.close();
    }
    expect(s.errors).toEqual([]);
  });

  it('has no horizontal overflow 390 px wide', async () => {
    const d = await s.deploy();
    await s.until(d, bakingAt(1), 'the first bake');
    for (const hash of ['#/', '#/deployments', `#/deployments/${d.id}`]) {
      const page = await s.open(hash, 390);
      await page.waitForSelector('main > *:not(.empty)');
      if (hash.includes(d.id)) await page.waitForSelector('svg.graph');
      // A string: the test's own program has no DOM types.
      const overflow = await page.evaluate(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      );
      expect({ hash, overflow }).toEqual({ hash, overflow: 0 });
    }
    expect(s.errors).toEqual([]);
  });
});
