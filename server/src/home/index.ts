export { homeRoutes } from './routes.ts';
export { type MeSummary, ownerTypesOf, readMeSummary } from './me-summary.ts';
