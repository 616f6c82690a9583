/** Event samples as AWS documents them (EventBridge user guide, S3, ECR and CloudWatch chapters). */
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
    bucket: { name: 'amzn-s3-demo-bucket1' },
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

export const alarmStateChange = {
  version: '0',
  id: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
  'detail-type': 'CloudWatch Alarm State Change',
  source: 'aws.cloudwatch',
  account: '123456789012',
  time: '2019-10-02T17:04:40Z',
  region: 'us-east-1',
  resources: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-errors'],
  detail: {
    alarmName: 'orders-errors',
    configuration: { description: 'Goes into alarm when the error rate is too high' },
    previousState: {
      reason:
        'Threshold Crossed: 1 out of the last 1 datapoints [0.0 (02/10/19 16:59:00)] was not greater than the threshold (0.05)',
      timestamp: '2019-10-02T17:04:40.985+0000',
      value: 'OK',
    },
    state: {
      reason:
        'Threshold Crossed: 1 out of the last 1 datapoints [0.12 (02/10/19 17:03:00)] was greater than the threshold (0.05)',
      timestamp: '2019-10-02T17:04:40.989+0000',
      value: 'ALARM',
    },
  },
};

export const deploymentRequested = (id: string, detail: Record<string, unknown>) => ({
  version: '0',
  id,
  'detail-type': 'Deployment Requested',
  source: 'stepshift',
  account: '123456789012',
  time: '2026-11-24T10:00:00Z',
  region: 'eu-west-1',
  resources: [],
  detail,
});
