/**
 * Moved to lib/contract-formats.ts (shared with the collector); re-exported so that existing
 * imports keep working.
 */
export * from '../../lib/contract-formats';
