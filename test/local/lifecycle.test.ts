import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { connect, createServer as createTcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { loadGroupConfigFile } from '../../bin/cli.ts';
import { isTerminal } from '../../functions/core/deployment.ts';
import { StepClock } from '../../local/clock.ts';
import { localDynamoClient, startLocalDynamo } from '../../local/dynamo.ts';
import { startLocal } from '../../local/index.ts';
import { seedExampleAccount } from '../../local/seed.ts';

/** A TCP proxy on loopback that resets the first `resets` connections, as a dropped socket does. */
async function resettingProxy(target: string, resets: number) {
  const { hostname, port } = new URL(target);
  let connections = 0;
  const proxy = createTcpServer((client: Socket) => {
    connections += 1;
    if (connections <= resets) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect({ host: hostname, port: Number(port) });
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const address = proxy.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => proxy.close(() => resolve())),
  };
}

describe('the local DynamoDB client', () => {
  it('retries a request whose socket was reset', async () => {
    // Prepare
    const dynamo = await startLocalDynamo();
    const proxy = await resettingProxy(dynamo.endpoint, 1);
    const client = localDynamoClient(proxy.url);
    try {
      // Act
      const out = await client.send(new DescribeTableCommand({ TableName: dynamo.table }));

      // Assess
      expect(out.Table?.TableStatus).toBe('ACTIVE');
      expect(proxy.connections()).toBe(2);
    } finally {
      client.destroy();
      await proxy.close();
      await dynamo.close();
    }
  });
});

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** `stepshift local …` as `npm start` runs it, in a child process, its output collected. */
function spawnLocal(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/stepshift.ts', 'local', ...args], {
    cwd: ROOT,
    // The AWS SDK's Node-version notice is no output of ours.
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const ended = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    /** Resolves with the first match in stdout; rejects if the process ends or `ms` pass first. */
    async line(pattern: RegExp, ms = 30_000): Promise<RegExpExecArray> {
      const deadline = Date.now() + ms;
      for (;;) {
        const match = pattern.exec(stdout);
        if (match) return match;
        if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
          throw new Error(`no ${pattern} in the output:\n${stdout}\n${stderr}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    /** How the process ended, within `ms`; past that it is killed and 'still running' returned. */
    async exit(ms = 20_000): Promise<{ code: number | null; signal: string | null } | 'still running'> {
      const timer = new Promise<'still running'>((r) => setTimeout(() => r('still running'), ms));
      const out = await Promise.race([ended, timer]);
      if (out === 'still running') child.kill('SIGKILL');
      return out;
    },
  };
}

const dataDir = () => mkdtempSync(join(tmpdir(), 'stepshift-lifecycle-'));

describe('stepshift local as a process', () => {
  it('exits 1 with one line naming the port and --port when the port is taken', async () => {
    // Prepare: something else on a loopback port.
    const other = createTcpServer();
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const taken = (other.address() as { port: number }).port;
    const data = dataDir();
    try {
      // Act
      const local = spawnLocal(['--data', data, '--port', String(taken), '--no-demo']);
      const end = await local.exit();

      // Assess
      expect(end).toEqual({ code: 1, signal: null });
      expect(local.stderr().trim().split('\n')).toEqual([
        expect.stringMatching(new RegExp(`^stepshift: port ${taken} .*--port`)),
      ]);
      expect(existsSync(join(data, 'stepshift.pid'))).toBe(false);
    } finally {
      other.close();
    }
  }, 60_000);

  it('stops cleanly on Ctrl-C right after the banner', async () => {
    // Prepare
    const data = dataDir();
    const local = spawnLocal(['--data', data, '--port', '0', '--no-demo']);
    await local.line(/stepshift local mode/);

    // Act
    local.child.kill('SIGINT');
    const end = await local.exit();

    // Assess
    expect(end).toEqual({ code: 0, signal: null });
    expect(local.stderr()).toBe('');
    expect(existsSync(join(data, 'stepshift.pid'))).toBe(false);
  }, 60_000);

  it('keeps serving after an upload aborted mid-body, then stops cleanly on Ctrl-C', async () => {
    // Prepare
    const data = dataDir();
    const local = spawnLocal(['--data', data, '--port', '0', '--no-demo']);
    const [, url = ''] = await local.line(/API on (http:\/\/127\.0\.0\.1:\d+)/);
    await local.line(/Ctrl-C to stop/);

    // Act: `curl -m 1 -T /dev/zero -X POST …/deployments`, cut off mid-body.
    const { hostname, port } = new URL(url);
    const socket = connect({ host: hostname, port: Number(port) });
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(
      `POST /deployments HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n${'0'.repeat(0x400)}\r\n`,
    );
    await new Promise((r) => setTimeout(r, 100));
    socket.destroy();
    await new Promise((r) => setTimeout(r, 200));
    const after = await fetch(`${url}/groups`).then(
      (r) => r.status,
      (e: unknown) => String(e),
    );
    local.child.kill('SIGINT');
    const end = await local.exit();

    // Assess
    expect(after).toBe(200);
    expect(end).toEqual({ code: 0, signal: null });
    expect(local.stdout()).toContain('stopping…');
    expect(existsSync(join(data, 'stepshift.pid'))).toBe(false);
  }, 60_000);

  it.each([
    ['at the first traffic shift', /ShiftTraffic/],
    ['as the second deployment starts', /▶[^\n]*\n[\s\S]*▶/],
    ['during a bake', /Bake/],
  ])(
    'stops cleanly on Ctrl-C mid-demo %s, and the next start finds nothing in progress',
    async (_, moment) => {
      // Prepare
      const data = dataDir();
      const local = spawnLocal(['--data', data, '--port', '0', '--speed', '200']);
      await local.line(moment);

      // Act
      local.child.kill('SIGINT');
      const end = await local.exit();
      const pidLeft = existsSync(join(data, 'stepshift.pid'));
      const again = await startLocal({
        groups: loadGroupConfigFile(join(ROOT, 'stepshift.config.json')),
        clock: new StepClock(),
        dataDir: data,
        traffic: false,
        seed: (a, first) => seedExampleAccount(a, { withFunctions: first }),
      });
      const deployments = await again.ctx.store.list({ limit: 10 });
      const locks = await again.ctx.store.locks();
      await again.close();

      // Assess
      expect(end).toEqual({ code: 0, signal: null });
      expect(local.stderr()).toBe('');
      expect(pidLeft).toBe(false);
      expect(deployments.length).toBeGreaterThan(0);
      expect(deployments.filter((d) => !isTerminal(d.status))).toEqual([]);
      expect(locks).toEqual([]);
    },
    60_000,
  );
});
