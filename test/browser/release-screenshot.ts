/**
 * Screenshots of a release's page from a real local mode, to look at it as an operator would: wave 1
 * (api, worker) held at its commit point while wave 2 (web) bakes at 10 %, 1280 and 390 px wide.
 * `npx tsx test/browser/release-screenshot.ts <folder>` writes release-1280.png and release-390.png.
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bakingFirst, releaseScenario } from './release-scenario.ts';
import { launchBrowser } from './scenario.ts';

export async function screenshotRelease(folder: string): Promise<string[]> {
  const browser = await launchBrowser();
  const s = await releaseScenario(browser);
  try {
    const r = await s.release('shop 42', [['api', 'worker'], ['web']]);
    await s.untilMember(r, 'web', bakingFirst, "web's first bake");
    // Into the bake: a minute of virtual time.
    await s.clock.run(s.clock.sleep(60_000));
    const written: string[] = [];
    for (const width of [1280, 390]) {
      const page = await s.open(`#/releases/${r.id}`, width);
      await page.waitForSelector('[data-member="web"][data-member-status="IN_PROGRESS"]');
      await page.waitForSelector('[data-member="api"][data-ready="true"]');
      await page.waitForTimeout(200);
      const path = join(folder, `release-${width}.png`);
      await page.screenshot({ path, fullPage: true });
      written.push(path);
    }
    if (s.errors.length > 0) throw new Error(`the page reported errors: ${s.errors.join('; ')}`);
    return written;
  } finally {
    await s.close();
    await browser.close();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const folder = resolve(process.argv[2] ?? '.');
  for (const path of await screenshotRelease(folder)) console.log(path);
}
