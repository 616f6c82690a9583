/**
 * The console's release pages in a real Chromium against a real local mode: a release of three groups
 * in waves, looked at while its first wave holds at the commit point and its second bakes, followed live
 * to its end, and stopped from the page. Virtual time moves only when a test lets it.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bakingFirst, type ReleaseScenario, releaseScenario } from './release-scenario.ts';
import { launchBrowser } from './scenario.ts';

const member = (page: Page, group: string) => page.locator(`[data-member="${group}"]`);

// A page, a release and its clock steps: well within a minute, even on a busy machine.
describe('the operator console on a local release', { timeout: 60_000 }, () => {
  let browser: Browser;
  let s: ReleaseScenario;

  beforeAll(async () => {
    browser = await launchBrowser();
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    s = await releaseScenario(browser);
  });
  afterEach(async () => {
    await s.close();
  });

  it('shows the members side by side by wave, the first wave at its commit point, and follows it to SUCCEEDED', async () => {
    // Prepare: api and worker hold at their commit point while web bakes at 10 %.
    const r = await s.release('shop 42', [['api', 'worker'], ['web']]);
    const web = await s.untilMember(r, 'web', bakingFirst, "web's first bake");

    // Act
    const page = await s.open(`#/releases/${r.id}`);

    // Assess: each wave with its members, each member where it stands.
    await page.waitForSelector('[data-release-status="IN_PROGRESS"]');
    await page.waitForSelector(
      '[data-wave="0"][data-wave-state="ready"] [data-member="api"][data-ready="true"]',
    );
    await page.waitForSelector('[data-wave="0"] [data-member="worker"][data-ready="true"]');
    await page.waitForSelector(
      '[data-wave="1"][data-wave-state="deploying"] [data-member="web"][data-ready="false"]',
    );
    await expect(member(page, 'api').locator('[data-commit-marker]').textContent()).resolves.toMatch(
      /^◆ at its commit point since \d\d:\d\d:\d\d$/,
    );
    await expect(member(page, 'api').locator('.pbar-num').textContent()).resolves.toBe('100 %');
    await expect(member(page, 'web').locator('.pbar-num').textContent()).resolves.toBe('10 %');
    await expect(member(page, 'web').locator('[data-step]').textContent()).resolves.toBe('step 1 of 2');
    await expect(member(page, 'web').locator('.badge').getAttribute('data-status')).resolves.toBe(
      'IN_PROGRESS',
    );
    await expect(member(page, 'web').locator('h3 a').getAttribute('href')).resolves.toBe(
      `#/deployments/${web.id}`,
    );
    await expect(page.locator('[data-commit-point]').getAttribute('data-commit-point')).resolves.toBe(
      'pending',
    );
    await expect(page.locator('[data-stat="ready"] .stat-value').textContent()).resolves.toBe('2 of 3');
    await expect(page.locator('[data-waiting]').textContent()).resolves.toContain(
      'Waiting for wave 2 to reach its commit point',
    );
    await expect(page.locator('.timeline').textContent()).resolves.toContain('wave 2 of 2 started: web');
    for (const action of ['stop', 'stopKeep'])
      await expect(page.locator(`[data-action="${action}"]`).isDisabled()).resolves.toBe(false);

    // Act: the release runs to its end while the page stays open.
    await s.untilEnded(r);

    // Assess: the page followed without a reload.
    await page.waitForSelector('[data-release-status="SUCCEEDED"]');
    await page.waitForSelector('[data-commit-point="committed"]');
    for (const group of ['api', 'worker', 'web'])
      await page.waitForSelector(`[data-member="${group}"][data-member-status="SUCCEEDED"]`);
    await page.waitForSelector('[data-wave="0"][data-wave-state="done"]');
    await page.waitForSelector('[data-wave="1"][data-wave-state="done"]');
    for (const action of ['stop', 'stopKeep'])
      await expect(page.locator(`[data-action="${action}"]`).getAttribute('title')).resolves.toBe(
        'it is SUCCEEDED: only a release in progress can be stopped',
      );

    // A member links to its deployment's page, which links back to the release.
    await member(page, 'web').locator('h3 a').click();
    await page.waitForSelector(`[data-deployment="${web.id}"] [data-release-member="${r.id}"]`);
    await expect(page.locator('[data-release-member]').textContent()).resolves.toContain(
      `Wave 2 of release ${r.id}`,
    );
    expect(s.errors).toEqual([]);
  });

  it('stops the release with rollback once confirmed: every member that moved rolls back, the last wave never starts', async () => {
    // Prepare
    const r = await s.release('to stop', [['api'], ['web'], ['worker']]);
    await s.untilMember(r, 'web', bakingFirst, "web's first bake");
    const page = await s.open(`#/releases/${r.id}`);
    await page.waitForSelector('[data-wave="2"][data-wave-state="pending"]');
    await expect(page.locator('[data-wave="2"] .wave-chip').textContent()).resolves.toBe(
      'starts when wave 2 is at its commit point',
    );

    // Act: cancelled first, nothing is sent; then confirmed.
    await page.click('[data-action="stop"]');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect(s.local.ctx.releases?.get(r.id)).resolves.not.toHaveProperty('stopRequest');
    await page.click('[data-action="stop"]');
    await expect(page.locator('dialog.confirm').textContent()).resolves.toContain(
      'every member that moved traffic returns to the routing it recorded',
    );
    await page.click('[data-confirm="stop"]');

    // Assess
    await expect(page.locator('[data-answer]').textContent()).resolves.toBe(
      `202: stop requested, with rollback — ${r.id} is IN_PROGRESS`,
    );
    await s.untilEnded(r);
    await page.waitForSelector('[data-release-status="ROLLED_BACK"]');
    await page.waitForSelector('[data-member="api"][data-member-status="ROLLED_BACK"]');
    await page.waitForSelector('[data-member="web"][data-member-status="ROLLED_BACK"]');
    await page.waitForSelector('[data-member="worker"][data-member-status="CANCELLED"]');
    await page.waitForSelector('[data-wave="2"][data-wave-state="neverStarted"]');
    await page.waitForSelector('[data-commit-point="never"]');
    await expect(page.locator('.reason-line').textContent()).resolves.toBe('stop requested');
    await page.waitForSelector('[data-stop-request]');
    for (const action of ['stop', 'stopKeep'])
      await expect(page.locator(`[data-action="${action}"]`).isDisabled()).resolves.toBe(true);
    for (const group of ['api', 'web', 'worker'])
      expect(s.local.account.aliasRouting(group, 'live')).toMatchObject({
        version: '1',
        additionalVersionWeights: {},
      });
    expect(s.errors).toEqual([]);
  });

  it('lists the releases, and has no horizontal overflow 390 px wide', async () => {
    const r = await s.release('shop 42', [['api', 'worker'], ['web']]);
    await s.untilMember(r, 'web', bakingFirst, "web's first bake");

    const list = await s.open('#/releases');
    await list.waitForSelector(`tr[data-release="${r.id}"]`);
    await expect(
      list.locator(`tr[data-release="${r.id}"] td[data-label="Waves"]`).textContent(),
    ).resolves.toBe('wave 2 of 2');
    await expect(list.locator(`tr[data-release="${r.id}"] [data-member]`).count()).resolves.toBe(3);
    await list.click(`tr[data-release="${r.id}"] a[href="#/releases/${r.id}"]`);
    await list.waitForSelector(`[data-release="${r.id}"] [data-member="web"]`);

    for (const hash of ['#/releases', `#/releases/${r.id}`]) {
      const page = await s.open(hash, 390);
      await page.waitForSelector('main > *:not(.empty)');
      if (hash.includes(r.id)) await page.waitForSelector('[data-member="web"]');
      else await page.waitForSelector(`tr[data-release="${r.id}"]`);
      const overflow = await page.evaluate(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      );
      expect({ hash, overflow }).toEqual({ hash, overflow: 0 });
    }
    expect(s.errors).toEqual([]);
  });
});
