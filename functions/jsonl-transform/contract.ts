/**
 * The byte-level contract validator moved to lib/contract-validator.ts (shared with the collector,
 * which must not import this function's folder); re-exported so that existing imports keep working.
 */
export * from '../../lib/contract-validator';
