/**
 * The event-pattern matcher against the cases AWS documents: each row is a pattern, an event, and
 * whether EventBridge matches them, taken from the page cited above its table (patterns and events
 * copied from the page; a negative row changes the one field the page's text says decides).
 */
import { describe, expect, it } from 'vitest';
import { InvalidEventPattern, matchesEventPattern } from '../../local/event-pattern.ts';

type Case = [name: string, pattern: unknown, event: unknown, expected: boolean];

const check = (cases: Case[]) =>
  it.each(cases)('%s', (_name, pattern, event, expected) => {
    // Act
    const matched = matchesEventPattern(pattern, event);
    // Assess
    expect(matched).toBe(expected);
  });

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html and
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern.html (the EC2 example, matching values)
const ec2 = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};
const ec2Termination = {
  source: ['aws.ec2'],
  'detail-type': ['EC2 Instance State-change Notification'],
  detail: { state: ['terminated'] },
};

describe('exact values, ANDed fields and ORed values (EventBridge user guide, event patterns)', () => {
  check([
    ['the EC2 instance-termination pattern matches the termination event', ec2Termination, ec2, true],
    [
      'it does not match a running instance',
      ec2Termination,
      { ...ec2, detail: { ...ec2.detail, state: 'running' } },
      false,
    ],
    [
      'a source listed among others matches ("aws.ec2" or "aws.fargate")',
      { source: ['aws.ec2', 'aws.fargate'] },
      ec2,
      true,
    ],
    ['values are compared case-sensitively', { source: ['AWS.EC2'] }, ec2, false],
    ['a field the event lacks does not match', { detail: { 'instance-type': ['t3.micro'] } }, ec2, false],
    [
      'a field nested deeper than the event goes does not match',
      { detail: { state: { name: ['terminated'] } } },
      ec2,
      false,
    ],
  ]);
});

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html#eb-filtering-data-types (Macie value matching)
const macie = {
  version: '0',
  id: '3e355723-fca9-4de3-9fd7-154c289d6b59',
  'detail-type': 'Macie Alert',
  source: 'aws.macie',
  account: '123456789012',
  time: '2017-04-24T22:28:49Z',
  region: 'us-east-1',
  resources: [
    'arn:aws:macie:us-east-1:123456789012:trigger/trigger_id/alert/alert_id',
    'arn:aws:macie:us-east-1:123456789012:trigger/trigger_id',
  ],
  detail: {
    'notification-type': 'ALERT_CREATED',
    name: 'Scanning bucket policies',
    tags: ['Custom_Alert', 'Insider'],
    url: 'https://lb00.us-east-1.macie.aws.amazon.com/111122223333/posts/alert_id',
    'alert-arn': 'arn:aws:macie:us-east-1:123456789012:trigger/trigger_id/alert/alert_',
    'risk-score': 80,
    trigger: {
      'rule-arn': 'arn:aws:macie:us-east-1:123456789012:trigger/trigger_id',
      'alert-type': 'basic',
      'created-at': '2017-01-02 19:54:00.644000',
      description: 'Alerting on failed enumeration of large number of bucket policies',
      risk: 8,
    },
    'created-at': '2017-04-18T00:21:12.059000',
  },
};
const macieRisk = {
  source: ['aws.macie'],
  'detail-type': ['Macie Alert'],
  detail: { 'risk-score': [80], trigger: { risk: [8] } },
};

describe('numbers and nested objects (EventBridge user guide, value matching)', () => {
  check([
    ['a risk score of 80 and a trigger risk of 8 match', macieRisk, macie, true],
    [
      'a trigger risk of 9 does not',
      macieRisk,
      { ...macie, detail: { ...macie.detail, trigger: { ...macie.detail.trigger, risk: 9 } } },
      false,
    ],
    ['a number does not match its string', { detail: { 'risk-score': ['80'] } }, macie, false],
    ['a value matches an element of an event array (tags)', { detail: { tags: ['Insider'] } }, macie, true],
  ]);
});

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-null-values.html
const autoscaling = {
  version: '0',
  id: '3e3c153a-8339-4e30-8c35-687ebef853fe',
  'detail-type': 'EC2 Instance Launch Successful',
  source: 'aws.autoscaling',
  account: '123456789012',
  time: '2015-11-11T21:31:47Z',
  region: 'us-east-1',
  resources: [],
  detail: { eventVersion: '', responseElements: null },
};

