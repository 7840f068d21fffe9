/** The pages of actions, runs and approvals, loaded as one chunk. */
export { ActionEditorPage, ActionsPage } from './actions-page.tsx';
export { ApprovalsPage } from './approvals-page.tsx';
export { RunPage } from './run-page.tsx';
export { RunsPage } from './runs-page.tsx';
