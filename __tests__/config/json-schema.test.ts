import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { trackingJsonSchema } from '../../config/json-schema';

const ROOT = path.join(__dirname, '..', '..');

describe('JSON Schema for editors', () => {
  it('is up to date with the zod schema (run `npm run schema` after changing config/schema.ts)', () => {
    expect(readFileSync(path.join(ROOT, 'config', 'tracking.schema.json'), 'utf8')).toBe(trackingJsonSchema());
  });

  it('is referenced by the example config', () => {
    const yaml = readFileSync(path.join(ROOT, 'config', 'tracking.yaml'), 'utf8');
    expect(yaml).toMatch(/^# yaml-language-server: \$schema=\.\/tracking\.schema\.json$/m);
  });

  it('rejects unknown keys so editors flag typos', () => {
    const schema = JSON.parse(trackingJsonSchema()) as {
      additionalProperties: unknown;
      properties: { applications: { items: { additionalProperties: unknown } } };
    };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.applications.items.additionalProperties).toBe(false);
  });
});
