/**
 * Local mode with its API on a free loopback port, and the CLI run against it in-process: what the CLI
 * tests that need a real server share.
 */
import { main } from '../../bin/cli.ts';
import { type LocalStepShift, startLocal } from '../../local/index.ts';
import { serveLocalApi } from '../../local/server.ts';

export async function startLocalApi(
  options: Parameters<typeof startLocal>[0],
): Promise<{ local: LocalStepShift; url: string; close: () => Promise<void> }> {
  const local = await startLocal(options);
  const served = await serveLocalApi(local.ctx, 0);
  return {
    local,
    url: served.url,
    close: async () => {
      served.server.close();
      await local.close();
    },
  };
}

/** Runs `stepshift <argv> --url <url>`; returns its exit code and what it printed. */
export async function runCli(url: string, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main([...argv, '--url', url], { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