describe('null values and empty strings (EventBridge user guide)', () => {
  check([
    ['[""] matches an empty string', { detail: { eventVersion: [''] } }, autoscaling, true],
    ['[null] matches null', { detail: { responseElements: [null] } }, autoscaling, true],
    [
      '[""] does not match null: they are not interchangeable',
      { detail: { responseElements: [''] } },
      autoscaling,
      false,
    ],
    ['[null] does not match an empty string', { detail: { eventVersion: [null] } }, autoscaling, false],
    ['[null] does not match a missing field', { detail: { userId: [null] } }, autoscaling, false],
    [
      'the field-matching example on responseElements matches',
      {
        source: ['aws.autoscaling'],
        'detail-type': ['EC2 Instance Launch Successful'],
        detail: { responseElements: [null] },
      },
      autoscaling,
      true,
    ],
  ]);
});

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html
const asgResources = [
  'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
  'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
];
const resourcesPattern = {
  resources: [
    'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
    'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
    'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
  ],
};
// https://github.com/aws/event-ruler#json-array-matching (arrays of objects)
const employees = {
  employees: [
    { firstName: 'John', lastName: 'Doe' },
    { firstName: 'Anna', lastName: 'Smith' },
    { firstName: 'Peter', lastName: 'Jones' },
  ],
};

