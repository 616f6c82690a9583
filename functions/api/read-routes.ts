/**
 * The routes that only read: the deployments, one deployment, its execution, the groups.
 */
import { deploymentId, type Routes } from './http.ts';
import { getDeployment, getExecution, listDeployments, listGroups } from './views.ts';

/** Served on AWS by the Api function (functions/handlers/api.ts). */
export const READ_ROUTES: Routes = [
  {
    shape: ['deployments'],
    methods: { GET: async (ctx, req) => ({ status: 200, body: await listDeployments(ctx, req.query) }) },
  },
  {
    shape: ['deployments', ':id'],
    methods: {
      GET: async (ctx, _, [id = '']) => ({ status: 200, body: await getDeployment(ctx, deploymentId(id)) }),
    },
  },
  {
    shape: ['deployments', ':id', 'execution'],
    methods: {
      GET: async (ctx, req, [id = '']) => ({
        status: 200,
        body: await getExecution(ctx, deploymentId(id), req.query),
      }),
    },
  },
  { shape: ['groups'], methods: { GET: async (ctx) => ({ status: 200, body: await listGroups(ctx) }) } },
];
