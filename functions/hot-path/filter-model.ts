/**
 * The model of Lambda's event filtering on Kinesis records lives in lib/event-filter.ts, shared with
 * the local runtime (`tracking dev`); re-exported here for the hot path's tests and benchmark.
 */
export { eventPasses, leafMatches, nodeMatches, recordPasses } from '../../lib/event-filter';