describe('arrays in events (EventBridge user guide; Event Ruler, JSON array matching)', () => {
  check([
    [
      'a pattern array matches when it shares an element with the event array',
      resourcesPattern,
      { resources: asgResources },
      true,
    ],
    [
      'it does not when they share none',
      resourcesPattern,
      { resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-00000000'] },
      false,
    ],
    ['a field inside an array of objects matches', { employees: { firstName: ['Anna'] } }, employees, true],
    [
      'two fields match within one element of the array',
      { employees: { firstName: ['Anna'], lastName: ['Smith'] } },
      employees,
      true,
    ],
    [
      'two fields found in different elements do not match (array-consistent)',
      { employees: { firstName: ['Anna'], lastName: ['Jones'] } },
      employees,
      false,
    ],
    [
      'arrays nested in arrays are crushed out',
      { employees: { firstName: ['Peter'] } },
      {
        employees: [
          [
            { firstName: 'John', lastName: 'Doe' },
            { firstName: 'Anna', lastName: 'Smith' },
          ],
          [{ firstName: 'Peter', lastName: 'Jones' }],
        ],
      },
      true,
    ],
  ]);
});

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html (content filtering)
// and the sample event of https://github.com/aws/event-ruler#ruler-by-example
const ruler = {
  version: '0',
  id: 'ddddd4-aaaa-7777-4444-345dd43cc333',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '012345679012',
  time: '2017-10-02T16:24:49Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
  detail: {
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.33',
    'instance-id': 'i-000000aaaaaa00000',
    state: 'running',
  },
};
const withDetail = (detail: Record<string, unknown>) => ({
  ...ruler,
  detail: { ...ruler.detail, ...detail },
});

describe('prefix, suffix and equals-ignore-case', () => {
  check([
    ['prefix "2017-10-02" matches that day', { time: [{ prefix: '2017-10-02' }] }, ruler, true],
    ['prefix does not match another day', { time: [{ prefix: '2017-10-03' }] }, ruler, false],
    ['prefix "us-": the region is in the US', { region: [{ prefix: 'us-' }] }, ruler, true],
    ['prefix is case-sensitive', { region: [{ prefix: 'US-' }] }, ruler, false],
    ['prefix matches only strings', { detail: { 'c-count': [{ prefix: '5' }] } }, ruler, false],
    [
      'prefix with equals-ignore-case matches "EventBridge" for "eventb"',
      { service: [{ prefix: { 'equals-ignore-case': 'eventb' } }] },
      { service: 'EventBridge' },
      true,
    ],
    [
      'prefix with equals-ignore-case does not match another service',
      { service: [{ prefix: { 'equals-ignore-case': 'eventb' } }] },
      { service: 'SQS' },
      false,
    ],
    [
      'suffix ".png": the file name ends with .png',
      { FileName: [{ suffix: '.png' }] },
      { FileName: 'icon.png' },
      true,
    ],
    ['suffix is case-sensitive', { FileName: [{ suffix: '.png' }] }, { FileName: 'ICON.PNG' }, false],
    [
      'suffix with equals-ignore-case matches "TBRIDGE"',
      { service: [{ suffix: { 'equals-ignore-case': 'tbridge' } }] },
      { service: 'EVENTBRIDGE' },
      true,
    ],
    ['suffix "ec2" matches the source aws.ec2', { source: [{ suffix: 'ec2' }] }, ruler, true],
    [
      'equals-ignore-case matches the detail type in lower case',
      { 'detail-type': [{ 'equals-ignore-case': 'ec2 instance state-change notification' }] },
      ruler,
      true,
    ],
    [
      'equals-ignore-case "alice" matches "Alice"',
      { Name: [{ 'equals-ignore-case': 'alice' }] },
      { Name: 'Alice' },
      true,
    ],
    [
      'equals-ignore-case is still equality, not a prefix',
      { Name: [{ 'equals-ignore-case': 'alice' }] },
      { Name: 'Alicia' },
      false,
    ],
    ['an exact "Alice" does not match "alice"', { Name: ['Alice'] }, { Name: 'alice' }, false],
  ]);
});

describe('wildcard', () => {
  check([
    [
      '"dir/*.png" matches a png in dir',
      { FileName: [{ wildcard: 'dir/*.png' }] },
      { FileName: 'dir/icon.png' },
      true,
    ],
    [
      '"dir/*.png" does not match a jpg',
      { FileName: [{ wildcard: 'dir/*.png' }] },
      { FileName: 'dir/icon.jpg' },
      false,
    ],
    [
      'a wildcard is anchored at both ends',
      { FileName: [{ wildcard: 'dir/*.png' }] },
      { FileName: 'x/dir/icon.png' },
      false,
    ],
    [
      'an event-bus ARN in any account of us-east-1',
      { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] },
      { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/default' },
      true,
    ],
    [
      'not one in eu-west-1',
      { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] },
      { EventBusArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/default' },
      false,
    ],
    [
      '"Simple*Service" matches "SimpleQueueService"',
      { source: [{ wildcard: 'Simple*Service' }] },
      { source: 'SimpleQueueService' },
      true,
    ],
    ['an escaped star is a star', { name: [{ wildcard: 'a\\*b' }] }, { name: 'a*b' }, true],
    ['an escaped star is not a wildcard', { name: [{ wildcard: 'a\\*b' }] }, { name: 'axb' }, false],
    ['an escaped backslash is a backslash', { path: [{ wildcard: 'C:\\\\*' }] }, { path: 'C:\\temp' }, true],
  ]);
});

describe('anything-but', () => {
  check([
    [
      'anything but "initializing" matches "running"',
      { detail: { state: [{ 'anything-but': 'initializing' }] } },
      ruler,
      true,
    ],
    [
      'anything but "initializing" does not match "initializing"',
      { detail: { state: [{ 'anything-but': 'initializing' }] } },
      withDetail({ state: 'initializing' }),
      false,
    ],
    ['anything but 123 matches 301.8', { detail: { 'x-limit': [{ 'anything-but': 123 }] } }, ruler, true],
    [
      'anything but a list of strings',
      { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
      ruler,
      true,
    ],
    [
      'anything but a list of strings, when the value is listed',
      { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
      withDetail({ state: 'stopped' }),
      false,
    ],
    [
      'anything but a list of numbers, when the value is listed',
      { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } },
      withDetail({ 'x-limit': 200 }),
      false,
    ],
    [
      'anything but the prefix "init"',
      { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
      ruler,
      true,
    ],
    [
      'anything but the prefix "init", for "initializing"',
      { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
      withDetail({ state: 'initializing' }),
      false,
    ],
    [
      'a Region not in the US',
      { Region: [{ 'anything-but': { prefix: 'us-' } }] },
      { Region: 'eu-west-1' },
      true,
    ],
    [
      'a Region in the US is excluded',
      { Region: [{ 'anything-but': { prefix: 'us-' } }] },
      { Region: 'us-east-1' },
      false,
    ],
    [
      'a FileName not ending in .png',
      { FileName: [{ 'anything-but': { suffix: '.png' } }] },
      { FileName: 'a.jpg' },
      true,
    ],
    [
      'a FileName ending in .png is excluded',
      { FileName: [{ 'anything-but': { suffix: '.png' } }] },
      { FileName: 'a.png' },
      false,
    ],
    [
      'anything but "initializing" ignoring case excludes "INITIALIZING"',
      { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] },
      { state: 'INITIALIZING' },
      false,
    ],
    [
      'anything but a list ignoring case',
      { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'OverLoaded'] } }] },
      { state: 'running' },
      true,
    ],
    [
      'anything but a list ignoring case excludes "overloaded"',
      { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'OverLoaded'] } }] },
      { state: 'overloaded' },
      false,
    ],
    [
      'a path not including /lib/',
      { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] },
      { FilePath: '/usr/bin/tool' },
      true,
    ],
    [
      'a path including /lib/ is excluded',
      { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] },
      { FilePath: '/usr/lib/tool' },
      false,
    ],
    [
      'anything but a list of wildcards',
      { FilePath: [{ 'anything-but': { wildcard: ['*/lib/*', '*/bin/*'] } }] },
      { FilePath: '/usr/bin/tool' },
      false,
    ],
    [
      'Weather anything but "Raining" matches "Sunny"',
      { Weather: [{ 'anything-but': ['Raining'] }] },
      { Weather: 'Sunny' },
      true,
    ],
    [
      'anything-but needs the field to be there',
      { Weather: [{ 'anything-but': ['Raining'] }] },
      { Day: 'Monday' },
      false,
    ],
    [
      'all but CloudTrail API calls',
      { 'detail-type': [{ 'anything-but': 'AWS API Call via CloudTrail' }] },
      ruler,
      true,
    ],
    [
      'only your own events: source not beginning with "aws."',
      { source: [{ 'anything-but': { prefix: 'aws.' } }] },
      ruler,
      false,
    ],
  ]);
});

