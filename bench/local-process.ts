/**
 * Local mode in a child process, started as `npm start` starts it, for the benches that must measure or
 * kill the process itself. Node runs the CLI with tsx as a loader (not the `tsx` command, which would
 * put a wrapper process between us and the server, and a kill -9 would orphan the server).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface LocalProcess {
  child: ChildProcess;
  pid: number;
  url: string;
  /** Everything it printed so far. */
  output(): string;
  exited: Promise<void>;
}

/** Starts `stepshift local --no-demo --port 0` on `dataDir`; resolves once it serves (at most `timeoutMs`). */
export async function spawnLocal(options: {
  dataDir: string;
  speed: number;
  config?: string;
  timeoutMs?: number;
}): Promise<LocalProcess> {
  const args = ['--import', 'tsx', 'bin/stepshift.ts', 'local', '--no-demo', '--port', '0'];
  args.push('--data', options.dataDir, '--speed', String(options.speed));
  if (options.config) args.push('--config', options.config);
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const url = /API on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    if (url && child.pid) return { child, pid: child.pid, url, output: () => out, exited };
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`local mode did not start serving:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Asks it to stop as Ctrl-C does; kills it if it has not exited after `timeoutMs`. */
export async function stopLocal(p: LocalProcess, timeoutMs = 15_000): Promise<'clean' | 'killed'> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return 'clean';
  p.child.kill('SIGINT');
  const timer = new Promise<'killed'>((r) => setTimeout(() => r('killed'), timeoutMs).unref());
  const how = await Promise.race([p.exited.then(() => 'clean' as const), timer]);
  if (how === 'killed') {
    p.child.kill('SIGKILL');
    await p.exited;
  }
  return how;
}

/** CPU seconds (user + system) a process has used, from /proc: Linux only. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces: the fields that follow it start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / clockTicks();
}

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}
