/** Kinesis sequence numbers, shared by the router and the redrive tool. Dependency-free. */

/**
 * Orders Kinesis sequence numbers: decimal strings of up to 128 digits, compared numerically
 * (a shorter string is a smaller number; equal lengths compare as text).
 */
export function compareSequenceNumbers(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
