/**
 * Helpers for the contract tests: contracts from schemas, the fixture config resolved the way
 * the loader will (lenient contract resolution + the model), ajv as the reference validator, and
 * registries for the transform.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import type { ValidateFunction } from 'ajv';
import { parseDocument } from 'yaml';
import {
  checkEventSchema,
  contentHash,
  normalizeEventSchema,
  resolveContracts,
  type EventContract,
  type SchemaMode,
} from '../../config/contracts';
import { parseConfig } from '../../config/loader';
import type { EventTypeSpec, TrackingConfig } from '../../config/model';
import { FORMAT_CHECKS } from '../../functions/jsonl-transform/formats';
import { ContractRegistry, type ActiveContract } from '../../functions/jsonl-transform/table';
import { buildContractTable, type ServedEventType } from '../../modules/contracts';

export const FIXTURES = path.join(__dirname, '..', 'fixtures', 'contracts');
export const FIXTURE_CONFIG = path.join(FIXTURES, 'tracking.yaml');

/** A contract from a schema the test expects to be valid. */
export function contractOf(schema: object, application = 'web-shop', eventType = 'checkout', mode: SchemaMode = 'enforce'): EventContract {
  const problems = checkEventSchema(schema);
  if (problems.length > 0) throw new Error(`test schema is invalid: ${JSON.stringify(problems)}`);
  const normalized = normalizeEventSchema(schema as Record<string, unknown>, application, eventType);
  return { mode, schema: normalized, source: 'inline', hash: contentHash(normalized) };
}

/** An event type spec with its contract attached, as the lead's model will carry it. */
export type ContractedSpec = EventTypeSpec & { readonly contract?: EventContract };

/** Removes `schema` and `schemaMode` keys so the current loader reads the rest of the config. */
function withoutContractKeys(data: unknown): unknown {
  const root = JSON.parse(JSON.stringify(data)) as { defaults?: Record<string, unknown>; applications?: { eventTypes?: unknown[] }[] };
  if (root.defaults) delete root.defaults.schemaMode;
  for (const app of root.applications ?? []) {
    for (const t of app.eventTypes ?? []) {
      if (t !== null && typeof t === 'object') {
        delete (t as Record<string, unknown>).schema;
        delete (t as Record<string, unknown>).schemaMode;
      }
    }
  }
  return root;
}

/**
 * The resolved config with contracts attached to each event type: the contract resolution the
 * loader will call, and the model of the rest (read by the loader with the contract keys removed,
 * which changes nothing once the loader knows them).
 */
export function loadWithContracts(file: string = FIXTURE_CONFIG): { config: TrackingConfig; specs: (environment: string) => ContractedSpec[] } {
  const text = readFileSync(file, 'utf8');
  const data = parseDocument(text).toJS() as unknown;
  const { issues, contracts } = resolveContracts(data, file);
  if (issues.length > 0) throw new Error(`fixture config has contract issues: ${JSON.stringify(issues)}`);
  const config = parseConfig(JSON.stringify(withoutContractKeys(data)), file);
  return {
    config,
    specs: (environment) => {
      const env = config.environments.find((e) => e.name === environment);
      if (env === undefined) throw new Error(`no environment ${environment}`);
      return env.eventTypes.map((t) => {
        const c = contracts.get(t.key);
        return c ? { ...t, contract: c } : t;
      });
    },
  };
}

/** The registry a transform function serving `types` would load. */
export function registryFor(types: readonly ServedEventType[], environment = 'dev'): ContractRegistry {
  return new ContractRegistry(JSON.parse(JSON.stringify(buildContractTable(environment, types))) as ReturnType<typeof buildContractTable>);
}

/** The active contract of one stream. */
export function activeContract(contract: EventContract, stream = 'acme-dev-web-shop-checkout'): ActiveContract {
  const found = registryFor([{ key: 'web-shop/checkout', deliveryStreamName: stream, contract }]).lookup(stream).contract;
  if (found === undefined) throw new Error('no contract');
  return found;
}

/** ajv (JSON Schema 2020-12) with the same format checks: the reference the validator is compared with. */
export function ajvValidator(contract: EventContract): ValidateFunction {
  const ajv = new Ajv2020({ strict: true, allErrors: false, validateFormats: true });
  for (const [name, check] of Object.entries(FORMAT_CHECKS)) ajv.addFormat(name, { type: 'string', validate: check });
  return ajv.compile(contract.schema);
}

/** ajv with the official 2020-12 meta-schema, to check that a schema is valid JSON Schema. */
export function metaSchemaValidator(): (schema: unknown) => boolean {
  const ajv = new Ajv2020({ strict: false, validateFormats: true });
  return (schema) => ajv.validateSchema(schema as object) === true;
}
