/** Writes the editor JSON Schema and the config reference from the zod schema: `npm run schema`. */
import { writeFileSync } from 'node:fs';
import { JSON_SCHEMA_PATH, trackingJsonSchema } from '../config/json-schema';
import { CONFIG_REFERENCE_PATH, trackingConfigReference } from '../config/reference';

writeFileSync(JSON_SCHEMA_PATH, trackingJsonSchema());
console.log(`wrote ${JSON_SCHEMA_PATH}`);
writeFileSync(CONFIG_REFERENCE_PATH, trackingConfigReference());
console.log(`wrote ${CONFIG_REFERENCE_PATH}`);
