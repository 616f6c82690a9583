/**
 * The Chromium the browser tests drive: found by `scripts/ensure-chromium.sh`, which installs Debian's
 * `chromium` package first when there is none and it runs as root — so a fresh clone and CI need nothing
 * done by hand. playwright-core drives it through `executablePath`; it downloads no browser of its own.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../scripts/ensure-chromium.sh', import.meta.url));

/** The executable's path; throws the script's own message when there is none and none can be installed. */
export function ensureChromium(): string {
  try {
    // An install takes a minute or more; its progress goes to this process's stderr.
    return execFileSync('bash', [SCRIPT], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  } catch (e) {
    throw new Error(
      `no Chromium for the browser tests: see the ensure-chromium message above (${String(e)})`,
    );
  }
}
