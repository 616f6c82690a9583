/**
 * AWS's documented sample events, copied as the pages print them (data, reproduced as test fixtures),
 * each under the address of its page. Only the variants at the end change a field, each saying why.
 */

// https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html — "Event for a completed image push"
export const ecrImagePush = {
  version: '0',
  id: '13cde686-328b-6117-af20-0e5566167482',
  'detail-type': 'ECR Image Action',
  source: 'aws.ecr',
  account: '123456789012',
  time: '2019-11-16T01:54:34Z',
  region: 'us-west-2',
  resources: [],
  detail: {
    result: 'SUCCESS',
    'repository-name': 'my-repository-name',
    'image-digest': 'sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234',
    'action-type': 'PUSH',
    'image-tag': 'latest',
  },
};

// https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html — "Object created"
export const s3ObjectCreated = {
  version: '0',
  id: '17793124-05d4-b198-2fde-7ededc63b103',
  'detail-type': 'Object Created',
  source: 'aws.s3',
  account: '111122223333',
  time: '2021-11-12T00:00:00Z',
  region: 'ca-central-1',
  resources: ['arn:aws:s3:::amzn-s3-demo-bucket1'],
  detail: {
    version: '0',
    'event-version': '1.1',
    bucket: {
      name: 'amzn-s3-demo-bucket1',
      'aws-generated-tags': {
        'aws:cloudformation:stack-id':
          'arn:aws:cloudformation:us-east-1:111122223333:stack/amzn-s3-demo-stack/51af3dc0-da77-11e4-872e-1234567db123',
        'aws:cloudformation:logical-id': 'S3DemoBucket',
        'aws:cloudformation:stack-name': 'amzn-s3-demo-stack',
      },
    },
    object: {
      key: 'example-key',
      size: 5,
      etag: 'b1946ac92492d2347c6235b4d2611184',
      'version-id': 'IYV3p45BT0ac8hjHg1houSdS1a.Mro8e',
      sequencer: '617f08299329d189',
    },
    'request-id': 'N4N7GDK58NMKJ12R',
    requester: '123456789012',
    'source-ip-address': '1.2.3.4',
    reason: 'PutObject',
  },
};

// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html — "Single Metric Alarm"
export const metricAlarmStateChange = {
  version: '0',
  id: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
  'detail-type': 'CloudWatch Alarm State Change',
  source: 'aws.cloudwatch',
  account: '123456789012',
  time: '2019-10-02T17:04:40Z',
  region: 'us-east-1',
  resources: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh'],
  detail: {
    alarmName: 'ServerCpuTooHigh',
    configuration: {
      description: 'Goes into alarm when server CPU utilization is too high!',
      metrics: [
        {
          id: '30b6c6b2-a864-43a2-4877-c09a1afc3b87',
          metricStat: {
            metric: {
              dimensions: { InstanceId: 'i-12345678901234567' },
              name: 'CPUUtilization',
              namespace: 'AWS/EC2',
            },
            period: 300,
            stat: 'Average',
          },
          returnData: true,
        },
      ],
    },
    previousState: {
      reason:
        'Threshold Crossed: 1 out of the last 1 datapoints [0.0666851903306472 (01/10/19 13:46:00)] was not greater than the threshold (50.0) (minimum 1 datapoint for ALARM -> OK transition).',
      reasonData:
        '{"version":"1.0","queryDate":"2019-10-01T13:56:40.985+0000","startDate":"2019-10-01T13:46:00.000+0000","statistic":"Average","period":300,"recentDatapoints":[0.0666851903306472],"threshold":50.0}',
      timestamp: '2019-10-01T13:56:40.987+0000',
      value: 'OK',
    },
    state: {
      reason:
        'Threshold Crossed: 1 out of the last 1 datapoints [99.50160229693434 (02/10/19 16:59:00)] was greater than the threshold (50.0) (minimum 1 datapoint for OK -> ALARM transition).',
      reasonData:
        '{"version":"1.0","queryDate":"2019-10-02T17:04:40.985+0000","startDate":"2019-10-02T16:59:00.000+0000","statistic":"Average","period":300,"recentDatapoints":[99.50160229693434],"threshold":50.0}',
      timestamp: '2019-10-02T17:04:40.989+0000',
      value: 'ALARM',
    },
    muteDetail: {
      mutedByArn: 'arn:aws:cloudwatch:us-east-1:1234567890:alarm-mute-rule:testMute',
      muteWindowStart: '2026-01-01T10:00:00.000+0000',
      muteWindowEnd: '2026-01-01T12:00:00.000+0000',
    },
  },
};

// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html — "Composite Alarm"
export const compositeAlarmStateChange = {
  version: '0',
  id: 'd3dfc86d-384d-24c8-0345-9f7986db0b80',
  'detail-type': 'CloudWatch Alarm State Change',
  source: 'aws.cloudwatch',
  account: '123456789012',
  time: '2022-07-22T15:57:45Z',
  region: 'us-east-1',
  resources: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServiceAggregatedAlarm'],
  detail: {
    alarmName: 'ServiceAggregatedAlarm',
    state: {
      actionsSuppressedBy: 'WaitPeriod',
      actionsSuppressedReason: 'Actions suppressed by WaitPeriod',
      value: 'ALARM',
      reason:
        'arn:aws:cloudwatch:us-east-1:123456789012:alarm:SuppressionDemo.EventBridge.FirstChild transitioned to ALARM at Friday 22 July, 2022 15:57:45 UTC',
      reasonData:
        '{"triggeringAlarms":[{"arn":"arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh","state":{"value":"ALARM","timestamp":"2022-07-22T15:57:45.394+0000"}}]}',
      timestamp: '2022-07-22T15:57:45.394+0000',
    },
    previousState: {
      value: 'OK',
      reason:
        'arn:aws:cloudwatch:us-east-1:123456789012:alarm:SuppressionDemo.EventBridge.Main was created and its alarm rule evaluates to OK',
      reasonData:
        '{"triggeringAlarms":[{"arn":"arn:aws:cloudwatch:us-east-1:123456789012:alarm:TotalNetworkTrafficTooHigh","state":{"value":"OK","timestamp":"2022-07-14T16:28:57.770+0000"}},{"arn":"arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh","state":{"value":"OK","timestamp":"2022-07-14T16:28:54.191+0000"}}]}',
      timestamp: '2022-07-22T15:56:14.552+0000',
    },
    configuration: {
      alarmRule: 'ALARM(ServerCpuTooHigh) OR ALARM(TotalNetworkTrafficTooHigh)',
      actionsSuppressor: 'ServiceMaintenanceAlarm',
      actionsSuppressorWaitPeriod: 120,
      actionsSuppressorExtensionPeriod: 180,
    },
    muteDetail: {
      mutedByArn: 'arn:aws:cloudwatch:us-east-1:1234567890:alarm-mute-rule:testMute',
      muteWindowStart: '2026-01-01T10:00:00.000+0000',
      muteWindowEnd: '2026-01-01T12:00:00.000+0000',
    },
  },
};

// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html — "Metric Math Alarm"
export const metricMathAlarmStateChange = {
  version: '0',
  id: '2dde0eb1-528b-d2d5-9ca6-6d590caf2329',
  'detail-type': 'CloudWatch Alarm State Change',
  source: 'aws.cloudwatch',
  account: '123456789012',
  time: '2019-10-02T17:20:48Z',
  region: 'us-east-1',
  resources: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:TotalNetworkTrafficTooHigh'],
  detail: {
    alarmName: 'TotalNetworkTrafficTooHigh',
    configuration: {
      description: 'Goes into alarm if total network traffic exceeds 10Kb',
      metrics: [
        { expression: 'SUM(METRICS())', id: 'e1', label: 'Total Network Traffic', returnData: true },
        {
          id: 'm1',
          metricStat: {
            metric: {
              dimensions: { InstanceId: 'i-12345678901234567' },
              name: 'NetworkIn',
              namespace: 'AWS/EC2',
            },
            period: 300,
            stat: 'Maximum',
          },
          returnData: false,
        },
        {
          id: 'm2',
          metricStat: {
            metric: {
              dimensions: { InstanceId: 'i-12345678901234567' },
              name: 'NetworkOut',
              namespace: 'AWS/EC2',
            },
            period: 300,
            stat: 'Maximum',
          },
          returnData: false,
        },
      ],
    },
    previousState: {
      reason: 'Unchecked: Initial alarm creation',
      timestamp: '2019-10-02T17:20:03.642+0000',
      value: 'INSUFFICIENT_DATA',
    },
    state: {
      reason:
        'Threshold Crossed: 1 out of the last 1 datapoints [45628.0 (02/10/19 17:10:00)] was greater than the threshold (10000.0) (minimum 1 datapoint for OK -> ALARM transition).',
      reasonData:
        '{"version":"1.0","queryDate":"2019-10-02T17:20:48.551+0000","startDate":"2019-10-02T17:10:00.000+0000","period":300,"recentDatapoints":[45628.0],"threshold":10000.0}',
      timestamp: '2019-10-02T17:20:48.554+0000',
      value: 'ALARM',
    },
    muteDetail: {
      mutedByArn: 'arn:aws:cloudwatch:us-east-1:1234567890:alarm-mute-rule:testMute',
      muteWindowStart: '2026-01-01T10:00:00.000+0000',
      muteWindowEnd: '2026-01-01T12:00:00.000+0000',
    },
  },
};

// https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html — "Execution Failed"
// (as kept in awsdocs/aws-step-functions-developer-guide, doc_source/cw-events.md)
export const executionFailed = {
  version: '0',
  id: '315c1398-40ff-a850-213b-158f73e60175',
  'detail-type': 'Step Functions Execution Status Change',
  source: 'aws.states',
  account: '012345678912',
  time: '2019-02-26T19:42:21Z',
  region: 'us-east-1',
  resources: ['arn:aws:states:us-east-1:012345678912:execution:state-machine-name:execution-name'],
  detail: {
    executionArn: 'arn:aws:states:us-east-1:012345678912:execution:state-machine-name:execution-name',
    stateMachineArn: 'arn:aws:states:us-east-1:012345678912:stateMachine:state-machine',
    name: 'execution-name',
    status: 'FAILED',
    startDate: 1551225146847,
    stopDate: 1551225151881,
    input: '{}',
    output: null as string | null,
  },
};

// Same page — "Execution Succeeded"
export const executionSucceeded = {
  ...executionFailed,
  detail: {
    ...executionFailed.detail,
    status: 'SUCCEEDED',
    startDate: 1547148840101,
    stopDate: 1547148840122,
    output: '"Hello World!"',
  },
};

/** AWS's sample with its state machine (and execution) ARN pointed at ours: the one field a rule keys on. */
export function executionOf(stateMachineArn: string, sample: typeof executionFailed = executionFailed) {
  const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${sample.detail.name}`;
  return {
    ...sample,
    resources: [executionArn],
    detail: { ...sample.detail, stateMachineArn, executionArn },
  };
}

/**
 * The ECR sample as a push of one child manifest of a multi-arch image: no `image-tag`, its own digest
 * (ECR sends one such event per platform manifest, and one with the tag for the image index).
 */
export const ecrUntaggedPush = (() => {
  const { 'image-tag': _tag, ...detail } = ecrImagePush.detail;
  return {
    ...ecrImagePush,
    id: '4f6a2b1c-untagged-child-manifest',
    detail: {
      ...detail,
      'image-digest': 'sha256:0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c',
    },
  };
})();

/** The ECR sample as a failed push (`result` is `FAILURE` where a push did not complete). */
export const ecrFailedPush = {
  ...ecrImagePush,
  id: '5a7b3c2d-failed-push',
  detail: { ...ecrImagePush.detail, result: 'FAILURE' },
};
