/**
 * Local mode's notifications: every event on the local bus is matched against the same rules the AWS
 * stack makes (`notificationRules`, matched by `local/event-pattern.ts`), and each match sends the same
 * message — POSTed to the notification's webhook, recorded on the simulated account's SNS for a topic.
 *
 * A notification never holds up a deployment: the POST runs beside the workflow, gives up after a
 * timeout, and a failure (a refused connection, an error status, a receiver that never answers) is
 * logged and kept in `deliveries`, never thrown. Local mode POSTs only to loopback URLs: an https://
 * webhook (a real Slack channel) is the AWS stack's to call, and is skipped here with a line in the log.
 */
import { request } from 'node:http';
import { STATE_CHANGE_DETAIL_TYPE, stateChangeDetail } from '../functions/aws/eventbridge.ts';
import type { DeploymentGroup } from '../functions/core/group-config.ts';
import {
  messageFields,
  type NotificationRule,
  notificationMessage,
  notificationRules,
  STEPSHIFT_DETAIL_TYPES,
  type StepShiftEvent,
} from '../functions/core/notifications.ts';
import type { StateChange } from '../functions/ports.ts';
import type { SimulatedSns } from './aws/sns.ts';
import { LOCAL_REGION } from './aws-events.ts';
import { compileEventPattern, type EventMatcher } from './event-pattern.ts';

/** How long a webhook may take to answer before local mode gives up on it. */
export const WEBHOOK_TIMEOUT_MS = 5_000;

/** The detail of a "StepShift Deployment Approval Pending" event. */
export interface ApprovalPendingDetail {
  deploymentId: string;
  group: string;
  revision: string;
  stepIndex: number;
  percent: number;
  timeoutSeconds?: number;
  at: string;
}

/** What became of one webhook POST. */
export interface WebhookDelivery {
  rule: string;
  url: string;
  body: string;
  /** `pending` while the POST is under way. */
  outcome: 'pending' | 'delivered' | 'failed' | 'skipped';
  /** The HTTP status, when the receiver answered. */
  status?: number;
  /** Why it failed or was skipped. */
  error?: string;
}

export interface LocalNotifierOptions {
  groups: readonly DeploymentGroup[];
  sns: SimulatedSns;
  /** Local mode's clock: the time an SNS publish is recorded at. */
  clock: { now(): number };
  timeoutMs?: number;
  /** Where failures are reported (default: stderr). */
  log?: (line: string) => void;
  /** Where to watch a deployment, if anywhere (the local console, once it listens). */
  link?: (deploymentId: string) => string | undefined;
}

const LOOPBACK = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?([/?#]|$)/;

export class LocalNotifier {
  readonly deliveries: WebhookDelivery[] = [];
  private readonly rules: { rule: NotificationRule; matches: EventMatcher }[];
  private readonly inflight = new Set<Promise<void>>();
  private readonly closing = new AbortController();

  constructor(private readonly options: LocalNotifierOptions) {
    this.rules = notificationRules(options.groups).map((rule) => ({
      rule,
      matches: compileEventPattern(rule.pattern),
    }));
  }

  /** A state change as the EventBridge publisher puts it on the bus, notified as such. */
  stateChanged(change: StateChange): void {
    this.deliver({
      source: 'stepshift',
      'detail-type': STATE_CHANGE_DETAIL_TYPE,
      detail: stateChangeDetail(change, LOCAL_REGION),
    });
  }

  /**
   * A pending approval, as the approval gate publishes it: its detail is the pending approval itself
   * (`{deploymentId, group, revision, stepIndex, percent, timeoutSeconds?, at}`). Local mode's bus hands
   * it here as it hands state changes to `stateChanged`.
   */
  approvalPending(pending: ApprovalPendingDetail): void {
    this.deliver({
      source: 'stepshift',
      'detail-type': STEPSHIFT_DETAIL_TYPES.approvalPending,
      detail: pending,
    });
  }

  /**
   * Sends what `event` calls for: for each rule it matches, the message to the rule's topic and webhook.
   * Returns at once; `settled()` waits for the POSTs.
   */
  deliver(event: StepShiftEvent): void {
    if (this.closing.signal.aborted) return;
    for (const { rule, matches } of this.rules) {
      if (!matches(event)) continue;
      const fields = messageFields(rule.event, event.detail);
      const link = this.options.link?.(fields.deploymentId);
      const body = JSON.stringify(notificationMessage(rule.event, { ...fields, ...(link ? { link } : {}) }));
      if (rule.sns) {
        this.options.sns.publish({
          topicArn: rule.sns,
          message: body,
          at: new Date(this.options.clock.now()).toISOString(),
        });
      }
      if (rule.webhook) this.track(this.post(rule, rule.webhook, body));
    }
  }

  /** Resolves once every POST started so far has ended (delivered, failed or timed out). */
  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** Sends nothing more and cuts the POSTs under way short. */
  async close(): Promise<void> {
    this.closing.abort();
    await this.settled();
  }

  private track(p: Promise<void>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private async post(rule: NotificationRule, url: string, body: string): Promise<void> {
    const delivery: WebhookDelivery = { rule: rule.id, url, body, outcome: 'pending' };
    this.deliveries.push(delivery);
    if (!LOOPBACK.test(url)) {
      delivery.outcome = 'skipped';
      delivery.error = 'local mode POSTs only to loopback URLs; on AWS the API destination calls it';
      this.log(`notification ${rule.id}: ${url} skipped: ${delivery.error}`);
      return;
    }
    try {
      delivery.status = await postJson(
        url,
        body,
        this.options.timeoutMs ?? WEBHOOK_TIMEOUT_MS,
        this.closing.signal,
      );
      delivery.outcome = delivery.status >= 200 && delivery.status < 300 ? 'delivered' : 'failed';
      if (delivery.outcome === 'failed') delivery.error = `HTTP ${delivery.status}`;
    } catch (e) {
      delivery.outcome = 'failed';
      delivery.error = e instanceof Error ? e.message : String(e);
    }
    if (delivery.outcome === 'failed')
      this.log(`notification ${rule.id} to ${url} failed: ${delivery.error}`);
  }

  private log(line: string): void {
    (this.options.log ?? console.error)(line);
  }
}

/** POSTs `body` as JSON; resolves with the status, rejects on a network error, the timeout or `signal`. */
function postJson(url: string, body: string, timeoutMs: number, signal: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    // No shared agent: no kept-alive socket outlives the POST or holds a receiver open.
    const req = request(url, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      signal,
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => {
        clearTimeout(timer);
        resolve(res.statusCode ?? 0);
      });
      res.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end(body);
  });
}
