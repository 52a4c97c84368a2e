/**
 * Firehose's prefix expressions and object names ("Understand custom prefixes for Amazon S3
 * objects", "Configure Amazon S3 object name format" in the Firehose developer guide).
 */
import { compilePrefix, formatPattern, objectSuffix, parsePattern, PrefixError } from '../../cli/dev/prefix';

const AT = new Date(Date.UTC(2026, 1, 3, 4, 5, 6, 789));

describe('prefix expressions', () => {
  it('evaluates !{timestamp:…} with Java DateTimeFormatter letters, in UTC, the same instant everywhere', () => {
    const p = compilePrefix("t/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/!{timestamp:HH}/!{timestamp:yyyy-MM-dd'T'HH:mm:ss.SSS}/!{timestamp:yy}-!{timestamp:D}/", 'prefix');
    expect(p.evaluate(AT)).toBe('t/2026/02/03/04/2026-02-03T04:05:06.789/26-34/');
  });

  it('adds the default yyyy/MM/dd/HH/ time prefix when the prefix has no timestamp', () => {
    expect(compilePrefix('', 'prefix').evaluate(AT)).toBe('2026/02/03/04/');
    expect(compilePrefix('raw/', 'prefix').evaluate(AT)).toBe('raw/2026/02/03/04/');
  });

  it('puts the error output type in the error prefix, and refuses it in the prefix', () => {
    expect(compilePrefix('errors/!{firehose:error-output-type}/!{timestamp:yyyy}/', 'error').evaluate(AT, 'processing-failed')).toBe('errors/processing-failed/2026/');
    expect(() => compilePrefix('events/!{firehose:error-output-type}/', 'prefix')).toThrow(PrefixError);
  });

  it('expands !{firehose:random-string} to 11 characters', () => {
    const out = compilePrefix('r/!{firehose:random-string}/!{timestamp:yyyy}/', 'prefix').evaluate(AT);
    expect(out).toMatch(/^r\/[A-Za-z0-9_-]{11}\/2026\/$/);
  });

  it('refuses what the local runtime does not model, rather than expanding it wrongly', () => {
    expect(() => compilePrefix('!{partitionKeyFromQuery:customer}/', 'prefix')).toThrow(/dynamic partitioning/);
    expect(() => compilePrefix('!{timestamp:EEE}/', 'prefix')).toThrow(/not modelled/);
    expect(() => compilePrefix('!{firehose:nope}/', 'prefix')).toThrow(PrefixError);
  });

  it('keeps quoted text and escaped quotes literal', () => {
    expect(formatPattern(parsePattern("'year='yyyy''"), AT)).toBe("year=2026'");
  });
});

describe('object names', () => {
  it('are <stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><extension>', () => {
    expect(objectSuffix('acme-dev-web-shop-page_view', 1, AT, '.gz')).toMatch(/^acme-dev-web-shop-page_view-1-2026-02-03-04-05-06-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.gz$/);
  });
});
