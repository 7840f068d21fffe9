export { ownerTypesOf, readMeSummary } from './me-summary.ts';
export { homeRoutes } from './routes.ts';
