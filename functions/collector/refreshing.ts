/** The collector's caches share lib/refreshing.ts with the fan-out router. */
export { Refreshing, type RefreshClock, type RefreshingOptions } from '../../lib/refreshing';
