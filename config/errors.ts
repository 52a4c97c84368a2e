/**
 * Typed errors: one base class, one subclass per kind of failure, each setting `name`.
 * Dependency-free, so the Lambdas and the tracker client can share it.
 */

/** Base class of every error this project throws on purpose. */
export class TrackingPipelineError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TrackingPipelineError';
  }
}

/** One problem found in the config file. */
export interface ConfigIssue {
  /** Path in the file, such as `applications[1].eventTypes[3].name`. */
  readonly path: string;
  /** What is wrong and how to fix it. */
  readonly message: string;
  /** 1-based line in the YAML file, when known. */
  readonly line?: number;
  /** 1-based column in the YAML file, when known. */
  readonly column?: number;
}

/** The config is invalid. Carries every problem found, not only the first. */
export class ConfigError extends TrackingPipelineError {
  public readonly issues: readonly ConfigIssue[];
  public readonly file: string;

  public constructor(file: string, issues: readonly ConfigIssue[]) {
    super(formatIssues(file, issues));
    this.name = 'ConfigError';
    this.file = file;
    this.issues = issues;
  }
}

function formatIssues(file: string, issues: readonly ConfigIssue[]): string {
  const lines = issues.map((i) => {
    const where = i.line !== undefined ? `${file}:${i.line}:${i.column ?? 1}` : file;
    return `  - ${where} ${i.path || '(root)'}: ${i.message}`;
  });
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  return `Invalid tracking config (${count}):\n${lines.join('\n')}`;
}
