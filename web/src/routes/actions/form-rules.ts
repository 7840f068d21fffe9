/**
 * The form rules action forms run: the implementation in @plexus/contract (isomorphic: JSONata
 * and plain TypeScript), the same code that validates a run's inputs, so the form and the server
 * cannot disagree about what is visible, required or valid.
 */
export { formRules } from '@plexus/contract';
