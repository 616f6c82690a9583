/**
 * The ALB side of an ECS group: the weights of the forward action of a listener's default actions
 * (`ModifyListener`) or of a listener rule (`ModifyRule`). Only the forward action's target-group weights
 * change; every other action, their order, and the target-group stickiness stay exactly as they were (an
 * OIDC action's client secret by reference: see `keepingSecrets`).
 */
import {
  type Action,
  DescribeListenersCommand,
  DescribeRulesCommand,
  type ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { type AlbRouting, albRuleBroken } from '../core/alb.ts';
import { StepShiftError } from '../core/errors.ts';
import type { ForwardLocation, LoadBalancer } from '../ports.ts';
import { call } from './errors.ts';

export class AlbRouter implements LoadBalancer {
  constructor(private readonly client: ElasticLoadBalancingV2Client) {}

  async current(where: ForwardLocation): Promise<AlbRouting> {
    return routingOf(forwardAction(await this.actions(where)));
  }

  /** Sets the forward action's weights to exactly `routing`. Idempotent. */
  async set(where: ForwardLocation, routing: AlbRouting): Promise<AlbRouting> {
    const broken = albRuleBroken(routing);
    if (broken) throw new StepShiftError(`refusing to send weights AWS would reject: ${broken}`);
    const actions = await this.actions(where);
    const forward = forwardAction(actions);
    const rewritten: Action[] = actions.map((a) => {
      if (a !== forward) return keepingSecrets(a);
      const { TargetGroupArn: _single, ForwardConfig, ...rest } = a;
      return {
        ...rest,
        ForwardConfig: {
          ...ForwardConfig,
          TargetGroups: Object.entries(routing.weights).map(([TargetGroupArn, Weight]) => ({
            TargetGroupArn,
            Weight,
          })),
        },
      };
    });
    if ('listener' in where) {
      await call('ModifyListener', () =>
        this.client.send(
          new ModifyListenerCommand({ ListenerArn: where.listener, DefaultActions: rewritten }),
        ),
      );
    } else {
      await call('ModifyRule', () =>
        this.client.send(new ModifyRuleCommand({ RuleArn: where.rule, Actions: rewritten })),
      );
    }
    return routing;
  }

  private async actions(where: ForwardLocation): Promise<Action[]> {
    if ('listener' in where) {
      const out = await call('DescribeListeners', () =>
        this.client.send(new DescribeListenersCommand({ ListenerArns: [where.listener] })),
      );
      const listener = out.Listeners?.[0];
      if (!listener) throw new StepShiftError(`listener ${where.listener} not found`);
      return listener.DefaultActions ?? [];
    }
    const out = await call('DescribeRules', () =>
      this.client.send(new DescribeRulesCommand({ RuleArns: [where.rule] })),
    );
    const rule = out.Rules?.[0];
    if (!rule) throw new StepShiftError(`listener rule ${where.rule} not found`);
    return rule.Actions ?? [];
  }
}

/**
 * An action as ModifyListener/ModifyRule must receive it back. DescribeListeners/DescribeRules never
 * return an `authenticate-oidc` action's `ClientSecret`, and AWS requires the secret when an action is
 * written unless `UseExistingClientSecret` is true: "This parameter is required if you are creating a
 * rule. If you are modifying a rule, you can omit this parameter if you set UseExistingClientSecret to
 * true." (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_AuthenticateOidcActionConfig.html)
 * So the secret AWS already keeps is referred to, never lost. Cognito actions have no secret.
 */
function keepingSecrets(action: Action): Action {
  const oidc = action.AuthenticateOidcConfig;
  if (action.Type !== 'authenticate-oidc' || !oidc || oidc.ClientSecret !== undefined) return action;
  return { ...action, AuthenticateOidcConfig: { ...oidc, UseExistingClientSecret: true } };
}

function forwardAction(actions: Action[]): Action {
  const forwards = actions.filter((a) => a.Type === 'forward');
  if (forwards.length !== 1) {
    throw new StepShiftError(`expected exactly one forward action, found ${forwards.length}`);
  }
  return forwards[0] as Action;
}

function routingOf(forward: Action): AlbRouting {
  const groups = forward.ForwardConfig?.TargetGroups;
  if (groups && groups.length > 0) {
    return {
      kind: 'ecs',
      weights: Object.fromEntries(groups.map((g) => [g.TargetGroupArn ?? '', g.Weight ?? 1])),
    };
  }
  if (forward.TargetGroupArn) return { kind: 'ecs', weights: { [forward.TargetGroupArn]: 1 } };
  throw new StepShiftError('the forward action names no target group');
}
