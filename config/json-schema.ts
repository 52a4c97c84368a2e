/** The JSON Schema of the tracking config, generated from the zod schema (for editors). */
import { z } from 'zod';
import { trackingConfigSchema } from './schema';

export const JSON_SCHEMA_PATH = 'config/tracking.schema.json';

/** The schema as formatted JSON text, byte-stable for the same zod schema. */
export function trackingJsonSchema(): string {
  const schema = z.toJSONSchema(trackingConfigSchema, { io: 'input', unrepresentable: 'any', target: 'draft-7' });
  const withMeta = {
    ...schema,
    $id: 'https://github.com/tracking-pipeline/tracking-pipeline/config/tracking.schema.json',
    title: 'Tracking pipeline config',
    description: 'Applications, event types and environments of the event-tracking pipeline. Generated from config/schema.ts by `npm run schema`; do not edit.',
  };
  return `${JSON.stringify(withMeta, null, 2)}\n`;
}
