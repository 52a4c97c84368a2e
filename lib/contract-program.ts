/**
 * Compiles an event type's normalized JSON Schema (config/contracts.ts `normalizeEventSchema`)
 * into the validator's program (lib/contract-validator.ts `ProgramNode`): plain data, annotations
 * dropped, type names as bits. One function for every place that validates: synth compiles the
 * transform's contract table with it (modules/contracts.ts), and the Node tracker compiles the
 * contracts of its catalog with it at run time, so an event the transform would refuse is refused
 * where it is made, by the same code.
 *
 * Pure and dependency-free (the schema type is structural: lib/ imports nothing above it).
 */
import { T_ARRAY, T_BOOLEAN, T_INTEGER, T_NULL, T_NUMBER, T_OBJECT, T_STRING, type Primitive, type ProgramNode } from './contract-validator';

/** The keywords of a normalized schema node the program keeps (config/contracts.ts `SchemaNode` fits it). */
export interface ContractSchemaNode {
  readonly type: string | readonly string[];
  readonly enum?: readonly Primitive[];
  readonly const?: Primitive;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly format?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly properties?: Readonly<Record<string, ContractSchemaNode>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean;
  readonly items?: ContractSchemaNode;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly uniqueItems?: boolean;
}

const TYPE_BITS: Readonly<Record<string, number>> = {
  string: T_STRING,
  integer: T_INTEGER,
  number: T_NUMBER,
  boolean: T_BOOLEAN,
  null: T_NULL,
  object: T_OBJECT,
  array: T_ARRAY,
};

/** Compiles one normalized schema node into its program (annotations dropped). */
export function compileProgram(node: ContractSchemaNode): ProgramNode {
  const types = Array.isArray(node.type) ? (node.type as readonly string[]) : [node.type as string];
  const out: { -readonly [K in keyof ProgramNode]: ProgramNode[K] } = { t: types.reduce((bits, t) => bits | (TYPE_BITS[t] ?? 0), 0) };
  if (node.enum !== undefined) out.e = [...node.enum];
  if (node.const !== undefined) out.c = [node.const];
  if (node.minLength !== undefined) out.n = node.minLength;
  if (node.maxLength !== undefined) out.x = node.maxLength;
  if (node.pattern !== undefined) out.r = node.pattern;
  if (node.format !== undefined) out.f = node.format;
  if (node.minimum !== undefined) out.lo = node.minimum;
  if (node.maximum !== undefined) out.hi = node.maximum;
  if (node.exclusiveMinimum !== undefined) out.xlo = node.exclusiveMinimum;
  if (node.exclusiveMaximum !== undefined) out.xhi = node.exclusiveMaximum;
  if (node.properties !== undefined) {
    // Sorted: the order of properties in the YAML does not change validation, so it must not change the bytes.
    const names = Object.keys(node.properties).sort();
    out.p = names.map((name) => [name, compileProgram(node.properties![name]!)] as const);
    const required = (node.required ?? []).map((name) => names.indexOf(name)).filter((k) => k >= 0);
    if (required.length > 0) out.q = required;
    if (node.additionalProperties === true) out.a = 1;
  }
  if (node.items !== undefined) out.i = compileProgram(node.items);
  if (node.minItems !== undefined) out.in = node.minItems;
  if (node.maxItems !== undefined) out.ix = node.maxItems;
  if (node.uniqueItems === true) out.u = 1;
  return out;
}