describe('numeric', () => {
  const counts = {
    detail: {
      'c-count': [{ numeric: ['>', 0, '<=', 5] }],
      'd-count': [{ numeric: ['<', 10] }],
      'x-limit': [{ numeric: ['=', 3.018e2] }],
    },
  };
  check([
    ['the three numeric fields of the example all hold', counts, ruler, true],
    ['c-count 6 is out of (0, 5]', counts, withDetail({ 'c-count': 6 }), false],
    ['c-count 0 is out of (0, 5]', counts, withDetail({ 'c-count': 0 }), false],
    ['x-limit must equal 301.8', counts, withDetail({ 'x-limit': 301.9 }), false],
    ['Price = 100', { Price: [{ numeric: ['=', 100] }] }, { Price: 100 }, true],
    ['Price in (10, 20] includes 20', { Price: [{ numeric: ['>', 10, '<=', 20] }] }, { Price: 20 }, true],
    ['Price in (10, 20] excludes 10', { Price: [{ numeric: ['>', 10, '<=', 20] }] }, { Price: 10 }, false],
    [
      'numeric matches only JSON numbers',
      { Price: [{ numeric: ['>', 10, '<=', 20] }] },
      { Price: '15' },
      false,
    ],
    ['a numeric range with >= and <', { n: [{ numeric: ['>=', 1, '<', 2] }] }, { n: 1 }, true],
  ]);
});

describe('IP addresses (cidr)', () => {
  check([
    ['10.0.0.33 is in 10.0.0.0/24', { detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } }, ruler, true],
    [
      '10.0.1.0 is not',
      { detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } },
      withDetail({ 'source-ip': '10.0.1.0' }),
      false,
    ],
    ['10.0.0.255 is the last of 10.0.0.0/24', { ip: [{ cidr: '10.0.0.0/24' }] }, { ip: '10.0.0.255' }, true],
    [
      'an IPv6 address in 2001:db8::/32',
      { ip: [{ cidr: '2001:db8::/32' }] },
      { ip: '2001:db8:1234:1a00::1' },
      true,
    ],
    ['an IPv6 address outside it', { ip: [{ cidr: '2001:db8::/32' }] }, { ip: '2001:db9::1' }, false],
    [
      'an IPv4 address is not in an IPv6 block',
      { ip: [{ cidr: '2001:db8::/32' }] },
      { ip: '10.0.0.1' },
      false,
    ],
    [
      'an IPv6 address is not in an IPv4 block',
      { ip: [{ cidr: '10.0.0.0/8' }] },
      { ip: '2001:db8::1' },
      false,
    ],
    [
      'a string that is not an address does not match',
      { ip: [{ cidr: '10.0.0.0/8' }] },
      { ip: 'localhost' },
      false,
    ],
  ]);
});

