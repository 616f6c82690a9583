/**
 * AlarmWatcher over CloudWatch `DescribeAlarms`, for metric and composite alarms alike, in batches of
 * 100 names (the API's limit). An alarm the call does not return is `MISSING`: unreadable is not OK.
 */
import { type CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import type { AlarmState, AlarmWatcher } from '../ports.ts';
import { call } from './errors.ts';

export const DESCRIBE_ALARMS_BATCH = 100;

export class CloudWatchAlarmWatcher implements AlarmWatcher {
  constructor(private readonly client: CloudWatchClient) {}

  async states(names: readonly string[]): Promise<Record<string, AlarmState>> {
    const states: Record<string, AlarmState> = Object.fromEntries(names.map((n) => [n, 'MISSING' as const]));
    const unique = [...new Set(names)];
    for (let i = 0; i < unique.length; i += DESCRIBE_ALARMS_BATCH) {
      const batch = unique.slice(i, i + DESCRIBE_ALARMS_BATCH);
      let token: string | undefined;
      do {
        const out = await call('DescribeAlarms', () =>
          this.client.send(
            new DescribeAlarmsCommand({
              AlarmNames: batch,
              AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
              MaxRecords: DESCRIBE_ALARMS_BATCH,
              ...(token ? { NextToken: token } : {}),
            }),
          ),
        );
        for (const alarm of [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])]) {
          if (alarm.AlarmName && alarm.StateValue) states[alarm.AlarmName] = alarm.StateValue as AlarmState;
        }
        token = out.NextToken;
      } while (token);
    }
    return states;
  }
}
