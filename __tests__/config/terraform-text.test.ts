/**
 * escapeTemplate: free text that reaches a .tf.json must come out of Terraform exactly as written.
 * Checked with fast-check on the escaping itself, and with the real terraform binary evaluating the
 * escaped strings (the same binary `npm test` needs for the Terraform checks).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { escapeTemplate, templateSequenceIn } from '../../config/terraform-text';

/** Reads a string the way Terraform's template scanner does: `$${` and `%%{` are literal, `${` and `%{` start sequences. */
function unescapeLikeTerraform(text: string): string | undefined {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if ((c === '$' || c === '%') && text[i + 1] === c && text[i + 2] === '{') {
      out += `${c}{`;
      i += 2;
    } else if ((c === '$' || c === '%') && text[i + 1] === '{') return undefined; // a live sequence
    else out += c;
  }
  return out;
}

describe('escapeTemplate', () => {
  it.each([
    ['${x}', '$${x}'],
    ['%{ if true }', '%%{ if true }'],
    ['a $${b} %%{c}', 'a $$${b} %%%{c}'],
    ['no sequences $ { % {', 'no sequences $ { % {'],
  ])('escapes %j as %j', (input, escaped) => {
    expect(escapeTemplate(input)).toBe(escaped);
  });

  it('leaves no live sequence and reads back to the input, for any text', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[$%{}a-z ]{0,30}$/), (text) => {
        const escaped = escapeTemplate(text);
        expect(unescapeLikeTerraform(escaped)).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it('finds the sequences it escapes', () => {
    expect(templateSequenceIn('a ${b}')).toBe('${');
    expect(templateSequenceIn('a %{b}')).toBe('%{');
    expect(templateSequenceIn('a $ {b}')).toBeUndefined();
  });

  it('round-trips through terraform itself', () => {
    // Prepare: a .tf.json whose outputs are the escaped texts
    const texts = ['${aws_iam_role.x.arn}', '%{ for r in ["*"] }${r}%{ endfor }', 'a $${b} c', '$$${d}', '100%{e}', 'plain'];
    const dir = mkdtempSync(path.join(tmpdir(), 'tf-escape-'));
    try {
      writeFileSync(
        path.join(dir, 'main.tf.json'),
        JSON.stringify({ output: Object.fromEntries(texts.map((t, i) => [`o${i}`, { value: escapeTemplate(t) }])) }),
      );
      writeFileSync(path.join(dir, 'empty.tfrc'), '');
      const env = { ...process.env, TF_CLI_CONFIG_FILE: path.join(dir, 'empty.tfrc'), CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1' };
      // Act
      const init = spawnSync('terraform', ['init', '-backend=false', '-input=false'], { cwd: dir, env, encoding: 'utf8' });
      expect(init.status).toBe(0);
      const apply = spawnSync('terraform', ['apply', '-auto-approve', '-input=false', '-state', path.join(dir, 's.tfstate')], { cwd: dir, env, encoding: 'utf8' });
      expect(apply.status).toBe(0);
      const out = spawnSync('terraform', ['output', '-json', '-state', path.join(dir, 's.tfstate')], { cwd: dir, env, encoding: 'utf8' });
      // Assess
      const values = JSON.parse(out.stdout) as Record<string, { value: string }>;
      expect(texts.map((_, i) => values[`o${i}`]!.value)).toEqual(texts);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
