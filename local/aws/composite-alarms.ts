/**
 * Simulated CloudWatch with composite alarms: a composite's state follows its children's, as
 * CloudWatch's `ALARM(a) OR ALARM(b)` / `ALARM(a) AND ALARM(b)` rules do, and a change of it is told to
 * the same listeners as a metric alarm's (CloudWatch sends one `Alarm State Change` event for both).
 *
 * A subclass rather than a change to the metric evaluation: composites read only their children's states,
 * so they are recomputed whenever a child changes, never from traffic.
 */
import type { AlarmState } from '../../functions/ports.ts';
import { type AlarmListener, SimulatedCloudWatch } from './cloudwatch.ts';

export interface CompositeAlarmDefinition {
  name: string;
  /** `anyOf`: ALARM while any child is in ALARM; `allOf`: while every child is. */
  rule: 'anyOf' | 'allOf';
  children: string[];
}

export class CloudWatchWithComposites extends SimulatedCloudWatch {
  private readonly composites = new Map<string, { def: CompositeAlarmDefinition; state: AlarmState }>();
  private readonly compositeListeners = new Set<AlarmListener>();

  constructor(...args: ConstructorParameters<typeof SimulatedCloudWatch>) {
    super(...args);
    super.onAlarm((name, state, previous) => {
      this.tell(name, state, previous);
      this.recompute();
    });
  }

  defineComposite(def: CompositeAlarmDefinition): void {
    this.composites.set(def.name, { def, state: 'INSUFFICIENT_DATA' });
    this.recompute();
  }

  override onAlarm(listener: AlarmListener): () => void {
    this.compositeListeners.add(listener);
    return () => this.compositeListeners.delete(listener);
  }

  override alarmState(name: string): AlarmState {
    return this.composites.get(name)?.state ?? super.alarmState(name);
  }

  /** CloudWatch's rule: ALARM as the rule says; OK when it cannot be ALARM with the children known; else INSUFFICIENT_DATA. */
  private stateOf(def: CompositeAlarmDefinition): AlarmState {
    const states = def.children.map((c) => this.alarmState(c));
    const alarm =
      def.rule === 'anyOf' ? states.some((s) => s === 'ALARM') : states.every((s) => s === 'ALARM');
    if (alarm) return 'ALARM';
    const decided = def.rule === 'anyOf' ? states.every((s) => s === 'OK') : states.some((s) => s === 'OK');
    return decided ? 'OK' : 'INSUFFICIENT_DATA';
  }

  /** Composites of composites settle in as many passes as they nest. */
  private recompute(): void {
    for (let pass = 0; pass <= this.composites.size; pass++) {
      let changed = false;
      for (const composite of this.composites.values()) {
        const next = this.stateOf(composite.def);
        if (next === composite.state) continue;
        const previous = composite.state;
        composite.state = next;
        changed = true;
        this.tell(composite.def.name, next, previous);
      }
      if (!changed) return;
    }
  }

  private tell(name: string, state: AlarmState, previous: AlarmState): void {
    for (const listener of this.compositeListeners) listener(name, state, previous);
  }
}
