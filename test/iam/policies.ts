/**
 * The identity policies of stepshift's functions, as the synthesized template gives them, with every
 * `Ref`, `Fn::GetAtt` and `Fn::Join` resolved to the concrete ARN it would have in the test's account,
 * Region and partition (`Fn::Select` of an `Fn::Split` included). A resource the stack creates gets the physical name the handler tests use for
 * it (the table, the dead-letter queue, the state machine) or else its logical id; an intrinsic this
 * cannot resolve fails loudly rather than be compared as text.
 */
import type { Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { FnName, StepShiftFunctions } from '../../infra/functions.ts';
import { ACCOUNT, PARTITION, REGION } from './config.ts';

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: Record<string, unknown>[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface CfnResource {
  Type: string;
  Properties?: Record<string, Json>;
}

const PSEUDO: Record<string, string> = {
  'AWS::Partition': PARTITION,
  'AWS::Region': REGION,
  'AWS::AccountId': ACCOUNT,
  'AWS::URLSuffix': 'amazonaws.com',
};

/** Ref and Fn::GetAtt of the resource types stepshift's grants name, from a physical name. */
const ATTRIBUTES: Record<string, (name: string) => Record<string, string>> = {
  'AWS::DynamoDB::GlobalTable': (name) => ({
    Ref: name,
    Arn: `arn:${PARTITION}:dynamodb:${REGION}:${ACCOUNT}:table/${name}`,
  }),
  'AWS::DynamoDB::Table': (name) => ({
    Ref: name,
    Arn: `arn:${PARTITION}:dynamodb:${REGION}:${ACCOUNT}:table/${name}`,
  }),
  'AWS::SQS::Queue': (name) => ({
    Ref: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`,
    QueueUrl: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`,
    QueueName: name,
    Arn: `arn:${PARTITION}:sqs:${REGION}:${ACCOUNT}:${name}`,
  }),
  'AWS::StepFunctions::StateMachine': (name) => ({
    Ref: `arn:${PARTITION}:states:${REGION}:${ACCOUNT}:stateMachine:${name}`,
    Arn: `arn:${PARTITION}:states:${REGION}:${ACCOUNT}:stateMachine:${name}`,
    Name: name,
  }),
  'AWS::Lambda::Function': (name) => ({
    Ref: name,
    Arn: `arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:function:${name}`,
  }),
  'AWS::Logs::LogGroup': (name) => ({
    Ref: name,
    Arn: `arn:${PARTITION}:logs:${REGION}:${ACCOUNT}:log-group:${name}:*`,
  }),
  'AWS::IAM::Role': (name) => ({ Ref: name, Arn: `arn:${PARTITION}:iam::${ACCOUNT}:role/${name}` }),
};

/**
 * Resolves the intrinsics of a synthesized `template`, naming the resources by `names` (logical id →
 * physical name; others are named by their logical id).
 */
export function resolver(template: Template, names: Record<string, string>) {
  const resources = (template.toJSON() as { Resources: Record<string, CfnResource> }).Resources;
  const attribute = (logicalId: string, attr: string): string => {
    const resource = resources[logicalId];
    if (!resource) throw new Error(`no resource ${logicalId} in the template`);
    const of = ATTRIBUTES[resource.Type];
    const value = of?.(names[logicalId] ?? logicalId)[attr];
    if (value === undefined) throw new Error(`cannot resolve ${attr} of ${logicalId} (${resource.Type})`);
    return value;
  };
  const resolve = (value: Json): Json => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === 'Ref') {
      const ref = String(value.Ref);
      return PSEUDO[ref] ?? attribute(ref, 'Ref');
    }
    if (keys.length === 1 && keys[0] === 'Fn::GetAtt') {
      const [id, attr] = value['Fn::GetAtt'] as [string, string];
      return attribute(id, attr);
    }
    if (keys.length === 1 && keys[0] === 'Fn::Join') {
      const [separator, parts] = value['Fn::Join'] as [string, Json[]];
      return parts.map((p) => String(resolve(p))).join(separator);
    }
    // The state machine's name, as CDK derives it from its ARN: Fn::Select 6 of Fn::Split ':'.
    if (keys.length === 1 && keys[0] === 'Fn::Split') {
      const [separator, source] = value['Fn::Split'] as [string, Json];
      return String(resolve(source)).split(separator);
    }
    if (keys.length === 1 && keys[0] === 'Fn::Select') {
      const [index, list] = value['Fn::Select'] as [number, Json];
      const items = resolve(list);
      if (!Array.isArray(items) || items[Number(index)] === undefined) {
        throw new Error(`cannot resolve ${JSON.stringify(value)}`);
      }
      return items[Number(index)] ?? null;
    }
    if (keys.some((k) => k.startsWith('Fn::'))) throw new Error(`cannot resolve ${JSON.stringify(value)}`);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)]));
  };
  return { resources, resolve };
}

/**
 * The statements each function's role is given by the stack's own policies, resolved. AWS managed
 * policies (log writing) are left out: no recorded call needs them.
 */
export function functionPolicies(
  stack: Stack,
  template: Template,
  functions: StepShiftFunctions,
  names: Record<string, string>,
): Record<FnName, PolicyDocument> {
  const { resources, resolve } = resolver(template, names);
  const logicalId = (element: unknown) => stack.resolve((element as { logicalId: string }).logicalId);
  const out = {} as Record<FnName, PolicyDocument>;
  for (const [name, fn] of Object.entries(functions) as [FnName, StepShiftFunctions[FnName]][]) {
    const role = fn?.role?.node.defaultChild;
    if (!role) throw new Error(`${name} has no role`);
    const roleId = logicalId(role);
    const statements = Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .filter((r) => JSON.stringify(r.Properties?.Roles ?? []).includes(`{"Ref":"${roleId}"}`))
      .flatMap((r) => (r.Properties?.PolicyDocument as { Statement?: Json[] } | undefined)?.Statement ?? [])
      .map((s) => resolve(s) as Record<string, unknown>);
    out[name] = { Version: '2012-10-17', Statement: statements };
  }
  return out;
}
