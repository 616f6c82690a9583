/**
 * Simulated CloudWatch alarms, evaluated on the requests synthetic traffic sends through the routing —
 * so a bad revision really trips its alarm, in proportion to the traffic it receives.
 *
 * Each traffic round evaluates every alarm on the requests of its last `periodSeconds`: ALARM after
 * `evaluationPeriods` breaching evaluations in a row, INSUFFICIENT_DATA when no request came, and a state
 * set by SetAlarmState holds for one period, as CloudWatch's does. It is the `AlarmWatcher`, and tells its
 * listeners of every state change (local mode's stand-in for the alarm state-change event).
 */
import { StepShiftError } from '../../functions/core/errors.ts';
import type { AlarmState, AlarmWatcher, Clock } from '../../functions/ports.ts';
import type { ControlPlane } from './control-plane.ts';

/** The requests synthetic traffic sent through some targets over a period, summed. */
export interface TrafficTotals {
  count: number;
  errors: number;
  /** Milliseconds, summed over the requests. */
  latencySum: number;
}

/** What an alarm reads its metric from: the requests to `targets` in (`fromMs`, `toMs`]. */
export interface TrafficMetrics {
  totals(targets: readonly string[], fromMs: number, toMs: number): TrafficTotals;
}

export interface AlarmDefinition {
  name: string;
  /** What the alarm watches: a function name, or target group ARNs (both of an ECS group: roles swap). */
  target: string | string[];
  metric: 'ErrorRate' | 'LatencyAverage';
  /** ALARM when the metric is above this (a fraction for ErrorRate, ms for latency). */
  threshold: number;
  /** Seconds of virtual time per datapoint. */
  periodSeconds: number;
  /** Consecutive breaching datapoints that put the alarm in ALARM. */
  evaluationPeriods: number;
}

export type AlarmListener = (name: string, state: AlarmState, previous: AlarmState) => void;

interface Alarm {
  def: AlarmDefinition;
  state: AlarmState;
  breaching: number;
  /** Set by setAlarmState: stays until the next datapoint, as CloudWatch's SetAlarmState. */
  forcedUntil?: number;
}

export class SimulatedCloudWatch implements AlarmWatcher {
  /** Alarms are code, not state: defined again at every start, never persisted. */
  private readonly alarms = new Map<string, Alarm>();
  private readonly listeners = new Set<AlarmListener>();

  constructor(
    private readonly clock: Clock,
    private readonly control: ControlPlane,
  ) {}

  defineAlarm(def: AlarmDefinition): void {
    this.alarms.set(def.name, { def, state: 'INSUFFICIENT_DATA', breaching: 0 });
  }

  /** As CloudWatch's SetAlarmState: the state holds until the next datapoint is evaluated. */
  setAlarmState(name: string, state: 'OK' | 'ALARM'): void {
    const alarm = this.alarms.get(name);
    if (!alarm) throw new StepShiftError(`no alarm ${name}`);
    alarm.forcedUntil = this.clock.now() + alarm.def.periodSeconds * 1000;
    this.setState(alarm, state);
  }

  /** Calls `listener` on every state change; returns the function that stops it. */
  onAlarm(listener: AlarmListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  alarmState(name: string): AlarmState {
    return this.alarms.get(name)?.state ?? 'MISSING';
  }

  // ── the port ──

  async states(names: readonly string[]): Promise<Record<string, AlarmState>> {
    this.control.record('DescribeAlarms', names);
    return Object.fromEntries(names.map((n) => [n, this.alarmState(n)]));
  }

  // ── what synthetic traffic feeds ──

  /** One datapoint of every alarm at `now`, from the requests of the period that ends then. */
  evaluate(now: number, traffic: TrafficMetrics): void {
    for (const alarm of this.alarms.values()) this.evaluateOne(alarm, now, traffic);
  }

  private evaluateOne(alarm: Alarm, now: number, traffic: TrafficMetrics): void {
    if (alarm.forcedUntil !== undefined) {
      if (now < alarm.forcedUntil) return;
      delete alarm.forcedUntil;
    }
    const { def } = alarm;
    const window = traffic.totals([def.target].flat(), now - def.periodSeconds * 1000, now);
    if (window.count === 0) {
      this.setState(alarm, 'INSUFFICIENT_DATA');
      return;
    }
    const value =
      def.metric === 'ErrorRate' ? window.errors / window.count : window.latencySum / window.count;
    alarm.breaching = value > def.threshold ? alarm.breaching + 1 : 0;
    this.setState(alarm, alarm.breaching >= def.evaluationPeriods ? 'ALARM' : 'OK');
  }

  private setState(alarm: Alarm, state: AlarmState): void {
    if (alarm.state === state) return;
    const previous = alarm.state;
    alarm.state = state;
    for (const listener of this.listeners) listener(alarm.def.name, state, previous);
  }
}
