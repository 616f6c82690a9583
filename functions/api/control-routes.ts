/**
 * The routes that act on a deployment under way or ended: stop, cancel, promote, approve, reject, roll back.
 */
import {
  approveDeployment,
  cancelDeployment,
  promoteDeployment,
  rejectDeployment,
  rollbackDeployment,
  stopDeployment,
} from './control.ts';
import { deploymentId, parseBody, type Routes } from './http.ts';

/** The routes that act on a deployment under way or ended: stop, cancel, promote, approve, reject, roll back. */
export const CONTROL_ROUTES: Routes = [
  {
    shape: ['deployments', ':id', 'stop'],
    methods: {
      POST: async (ctx, req, [id = '']) => ({
        status: 202,
        body: await stopDeployment(ctx, deploymentId(id), parseBody(req.body)),
      }),
    },
  },
  {
    shape: ['deployments', ':id', 'cancel'],
    methods: {
      POST: async (ctx, req, [id = '']) => ({
        status: 200,
        body: await cancelDeployment(ctx, deploymentId(id), parseBody(req.body)),
      }),
    },
  },
  {
    shape: ['deployments', ':id', 'promote'],
    methods: {
      POST: async (ctx, _, [id = '']) => ({
        status: 202,
        body: await promoteDeployment(ctx, deploymentId(id)),
      }),
    },
  },
  {
    shape: ['deployments', ':id', 'approve'],
    methods: {
      POST: async (ctx, _, [id = '']) => ({
        status: 202,
        body: await approveDeployment(ctx, deploymentId(id)),
      }),
    },
  },
  {
    shape: ['deployments', ':id', 'reject'],
    methods: {
      POST: async (ctx, req, [id = '']) => ({
        status: 202,
        body: await rejectDeployment(ctx, deploymentId(id), parseBody(req.body)),
      }),
    },
  },
  {
    shape: ['deployments', ':id', 'rollback'],
    methods: {
      POST: async (ctx, _, [id = '']) => ({
        status: 200,
        body: await rollbackDeployment(ctx, deploymentId(id)),
      }),
    },
  },
];
