/** Saved catalog views (`/api/v1/views`). */
export { viewRoutes } from './routes.ts';
export { createViewStore, maxDefinitionBytes, type SavedView, type ViewStore } from './views.ts';
