/**
 * What the `npm start` demo deploys, made with the same rehearsal operations a user has
 * (`stepshift local publish|image`). For the example config: a healthy orders-api canary, a bad payments
 * version its alarm rolls back, a checkout version with a subtle regression that only canary analysis
 * catches, and a new web image on ECS. For any other config: one healthy revision per group, so that
 * `stepshift local --config my.json` shows the user's own groups deploying.
 */
import type { GroupConfig } from '../functions/core/group-config.ts';
import { BROKEN } from './behaviour.ts';
import type { Rehearsal } from './rehearsal.ts';

export interface DemoDeployment {
  group: string;
  title: string;
  /** Publishes (or describes) the revision right before it is deployed; returns it. */
  revision: () => string;
}

const EXAMPLE_GROUPS = ['orders-api', 'payments', 'checkout', 'web'];

/**
 * Checkout's new version: 4 % of requests fail, against its live version's 0.5 % (stepshift.local.json).
 * At the 10 % canary the alias fails 0.9 × 0.5 % + 0.1 × 4 % ≈ 0.85 %: well under the 2 % its alarm is
 * tuned to for the fleet, while analysis holds the version to 0.5 % × 1.5 + 0.5 % = 1.25 %.
 */
export const SUBTLE_REGRESSION = { errorRate: 0.04, latencyMs: 80 };

export function demoDeployments(rehearsal: Rehearsal, config: GroupConfig, now: number): DemoDeployment[] {
  const groups = config.groups;
  const through = (group: string) => groups[group]?.deploymentConfig.name ?? '';
  const stamp = new Date(now).toISOString().replace(/\D/g, '').slice(0, 12);
  if (EXAMPLE_GROUPS.every((g) => Object.hasOwn(groups, g))) {
    return [
      {
        group: 'orders-api',
        title: `a healthy version of orders-api through ${through('orders-api')}`,
        revision: () => rehearsal.publishVersion('orders-api').version,
      },
      {
        group: 'payments',
        title: `a bad version of payments (35 % errors) through ${through('payments')}`,
        revision: () => rehearsal.publishVersion('payments', BROKEN).version,
      },
      {
        group: 'checkout',
        title: `a subtly worse version of checkout (4 % errors, against 0.5 %) through ${through('checkout')}: its alias alarm stays OK, canary analysis catches it`,
        revision: () => rehearsal.publishVersion('checkout', SUBTLE_REGRESSION).version,
      },
      {
        group: 'web',
        title: `a new image of web on ECS through ${through('web')}: install, test traffic, canary, scale-down`,
        revision: () => rehearsal.describeImage('web', `shop/web:release-${stamp}`).image,
      },
    ];
  }
  return Object.values(groups).flatMap((g): DemoDeployment[] => {
    if (g.kind === 'lambda') {
      return [
        {
          group: g.name,
          title: `a healthy version of ${g.name} through ${g.deploymentConfig.name}`,
          revision: () => rehearsal.publishVersion(g.name).version,
        },
      ];
    }
    // An image revision needs the container it replaces; without one the group deploys task definitions only.
    if (!g.target.container) return [];
    return [
      {
        group: g.name,
        title: `a healthy image of ${g.name} on ECS through ${g.deploymentConfig.name}`,
        revision: () => rehearsal.describeImage(g.name, `${g.name}:demo-${stamp}`).image,
      },
    ];
  });
}
