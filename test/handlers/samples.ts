/** Event samples as AWS documents them (EventBridge user guide, S3, ECR and CloudWatch chapters). */
// The S3 (event-version 1.1) and ECR samples are kept once, with AWS's other samples.
export { ecrImagePush, s3ObjectCreated } from '../events/aws-samples.ts';

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
