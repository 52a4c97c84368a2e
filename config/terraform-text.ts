/**
 * Config text must never become Terraform code. Terraform reads every string of a `.tf.json` file
 * as a template: `${…}` is an interpolation and `%{…}` a directive, evaluated at plan time
 * (https://developer.hashicorp.com/terraform/language/syntax/json and
 * https://developer.hashicorp.com/terraform/language/expressions/strings). The config arrives
 * through pull requests, so the loader rejects both sequences in every config string that has no
 * reason to hold them, and the few free-text fields that may hold anything are escaped
 * (`$${`, `%%{`) wherever they reach Terraform. Dependency-free.
 */

/** Starts of a Terraform template interpolation or directive. */
const TEMPLATE_START = /[$%]\{/;

/** The template sequence found in `text` (`${` or `%{`), or undefined. */
export function templateSequenceIn(text: string): string | undefined {
  const m = TEMPLATE_START.exec(text);
  return m ? m[0] : undefined;
}

/**
 * Escapes text so that Terraform reads it literally: `${` becomes `$${` and `%{` becomes `%%{`.
 * Checked with terraform 1.11: the escaped form evaluates back to the input, whatever `$` or `%`
 * precede it (`__tests__/config/terraform-text.test.ts`).
 */
export function escapeTemplate(text: string): string {
  // Replacer functions: in a replacement *string*, "$$" already means one "$".
  return text.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

/** Config keys whose values are free text for people: they may hold anything and are escaped on output. */
export const FREE_TEXT_KEYS: ReadonlySet<string> = new Set(['description']);