describe('exists', () => {
  check([
    ['exists: true matches a present field', { detail: { 'c-count': [{ exists: true }] } }, ruler, true],
    ['exists: false matches an absent field', { detail: { 'e-count': [{ exists: false }] } }, ruler, true],
    [
      'exists: false does not match a present field',
      { detail: { 'c-count': [{ exists: false }] } },
      ruler,
      false,
    ],
    [
      'exists: false matches a field that is not a leaf (c-count: {c1: 100})',
      { detail: { 'c-count': [{ exists: false }] } },
      { detail: { state: ['initializing', 'running'], 'c-count': { c1: 100 } } },
      true,
    ],
    [
      'exists: true on detail.state matches the pending instance',
      { detail: { state: [{ exists: true }] } },
      {
        version: '0',
        id: '7bf73129-1428-4cd3-a780-95db273d1602',
        'detail-type': 'EC2 Instance State-change Notification',
        source: 'aws.ec2',
        account: '123456789012',
        time: '2015-11-11T21:29:54Z',
        region: 'us-east-1',
        resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
        detail: { 'instance-id': 'i-abcd1111', state: 'pending' },
      },
      true,
    ],
    [
      'exists: true on detail.state does not match an event without it',
      { detail: { state: [{ exists: true }] } },
      {
        'detail-type': ['EC2 Instance State-change Notification'],
        resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341'],
        detail: { 'c-count': { c1: 100 } },
      },
      false,
    ],
    [
      'exists: false matches when the parent object is missing too',
      { detail: { 'c-count': [{ exists: false }] } },
      { source: 'x' },
      true,
    ],
  ]);
});

describe('$or', () => {
  const normalOr = {
    source: ['aws.cloudwatch'],
    $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
  };
  const nestedOr = {
    source: ['aws.cloudwatch'],
    $or: [
      { metricName: ['CPUUtilization', 'ReadLatency'] },
      {
        metricType: ['MetricType'],
        namespace: ['AWS/EC2', 'AWS/ES'],
        $or: [{ metricId: [1234] }, { spaceId: [1000] }],
      },
      { scope: ['Service'] },
    ],
  };
  check([
    [
      'Location is "New York", or Day is "Monday"',
      { $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] },
      { Location: 'Boston', Day: 'Monday' },
      true,
    ],
    [
      'neither holds',
      { $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] },
      { Location: 'Boston', Day: 'Tuesday' },
      false,
    ],
    [
      'source and (metricName or namespace): the namespace holds',
      normalOr,
      { source: 'aws.cloudwatch', namespace: 'AWS/EC2' },
      true,
    ],
    [
      'the $or branches are ANDed with the source',
      normalOr,
      { source: 'aws.ec2', namespace: 'AWS/EC2' },
      false,
    ],
    ['no branch holds', normalOr, { source: 'aws.cloudwatch', metricName: 'NetworkIn' }, false],
    [
      '$or inside an object (parallel or)',
      {
        $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
        detail: {
          $or: [{ source: ['aws.cloudwatch'] }, { 'detail-type': ['CloudWatch Alarm State Change'] }],
        },
      },
      { metricName: 'ReadLatency', detail: { 'detail-type': 'CloudWatch Alarm State Change' } },
      true,
    ],
    [
      'nested or and and: metricType, namespace and metricId hold',
      nestedOr,
      { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/ES', metricId: 1234 },
      true,
    ],
    [
      'nested or and and: the inner $or fails',
      nestedOr,
      { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/ES', metricId: 1 },
      false,
    ],
    [
      'the content-filtering numeric $or',
      {
        detail: {
          $or: [
            { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] },
            { 'd-count': [{ numeric: ['<', 10] }] },
            { 'x-limit': [{ numeric: ['=', 3.018e2] }] },
          ],
        },
      },
      withDetail({ 'c-count': 50, 'd-count': 50, 'x-limit': 301.8 }),
      true,
    ],
  ]);
});

