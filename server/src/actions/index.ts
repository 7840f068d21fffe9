/** Actions and runs (`/api/v1/actions`, `/api/v1/runs`; docs/actions.md). */

export {
  type ActionsDeps,
  createActionsService,
  defaultExecuteGrant,
  defaultRunTimeoutMs,
  type PlexusActions,
} from './actions-service.ts';
export { createInvokers, type InvokerRegistry } from './invokers/index.ts';
export { actionRoutes, runReportRoutes } from './routes.ts';
export { createSecretBox, loadSecretsKey, mask, type SecretBox } from './secrets.ts';
export type * from './types.ts';
