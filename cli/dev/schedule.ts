/**
 * EventBridge schedules with Lambda targets (aws_cloudwatch_event_rule with a schedule expression,
 * aws_cloudwatch_event_target): each target is invoked on the rule's rate with the scheduled event
 * ("Creating an Amazon EventBridge rule that runs on a schedule"; the event: version, id,
 * detail-type "Scheduled Event", source "aws.events", account, time, region, resources [rule ARN],
 * detail {}), or with the target's constant `input`. EventBridge invokes Lambda asynchronously, and
 * Lambda retries a failed asynchronous invocation twice ("Asynchronous invocation"); locally the
 * retries come after 1 and 2 seconds instead of about 1 and 2 minutes.
 *
 * `rate(N minute|minutes|hour|hours|day|days)` is modelled; a `cron(...)` schedule is refused at
 * start-up with the rule's name.
 */
import { randomUUID } from 'node:crypto';
import { LocalModelError } from './errors';
import type { InvokeResult } from './lambda';
import type { InvokeTarget, LocalSchedule } from './resources';

export function rateMs(expression: string, rule: string): number {
  const m = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (m === null) throw new LocalModelError(`schedule ${rule}: ${expression} is not modelled locally (rate(N minutes|hours|days) is)`);
  const n = Number(m[1]);
  const unit = m[2]!.startsWith('minute') ? 60_000 : m[2]!.startsWith('hour') ? 3_600_000 : 86_400_000;
  return n * unit;
}

export class Scheduler {
  private readonly timers: NodeJS.Timeout[] = [];

  public constructor(
    private readonly schedules: readonly LocalSchedule[],
    private readonly deps: { readonly invoke: (t: InvokeTarget, event: unknown) => Promise<InvokeResult>; readonly region: string; readonly account: string; readonly partition: string; readonly log: (line: string) => void },
  ) {
    for (const s of schedules) rateMs(s.expression, s.name);
  }

  public start(): void {
    for (const s of this.schedules) {
      const every = rateMs(s.expression, s.name);
      this.timers.push(setInterval(() => void this.fire(s), every));
    }
  }

  private async fire(s: LocalSchedule): Promise<void> {
    const { region, account, partition } = this.deps;
    for (const t of s.targets) {
      const event =
        t.input !== undefined
          ? (JSON.parse(t.input) as unknown)
          : { version: '0', id: randomUUID(), 'detail-type': 'Scheduled Event', source: 'aws.events', account, time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), region, resources: [`arn:${partition}:events:${region}:${account}:rule/${s.name}`], detail: {} };
      for (let attempt = 0; attempt < 3; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, attempt * 1000));
        const r = await this.deps.invoke(t.target, event);
        if (r.ok) break;
        this.deps.log(`schedule ${s.name}: ${t.target.function.name} failed (${r.errorType}: ${r.errorMessage.slice(0, 200)})${attempt < 2 ? '; retried' : '; given up'}`);
      }
    }
  }

  public stop(): void {
    for (const t of this.timers) clearInterval(t);
  }
}