describe('a combination of operators (content filtering, complex example)', () => {
  check([
    [
      'prefix, anything-but, numeric and cidr together',
      {
        time: [{ prefix: '2017-10-02' }],
        detail: {
          state: [{ 'anything-but': 'initializing' }],
          'c-count': [{ numeric: ['>', 0, '<=', 5] }],
          'd-count': [{ numeric: ['<', 10] }],
          'x-limit': [{ 'anything-but': [100, 200, 300] }],
          'source-ip': [{ cidr: '10.0.0.0/8' }],
        },
      },
      ruler,
      true,
    ],
    [
      'the simple-matching rule of Event Ruler',
      {
        'detail-type': ['EC2 Instance State-change Notification'],
        resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
        detail: { state: ['initializing', 'running'] },
      },
      ruler,
      true,
    ],
  ]);
});

describe('patterns EventBridge refuses', () => {
  const refused: [name: string, pattern: unknown, message: RegExp][] = [
    ['an empty pattern', {}, /at \(root\): a pattern names at least one field/],
    ['a pattern that is not an object', ['aws.ec2'], /a pattern is a JSON object/],
    [
      'a bare value instead of a list',
      { detail: { state: 'running' } },
      /at detail.state: must be an array of values or an object/,
    ],
    ['an empty list', { source: [] }, /at source: must list at least one value/],
    [
      'two operators in one object',
      { source: [{ prefix: 'a', suffix: 'b' }] },
      /at source\[0\]: an operator object has exactly one key/,
    ],
    ['an unknown operator', { source: [{ contains: 'ec2' }] }, /unknown operator "contains"/],
    ['consecutive wildcards', { f: [{ wildcard: 'dir/**.png' }] }, /consecutive \* are not allowed/],
    ['a backslash escaping a letter', { f: [{ wildcard: 'a\\b' }] }, /a backslash escapes only \* or \\/],
    ['a numeric range the wrong way round', { n: [{ numeric: ['>', 10, '<', 5] }] }, /numeric takes/],
    ['a numeric bound that is a string', { n: [{ numeric: ['<', '10'] }] }, /numeric takes/],
    ['an unknown numeric operator', { n: [{ numeric: ['!=', 1] }] }, /numeric takes/],
    [
      'anything-but with mixed strings and numbers',
      { f: [{ 'anything-but': ['a', 1] }] },
      /only strings or only numbers/,
    ],
    ['anything-but with an empty list', { f: [{ 'anything-but': [] }] }, /only strings or only numbers/],
    [
      'anything-but with a list of prefixes',
      { f: [{ 'anything-but': { prefix: ['a', 'b'] } }] },
      /takes a string/,
    ],
    ['exists with a string', { f: [{ exists: 'yes' }] }, /exists takes true or false/],
    ['a cidr prefix too long', { ip: [{ cidr: '10.0.0.0/33' }] }, /cidr takes an IPv4 or IPv6 block/],
    ['a cidr that is no address', { ip: [{ cidr: 'localhost/8' }] }, /cidr takes an IPv4 or IPv6 block/],
    ['$or that is not a list', { $or: { a: ['1'] } }, /at \$or: must be an array of sub-patterns/],
    ['a value that is an array', { f: [['a']] }, /must be a string, number, boolean, null or an operator/],
  ];
  it.each(refused)('throws for %s, naming the field', (_name, pattern, message) => {
    // Act
    const compile = () => matchesEventPattern(pattern, {});
    // Assess
    expect(compile).toThrow(InvalidEventPattern);
    expect(compile).toThrow(message);
  });

  it('matches nothing that is not an event object', () => {
    // Act
    const results = [null, 'aws.ec2', ['aws.ec2'], 42].map((event) =>
      matchesEventPattern({ source: ['aws.ec2'] }, event),
    );
    // Assess
    expect(results).toEqual([false, false, false, false]);
  });
});
