/**
 * HookRunner over Lambda `Invoke` (RequestResponse). The hook returns `{status, reason?,
 * callBackDelaySeconds?}`; a function error (a throw, a timeout of the function) or a payload of any
 * other shape is `Failed`, with the reason the function gave.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import * as z from 'zod/mini';
import type { HookPayload, HookResult, HookRunner } from '../ports.ts';
import { call } from './errors.ts';

/**
 * What a hook may answer. Built on first use, not when the module loads: every Lambda bundle imports
 * this module through the wiring (functions/handlers/context.ts), and esbuild keeps a schema built at
 * module level, with zod, in each of them, although only RunHooks invokes hooks (zod's functions are
 * annotated as free of side effects, but the annotation does not reach esbuild through zod's re-exports).
 */
const buildHookResultSchema = () =>
  z.discriminatedUnion('status', [
    z.object({ status: z.literal('Succeeded'), reason: z.optional(z.string()) }),
    z.object({ status: z.literal('Failed'), reason: z._default(z.string(), 'the hook reported Failed') }),
    z.object({
      status: z.literal('InProgress'),
      reason: z.optional(z.string()),
      callBackDelaySeconds: z._default(z.number().check(z.positive()), 30),
    }),
  ]);
let hookResult: ReturnType<typeof buildHookResultSchema> | undefined;
const hookResultSchema = () => {
  hookResult ??= buildHookResultSchema();
  return hookResult;
};

export class LambdaHookRunner implements HookRunner {
  constructor(private readonly client: LambdaClient) {}

  async invoke(functionName: string, payload: HookPayload): Promise<HookResult> {
    const out = await call('Invoke', () =>
      this.client.send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'RequestResponse',
          Payload: new TextEncoder().encode(JSON.stringify(payload)),
        }),
      ),
    );
    const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
    if (out.FunctionError) {
      let message = text;
      try {
        const err = JSON.parse(text) as { errorMessage?: string; errorType?: string };
        message = [err.errorType, err.errorMessage].filter(Boolean).join(': ') || text;
      } catch {
        // not JSON: keep the raw text
      }
      return { status: 'Failed', reason: `function error: ${message || out.FunctionError}` };
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { status: 'Failed', reason: `the hook returned no JSON (${text.slice(0, 100) || 'empty'})` };
    }
    const parsed = hookResultSchema().safeParse(body);
    if (!parsed.success) {
      return {
        status: 'Failed',
        reason: `the hook returned ${text.slice(0, 100)}; expected {"status": "Succeeded" | "Failed" | "InProgress"}`,
      };
    }
    const r = parsed.data;
    if (r.status === 'InProgress') {
      return {
        status: 'InProgress',
        callBackDelaySeconds: r.callBackDelaySeconds,
        ...(r.reason !== undefined ? { reason: r.reason } : {}),
      };
    }
    if (r.status === 'Failed') return { status: 'Failed', reason: r.reason };
    return r.reason !== undefined ? { status: 'Succeeded', reason: r.reason } : { status: 'Succeeded' };
  }
}
