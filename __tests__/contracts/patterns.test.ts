/**
 * Contract patterns through the config loader: what the linear-time engine cannot run
 * (backreferences, lookaround, oversized automata) and what would cost too much per value
 * (states times maxLength) is refused with the pattern, its path and the rule; the ReDoS pattern
 * of the backtracking engine is accepted, because it runs in linear time here.
 */
import { ConfigError } from '../../config/errors';
import { parseConfig } from '../../config/loader';
import { analyzePattern, MAX_PATTERN_STATES, MAX_PATTERN_WORK } from '../../lib/linear-regexp';

/** A config whose one event type has a string property `handle` with this pattern and maxLength. */
function configWith(pattern: string, maxLength: number): string {
  return [
    'project: acme',
    'environments:',
    '  dev: { region: eu-central-1 }',
    'applications:',
    '  - name: web-shop',
    '    eventTypes:',
    '      - name: signup',
    '        schema:',
    '          type: object',
    '          properties:',
    `            handle: { type: string, maxLength: ${maxLength}, pattern: ${JSON.stringify(pattern)} }`,
    '          required: [handle]',
    '',
  ].join('\n');
}

function issuesOf(text: string): ConfigError['issues'] {
  try {
    parseConfig(text);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  return [];
}

const PATTERN_PATH = 'applications[0].eventTypes[0].schema.properties.handle.pattern';

describe('contract patterns in the loader', () => {
  it('accepts the pattern that backtracks exponentially in V8, with maxLength 64', () => {
    // Act
    const config = parseConfig(configWith('^([a-z0-9]+)+$', 64));

    // Assess
    const type = config.environments[0]?.eventTypes.find((t) => t.key === 'web-shop/signup');
    expect(type?.contract?.schema.properties.handle).toEqual(expect.objectContaining({ pattern: '^([a-z0-9]+)+$', maxLength: 64 }));
  });

  it.each([
    ['^(a)\\1$', 'backreference', 'backreference "\\1"'],
    ['^(?<c>[a-z])\\k<c>$', 'backreference', 'named backreference "\\k<c>"'],
    ['^(?=.*[0-9])[a-z0-9]+$', 'lookaround', 'lookahead "(?="'],
    ['^[a-z]+(?!x)$', 'lookaround', 'lookahead "(?!"'],
    ['(?<=@)[a-z]+', 'lookaround', 'lookbehind "(?<="'],
    ['(?<!@)[a-z]+', 'lookaround', 'lookbehind "(?<!"'],
    ['^(?:[a-z]{100}){11}$', 'too-large', `more than ${MAX_PATTERN_STATES} automaton states`],
  ])('refuses %s, naming the pattern, its path and the rule "%s"', (pattern, rule, what) => {
    // Act
    const issues = issuesOf(configWith(pattern, 64));

    // Assess
    expect(issues).toEqual([
      expect.objectContaining({
        path: PATTERN_PATH,
        line: 11,
        message: expect.stringContaining(`pattern ${JSON.stringify(pattern)} breaks the rule "${rule}"`),
      }),
    ]);
    expect(issues[0]?.message).toContain(what);
  });

  it('refuses a pattern whose size times maxLength exceeds the work bound, and says which maxLength fits', () => {
    // Prepare
    const pattern = '^[a-z]{1,40}(?:\\.[a-z]{1,40})*$';
    const analysis = analyzePattern(pattern);
    if ('rule' in analysis) throw new Error('fixture pattern refused');
    const fits = Math.floor(MAX_PATTERN_WORK / analysis.states) - 1;

    // Act
    const refused = issuesOf(configWith(pattern, fits + 1));
    const accepted = issuesOf(configWith(pattern, fits));

    // Assess
    expect(refused).toEqual([
      expect.objectContaining({
        path: PATTERN_PATH,
        message: expect.stringMatching(new RegExp(`breaks the rule "work-bound": ${analysis.states} automaton states .*lower maxLength to at most ${fits} `)),
      }),
    ]);
    expect(accepted).toEqual([]);
  });
});
