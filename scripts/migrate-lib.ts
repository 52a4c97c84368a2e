/**
 * Pure logic of `npm run migrate`: given the stacks synthesized at the base ref (what is deployed)
 * and in the working tree, find every per-event-type resource that changes stack (same type and
 * physical name, another stack of the same environment), and describe each move with the address
 * it leaves, the address it enters and how Terraform imports it. No git, no processes, no AWS.
 */
import { MOVES_VERSION, resourceOfAddress, type ImportId, type Move, type MovedResource, type MovesFile } from '../config/moves';
import { ReviewError, type SynthesizedStack } from './review-lib';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface MovableType {
  /** The attribute that names the resource (its identity across stacks). */
  readonly nameAttribute: string;
  /** Import id of the resource, from its body in the new stack. */
  readonly importId: (body: { [key: string]: Json }, name: string) => ImportId | undefined;
}

/**
 * The resources that belong to one event type, and so move with it. Import ids, from the provider's
 * documentation of each resource: a delivery stream by ARN, a log stream as `<group>:<stream>`, an
 * alarm by name, a Glue table as `<catalog>:<database>:<table>`, the collector's write-key parameter
 * of an application (which lives with the application's event types) by name.
 */
export const MOVABLE_TYPES: Readonly<Record<string, MovableType>> = {
  aws_kinesis_firehose_delivery_stream: {
    nameAttribute: 'name',
    importId: (_b, name) => ({ arn: { service: 'firehose', resource: `deliverystream/${name}` } }),
  },
  aws_cloudwatch_log_stream: {
    nameAttribute: 'name',
    importId: (b, name) => (literal(b.log_group_name) ? { literal: `${b.log_group_name as string}:${name}` } : undefined),
  },
  aws_cloudwatch_metric_alarm: {
    nameAttribute: 'alarm_name',
    importId: (_b, name) => ({ literal: name }),
  },
  aws_ssm_parameter: {
    nameAttribute: 'name',
    importId: (_b, name) => ({ literal: name }),
  },
  aws_glue_catalog_table: {
    nameAttribute: 'name',
    importId: (b, name) =>
      !literal(b.database_name)
        ? undefined
        : literal(b.catalog_id)
          ? { literal: `${b.catalog_id as string}:${b.database_name as string}:${name}` }
          : { accountPrefixed: `${b.database_name as string}:${name}` },
  },
};

const literal = (v: Json | undefined): boolean => typeof v === 'string' && !v.includes('${');

interface Located {
  readonly stack: string;
  readonly address: string;
  readonly name: string;
  readonly body: { [key: string]: Json };
}

/** Movable resources of one environment's stacks, by `type \0 name`. */
function index(stacks: readonly SynthesizedStack[]): Map<string, Located> {
  const out = new Map<string, Located>();
  for (const s of stacks) {
    for (const r of s.resources.values()) {
      const rule = MOVABLE_TYPES[r.type];
      const body = r.config as { [key: string]: Json };
      const name = rule !== undefined && body !== null && typeof body === 'object' ? body[rule.nameAttribute] : undefined;
      if (rule === undefined || typeof name !== 'string' || name.includes('${')) continue;
      out.set(`${r.type}\0${name}`, { stack: s.id, address: r.address, name, body });
    }
  }
  return out;
}

function byEnvironment(stacks: ReadonlyMap<string, SynthesizedStack>): Map<string, SynthesizedStack[]> {
  const out = new Map<string, SynthesizedStack[]>();
  for (const s of stacks.values()) {
    if (s.environment === undefined) continue;
    out.set(s.environment, [...(out.get(s.environment) ?? []), s]);
  }
  return out;
}

/**
 * Every movable resource that is in one stack at the base and in another in the working tree,
 * grouped per environment and (from, to) pair. Throws ReviewError when a move cannot be expressed
 * without hand-run state commands.
 */
export function computeMoves(base: ReadonlyMap<string, SynthesizedStack>, head: ReadonlyMap<string, SynthesizedStack>, baseRef?: string): MovesFile {
  const moves: Move[] = [];
  const headByEnv = byEnvironment(head);
  for (const [environment, baseStacks] of [...byEnvironment(base).entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const before = index(baseStacks);
    const after = index(headByEnv.get(environment) ?? []);
    const groups = new Map<string, MovedResource[]>();
    for (const [k, b] of [...before.entries()].sort(([x], [y]) => (x < y ? -1 : 1))) {
      const a = after.get(k);
      if (a === undefined || a.stack === b.stack) continue;
      const type = k.split('\0')[0]!;
      const id = MOVABLE_TYPES[type]!.importId(a.body, a.name);
      if (id === undefined) {
        throw new ReviewError(`cannot move ${type} ${a.name} from ${b.stack} to ${a.stack}: its import id is not known at synth (a reference instead of a name)`);
      }
      const g = `${b.stack}\0${a.stack}`;
      groups.set(g, [...(groups.get(g) ?? []), { type, from: b.address, to: a.address, name: a.name, id }]);
    }
    // A removed block can only drop a whole resource from the old state: a for_each resource may
    // only move if every one of its instances moves.
    for (const [g, resources] of groups) {
      const from = g.split('\0')[0]!;
      const headFrom = head.get(from);
      for (const r of resources) {
        const resource = resourceOfAddress(r.from);
        if (resource === r.from) continue;
        const staying = [...(headFrom?.resources.keys() ?? [])].some((a) => resourceOfAddress(a) === resource);
        const allMove = [...(base.get(from)?.resources.keys() ?? [])]
          .filter((a) => resourceOfAddress(a) === resource)
          .every((a) => [...groups.values()].some((rs) => rs.some((x) => x.from === a)));
        if (staying || !allMove) {
          throw new ReviewError(
            `cannot move ${r.name} out of ${from}: it is an instance of ${resource}, which keeps other instances there. ` +
              'Apply the current version in the old layout first (one resource per event type), then migrate.',
          );
        }
      }
    }
    for (const [g, resources] of [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const [from, to] = g.split('\0') as [string, string];
      moves.push({ environment, from, to, resources });
    }
  }
  return { version: MOVES_VERSION, ...(baseRef !== undefined ? { base: baseRef } : {}), moves };
}

/** A short, human summary of a moves file. */
export function summarizeMoves(file: MovesFile): string {
  if (file.moves.length === 0) return 'No resource changes stack: nothing to move.';
  const lines = file.moves.map((m) => `  ${m.environment}: ${m.resources.length} resource(s) from ${m.from} to ${m.to}`);
  return `Resources that change stack (imported in the new stack, removed without destroy from the old one):\n${lines.join('\n')}`;
}
