import { randomUUID } from 'node:crypto';
import { matchesPattern } from './event-pattern.js';
import { ACCOUNT_ID, AwsError, requireString, type JsonService } from './protocol.js';

export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

interface Rule {
  name: string;
  bus: string;
  pattern?: Record<string, unknown>;
  schedule?: string;
  targets: Array<{ id: string; arn: string }>;
}

/** Events kept in `history`. */
const MAX_HISTORY = 10_000;

export type LambdaFunction = (event: BusEvent) => Promise<unknown>;

export interface DeliveryPolicy {
  /** Total attempts per event and target, as Lambda's async invocation makes (1 + 2 retries). */
  maxAttempts: number;
  /** Delay before retry n is `retryBaseMs * 2^(n-1)`. */
  retryBaseMs: number;
}

/**
 * EventBridge: buses, rules with event patterns, Lambda targets. Matching
 * events are delivered asynchronously to the in-process functions registered
 * under their ARNs; a failing delivery is retried, then dead-lettered.
 */
export class EventBridgeSimulator {
  private readonly buses = new Set(['default']);
  private readonly rules = new Map<string, Rule>();
  private readonly functions = new Map<string, LambdaFunction>();
  private inFlight = 0;
  private readonly idleWaiters: Array<() => void> = [];
  readonly deadLetters: Array<{ event: BusEvent; error: string; attempts: number }> = [];
  /** Every event put on any bus (PutEvents, and the AWS services' own on the default bus), matched by a rule or not. */
  readonly history: Array<{ bus: string; event: BusEvent }> = [];
  /** The next N PutEvents calls fail as a whole with InternalException (fault injection). */
  faults = { putEventsFailures: 0 };
  delivered = 0;
  failedAttempts = 0;

  constructor(
    private readonly region: string,
    readonly policy: DeliveryPolicy,
  ) {}

  private closed = false;

  registerFunction(arn: string, fn: LambdaFunction): void {
    this.functions.set(arn, fn);
  }

  get pending(): number {
    return this.inFlight;
  }

  /** Resolves when no delivery is in flight or waiting for a retry. */
  whenIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  service(): JsonService {
    return {
      targetPrefix: 'AWSEvents',
      operations: {
        CreateEventBus: (input) => {
          const name = requireString(input, 'Name', 'ValidationException');
          if (this.buses.has(name)) throw new AwsError('ResourceAlreadyExistsException', `Event bus ${name} already exists.`);
          this.buses.add(name);
          return { EventBusArn: this.busArn(name) };
        },
        ListEventBuses: () => ({ EventBuses: [...this.buses].map((name) => ({ Name: name, Arn: this.busArn(name) })) }),
        PutRule: (input) => {
          const name = requireString(input, 'Name', 'ValidationException');
          const bus = (input.EventBusName as string) ?? 'default';
          if (!this.buses.has(bus)) throw new AwsError('ResourceNotFoundException', `Event bus ${bus} does not exist.`);
          const pattern = typeof input.EventPattern === 'string' ? (JSON.parse(input.EventPattern) as Record<string, unknown>) : undefined;
          const schedule = input.ScheduleExpression as string | undefined;
          if (!pattern && !schedule) throw new AwsError('ValidationException', 'Parameter(s) EventPattern or ScheduleExpression must be specified.');
          const existing = this.rules.get(`${bus}/${name}`);
          this.rules.set(`${bus}/${name}`, { name, bus, pattern, schedule, targets: existing?.targets ?? [] });
          return { RuleArn: `arn:aws:events:${this.region}:${ACCOUNT_ID}:rule/${bus === 'default' ? '' : `${bus}/`}${name}` };
        },
        PutTargets: (input) => {
          const name = requireString(input, 'Rule', 'ValidationException');
          const rule = this.rules.get(`${(input.EventBusName as string) ?? 'default'}/${name}`);
          if (!rule) throw new AwsError('ResourceNotFoundException', `Rule ${name} does not exist.`);
          for (const target of (input.Targets as Array<{ Id: string; Arn: string }>) ?? []) {
            rule.targets = rule.targets.filter((t) => t.id !== target.Id).concat({ id: target.Id, arn: target.Arn });
          }
          return { FailedEntryCount: 0, FailedEntries: [] };
        },
        PutEvents: (input) => {
          const entries = (input.Entries as Array<Record<string, unknown>>) ?? [];
          if (this.faults.putEventsFailures > 0) {
            this.faults.putEventsFailures--;
            throw new AwsError('InternalException', 'Internal service error (injected by the sandbox)', 500);
          }
          if (entries.length === 0 || entries.length > 10) throw new AwsError('ValidationException', 'Entries must hold 1 to 10 events.');
          const results = entries.map((entry) => this.accept(entry));
          return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
        },
      },
    };
  }

  /** AWS services (ECS, CodeBuild) put their events on the default bus. */
  emit(source: string, detailType: string, detail: unknown, resources: string[] = []): void {
    this.route('default', {
      version: '0',
      id: randomUUID(),
      'detail-type': detailType,
      source,
      account: ACCOUNT_ID,
      time: new Date().toISOString(),
      region: this.region,
      resources,
      detail,
    });
  }

  private accept(entry: Record<string, unknown>): { EventId: string } | { ErrorCode: string; ErrorMessage: string } {
    const bus = (entry.EventBusName as string) ?? 'default';
    if (!this.buses.has(bus)) return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${bus} does not exist.` };
    if (typeof entry.Source !== 'string' || typeof entry.DetailType !== 'string' || typeof entry.Detail !== 'string') {
      return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Source, DetailType and Detail are required.' };
    }
    if (Buffer.byteLength(entry.Detail) > 256 * 1024) return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Detail exceeds 256 KB.' };
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail);
    } catch {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    const event: BusEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: ACCOUNT_ID,
      time: new Date().toISOString(),
      region: this.region,
      resources: (entry.Resources as string[]) ?? [],
      detail,
    };
    this.route(bus, event);
    return { EventId: event.id };
  }

  private route(bus: string, event: BusEvent): void {
    this.history.push({ bus, event });
    // A long-running sandbox keeps the latest events only.
    if (this.history.length > MAX_HISTORY) this.history.splice(0, this.history.length - MAX_HISTORY);
    for (const rule of this.rules.values()) {
      if (rule.bus !== bus || !rule.pattern || !matchesPattern(rule.pattern, event as unknown as Record<string, unknown>)) continue;
      for (const target of rule.targets) this.deliver(target.arn, event);
    }
  }

  /** Stops delivering: events put from now on reach no target (the sandbox is stopping). */
  close(): void {
    this.closed = true;
  }

  private deliver(arn: string, event: BusEvent): void {
    const fn = this.functions.get(arn);
    if (!fn || this.closed) return;
    this.inFlight++;
    const attempt = (n: number): void => {
      fn(event).then(
        () => {
          this.delivered++;
          this.settle();
        },
        (error: unknown) => {
          this.failedAttempts++;
          if (n >= this.policy.maxAttempts) {
            this.deadLetters.push({ event, error: String((error as Error)?.message ?? error), attempts: n });
            this.settle();
          } else {
            setTimeout(() => attempt(n + 1), this.policy.retryBaseMs * 2 ** (n - 1));
          }
        },
      );
    };
    setImmediate(() => attempt(1));
  }

  private settle(): void {
    this.inFlight--;
    if (this.inFlight === 0) this.idleWaiters.splice(0).forEach((resolve) => resolve());
  }

  private busArn(name: string): string {
    return `arn:aws:events:${this.region}:${ACCOUNT_ID}:event-bus/${name}`;
  }
}
