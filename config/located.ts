/**
 * Problems found in the config before they are located in the YAML file, and small readers of
 * parsed YAML that tolerate any shape (the semantic checks run on whatever parts are readable).
 */

export type PathSegment = string | number;

export interface Located {
  readonly path: readonly PathSegment[];
  readonly message: string;
  /** For unknown keys: point at the key itself rather than the object. */
  readonly key?: string;
}

export const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
export const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const obj = (v: unknown): Record<string, unknown> => (isObj(v) ? v : {});
