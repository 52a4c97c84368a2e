/**
 * Every event type gets Athena tables (data and errors) read as JSON text, so the loader accepts
 * only the Firehose compressions Athena reads as text (GZIP, HADOOP_SNAPPY, UNCOMPRESSED) and
 * refuses ZIP and Snappy with the reason and its source, on an event type and under `defaults`.
 * Sources: Athena User Guide, "Use compression in Athena" and "Use Hive table compression".
 */
import fc from 'fast-check';
import { ConfigError, type ConfigIssue } from '../../config/errors';
import { parseConfig } from '../../config/loader';
import type { TrackingConfig } from '../../config/model';

/** Every compression format Firehose offers for an S3 destination. */
const FIREHOSE_COMPRESSIONS = ['GZIP', 'Snappy', 'ZIP', 'HADOOP_SNAPPY', 'UNCOMPRESSED'] as const;
/** What Athena reads as JSON text (the oracle, from the Athena pages above). */
const ATHENA_READS = new Set(['GZIP', 'HADOOP_SNAPPY', 'UNCOMPRESSED']);

function configWith(defaults: string | undefined, perType: readonly (string | undefined)[]): string {
  const types = perType.map((c, i) => (c === undefined ? `      - t${i}` : `      - { name: t${i}, compression: ${c} }`));
  return `project: acme
${defaults !== undefined ? `defaults:\n  compression: ${defaults}\n` : ''}environments:
  dev: { region: eu-central-1 }
applications:
  - name: web-shop
    eventTypes:
${types.join('\n')}
`;
}

function load(text: string): { config?: TrackingConfig; issues: ConfigIssue[] } {
  try {
    return { config: parseConfig(text, 'tracking.yaml'), issues: [] };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { issues: [...err.issues] };
  }
}

describe('compression of event types with Athena tables', () => {
  it('refuses compression: ZIP on an event type, saying why, with the source', () => {
    // Act
    const { issues } = load(configWith(undefined, ['ZIP']));
    // Assess
    const reasoned = issues.find((i) => i.message.includes('Athena cannot read ZIP files'));
    expect(reasoned).toMatchObject({ path: 'applications[0].eventTypes[0].compression', line: 7 });
    expect(reasoned!.message).toMatch(/^"ZIP": /);
    expect(reasoned!.message).toContain('https://docs.aws.amazon.com/athena/latest/ug/compression-formats.html');
    expect(reasoned!.message).toContain('use GZIP');
  });

  it('refuses defaults.compression: ZIP and Snappy, counting the event types that inherit it', () => {
    for (const value of ['ZIP', 'Snappy']) {
      const { issues } = load(configWith(value, [undefined, undefined, 'GZIP']));
      const reasoned = issues.filter((i) => i.path === 'defaults.compression' && i.message.includes('Athena'));
      expect(reasoned).toHaveLength(1);
      expect(reasoned[0]!.message).toContain('the 2 event type(s) without their own compression inherit it');
      if (value === 'Snappy') {
        expect(reasoned[0]!.message).toContain('Hadoop-compatible framing');
        expect(reasoned[0]!.message).toContain('https://docs.aws.amazon.com/athena/latest/ug/compression-support-hive.html');
        expect(reasoned[0]!.message).toContain('HADOOP_SNAPPY');
      }
    }
  });

  it('reports every unreadable compression at once', () => {
    const { issues } = load(configWith('Snappy', ['ZIP', 'Snappy', 'GZIP']));
    const paths = issues.filter((i) => i.message.includes('Athena')).map((i) => i.path).sort();
    expect(paths).toEqual(['applications[0].eventTypes[0].compression', 'applications[0].eventTypes[1].compression', 'defaults.compression']);
  });

  it('accepts a config exactly when every event type ends up with a compression Athena reads', () => {
    const compression = fc.option(fc.constantFrom(...FIREHOSE_COMPRESSIONS), { nil: undefined });
    fc.assert(
      fc.property(compression, fc.array(compression, { minLength: 1, maxLength: 4 }), (defaults, perType) => {
        // Act
        const { config } = load(configWith(defaults, perType));
        // Assess
        const effective = perType.map((c) => c ?? defaults ?? 'GZIP');
        const readable = effective.every((c) => ATHENA_READS.has(c)) && (defaults === undefined || ATHENA_READS.has(defaults));
        expect(config !== undefined).toBe(readable);
        if (config !== undefined) {
          for (const t of config.environments[0]!.eventTypes) expect(ATHENA_READS.has(t.compression)).toBe(true);
        }
      }),
      { numRuns: 120 },
    );
  });
});
