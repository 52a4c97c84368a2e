/** Writes config/tracking.schema.json from the zod schema: `npm run schema`. */
import { writeFileSync } from 'node:fs';
import { JSON_SCHEMA_PATH, trackingJsonSchema } from '../config/json-schema';

writeFileSync(JSON_SCHEMA_PATH, trackingJsonSchema());
console.log(`wrote ${JSON_SCHEMA_PATH}`);
