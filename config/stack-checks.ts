/**
 * Checks of the stack layout (issue #11): an environment above the single-stack threshold must
 * choose its layout, every shard stays within `maxStreamsPerShard`, names built from shard names
 * fit AWS's limits, and no two stacks share a state object. Runs on the parsed YAML whatever its
 * shape, like the other semantic checks.
 */
import { showValue } from './aws-rules';
import { isObj, list, num, obj, str, type Located, type PathSegment } from './located';
import * as naming from './naming';
import { DEFAULTS, LOWER_NAME } from './schema';

interface TypeRef {
  readonly key: string;
  readonly shard: string;
  readonly appIndex: number;
  readonly path: PathSegment[];
}

function eventTypesOf(data: Record<string, unknown>): TypeRef[] {
  const out: TypeRef[] = [];
  list(data.applications).forEach((a, appIndex) => {
    const app = obj(a);
    const appName = str(app.name);
    if (appName === undefined) return;
    const appShard = str(app.shard) ?? appName;
    list(app.eventTypes).forEach((t, ti) => {
      const name = typeof t === 'string' ? t : str(obj(t).name);
      if (name === undefined) return;
      const shard = (isObj(t) ? str(t.shard) : undefined) ?? appShard;
      out.push({ key: naming.eventTypeKey(appName, name), shard, appIndex, path: ['applications', appIndex, 'eventTypes', ti] });
    });
  });
  return out;
}

interface Layout {
  readonly layout: string;
  readonly max: number;
  /** Where the layout was set, for messages. */
  readonly layoutPath: PathSegment[];
}

function layoutOf(data: Record<string, unknown>, envName: string, env: Record<string, unknown>): Layout {
  const top = obj(data.stacks);
  const own = obj(env.stacks);
  const layout = str(own.layout) ?? str(top.layout) ?? DEFAULTS.stacks.layout;
  const max = num(own.maxStreamsPerShard) ?? num(top.maxStreamsPerShard) ?? DEFAULTS.stacks.maxStreamsPerShard;
  const layoutPath: PathSegment[] = str(own.layout) !== undefined ? ['environments', envName, 'stacks', 'layout'] : str(top.layout) !== undefined ? ['stacks', 'layout'] : ['environments', envName];
  return { layout, max, layoutPath };
}

/** Problems of the stack layout of every environment. `project` is the validated project name, if any. */
export function stackLayoutIssues(data: Record<string, unknown>, project: string | undefined): Located[] {
  const out: Located[] = [];
  const types = eventTypesOf(data);
  // Stack id -> whether it is an environment's core (or only) stack: two cores sharing a state
  // object are reported by config/aws-checks.ts already.
  const stateOwners = new Map<string, { stack: string; core: boolean }>();
  for (const [envName, rawEnv] of Object.entries(obj(data.environments))) {
    const env = obj(rawEnv);
    const { layout, max, layoutPath } = layoutOf(data, envName, env);
    if (layout === 'auto' && types.length > max) {
      out.push({
        path: layoutPath,
        message:
          `environment "${envName}" has ${types.length} event types, more than one stack should hold (stacks.maxStreamsPerShard: ${max}); ` +
          'choose its layout: set stacks.layout: sharded (a core stack plus one stack per application, so that a pull request plans only ' +
          'the stack it changes; a deployed environment moves without destroying anything with `npm run migrate`, see docs/operations.md ' +
          '"Moving to sharded stacks"), or stacks.layout: single to keep one stack (every plan then reads every stream at Firehose\'s 5 calls/s)',
      });
    }
    const sharded = layout === 'sharded' || (layout === 'auto' && types.length > max);
    if (sharded) {
      // One pass, appending in place: copying a shard's list for each of its types would make this
      // quadratic in the size of a shard (bench/config-validation.ts).
      const byShard = new Map<string, TypeRef[]>();
      for (const t of types) {
        const members = byShard.get(t.shard);
        if (members === undefined) byShard.set(t.shard, [t]);
        else members.push(t);
      }
      for (const [shard, members] of [...byShard.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (members.length > max) {
          const first = members[0]!;
          const apps = [...new Set(members.map((m) => m.appIndex))];
          out.push({
            path: ['applications', first.appIndex],
            message:
              `shard ${showValue(shard)} of environment "${envName}" holds ${members.length} event types; a shard holds at most ${max} ` +
              `(stacks.maxStreamsPerShard): give ${members.length - max} or more of its event types their own shard, for example ` +
              `\`shard: ${shard}-2\` on those event types${apps.length > 1 ? '' : ` of applications[${first.appIndex}]`} ` +
              '(a shard never changes when other event types are added or removed; moving a deployed event type to another shard ' +
              'is a migration: run `npm run migrate`, see docs/operations.md)',
          });
        }
        if (project !== undefined && LOWER_NAME.test(shard) && LOWER_NAME.test(envName)) {
          const fn = naming.shardTransformFunctionName({ project, environment: envName }, shard);
          const problem = naming.checkName('lambdaFunction', fn);
          if (problem !== undefined) {
            out.push({ path: ['applications', members[0]!.appIndex], message: `in environment "${envName}", shard ${showValue(shard)}: ${problem}; use a shorter shard name` });
          }
        }
      }
    }
    // Every stack of every environment needs its own state object.
    const backend = obj(env.backend);
    const bucket = str(backend.bucket);
    if (bucket !== undefined && project !== undefined) {
      const coreKey = str(backend.key) ?? naming.stateKey({ project, environment: envName });
      const keys: [string, string, boolean][] = [[naming.stackId(envName), coreKey, true]];
      if (sharded) {
        for (const shard of new Set(types.map((t) => t.shard))) keys.push([naming.shardStackId(envName, shard), naming.shardStateKey(coreKey, shard), false]);
      }
      for (const [stack, key, core] of keys) {
        const id = `s3://${bucket}/${key}`;
        const prev = stateOwners.get(id);
        if (prev !== undefined && prev.stack !== stack && !(prev.core && core)) {
          out.push({
            path: ['environments', envName, 'backend', str(backend.key) !== undefined ? 'key' : 'bucket'],
            message: `stack ${stack} would keep its state at ${showValue(id)}, like stack ${prev.stack}; give environment "${envName}" another backend.key`,
          });
        } else if (prev === undefined) stateOwners.set(id, { stack, core });
      }
    }
  }
  return out;
}
