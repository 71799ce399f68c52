import { AwsError, requireString, type JsonService } from './protocol.js';

interface LogEvent {
  timestamp: number;
  message: string;
  ingestionTime: number;
}

/**
 * A filter pattern the sandbox understands: one JSON property test `{ $.field = "value" }`, or
 * plain terms that must all appear. AWS knows far more; anything else is refused with a sentence
 * that says so, never matched wrongly.
 */
export function compileFilterPattern(pattern: string | undefined): (message: string) => boolean {
  const text = (pattern ?? '').trim();
  if (!text) return () => true;
  const json = /^\{\s*\$\.([A-Za-z0-9_.]+)\s*=\s*"([^"]*)"\s*\}$/.exec(text);
  if (json) {
    const [, path, expected] = json as unknown as [string, string, string];
    return (message) => {
      try {
        const value = path.split('.').reduce<unknown>((v, key) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined), JSON.parse(message));
        return String(value) === expected;
      } catch {
        return false;
      }
    };
  }
  if (/[{}[\]$?]/.test(text)) throw new AwsError('InvalidParameterException', `The sandbox's FilterLogEvents understands only { $.field = "value" } and plain terms (got ${text})`);
  const terms = text.split(/\s+/).map((t) => t.replace(/^"|"$/g, ''));
  return (message) => terms.every((t) => message.includes(t));
}

/**
 * CloudWatch Logs, as the awslogs driver writes and ecsrunner reads it:
 * groups, streams, PutLogEvents, GetLogEvents (forward/backward tokens),
 * DescribeLogStreams and FilterLogEvents (the doctor's error count).
 */
export class LogsSimulator {
  private readonly groups = new Map<string, Map<string, LogEvent[]>>();

  service(): JsonService {
    return {
      targetPrefix: 'Logs_20140328',
      operations: {
        CreateLogGroup: (input) => {
          const name = requireString(input, 'logGroupName');
          if (this.groups.has(name)) throw new AwsError('ResourceAlreadyExistsException', 'The specified log group already exists');
          this.groups.set(name, new Map());
          return {};
        },
        CreateLogStream: (input) => {
          const streams = this.group(requireString(input, 'logGroupName'));
          const name = requireString(input, 'logStreamName');
          if (streams.has(name)) throw new AwsError('ResourceAlreadyExistsException', 'The specified log stream already exists');
          streams.set(name, []);
          return {};
        },
        PutLogEvents: (input) => {
          const events = this.stream(requireString(input, 'logGroupName'), requireString(input, 'logStreamName'));
          for (const e of (input.logEvents as Array<{ timestamp: number; message: string }>) ?? []) events.push({ ...e, ingestionTime: Date.now() });
          return { nextSequenceToken: String(events.length) };
        },
        DescribeLogStreams: (input) => {
          const streams = this.group(requireString(input, 'logGroupName'));
          const prefix = (input.logStreamNamePrefix as string) ?? '';
          return {
            logStreams: [...streams.entries()]
              .filter(([name]) => name.startsWith(prefix))
              .map(([name, events]) => ({ logStreamName: name, lastEventTimestamp: events[events.length - 1]?.timestamp, storedBytes: 0 })),
          };
        },
        FilterLogEvents: (input) => {
          const streams = this.group(requireString(input, 'logGroupName'));
          const matches = compileFilterPattern(input.filterPattern as string | undefined);
          const start = Number(input.startTime ?? 0);
          const end = Number(input.endTime ?? Number.MAX_SAFE_INTEGER);
          const all = [...streams.entries()]
            .flatMap(([logStreamName, events]) => events.map((e, i) => ({ ...e, logStreamName, eventId: `${logStreamName}/${i}` })))
            .filter((e) => e.timestamp >= start && e.timestamp <= end && matches(e.message))
            .sort((a, b) => a.timestamp - b.timestamp);
          const limit = Math.min(Number(input.limit ?? 10000), 10000);
          const offset = input.nextToken ? Number(input.nextToken) : 0;
          const page = all.slice(offset, offset + limit);
          return { events: page, searchedLogStreams: [], ...(offset + limit < all.length ? { nextToken: String(offset + limit) } : {}) };
        },
        GetLogEvents: (input) => {
          const events = this.stream(requireString(input, 'logGroupName'), requireString(input, 'logStreamName'));
          const limit = Math.min(Number(input.limit ?? 10000), 10000);
          const token = input.nextToken as string | undefined;
          // Tokens are "f/<index>" (read forward from index) or "b/<index>".
          let start = input.startFromHead ? 0 : Math.max(0, events.length - limit);
          if (token) {
            const [dir, at] = token.split('/');
            start = dir === 'b' ? Math.max(0, Number(at) - limit) : Number(at);
          }
          const page = events.slice(start, start + limit);
          return {
            events: page,
            nextForwardToken: `f/${start + page.length}`,
            nextBackwardToken: `b/${start}`,
          };
        },
      },
    };
  }

  /** Appends lines to a stream, creating group and stream as the awslogs driver does. */
  write(group: string, stream: string, lines: string[], now = Date.now()): void {
    if (!this.groups.has(group)) this.groups.set(group, new Map());
    const streams = this.groups.get(group)!;
    if (!streams.has(stream)) streams.set(stream, []);
    streams.get(stream)!.push(...lines.map((message) => ({ timestamp: now, message, ingestionTime: now })));
  }

  private group(name: string): Map<string, LogEvent[]> {
    const streams = this.groups.get(name);
    if (!streams) throw new AwsError('ResourceNotFoundException', 'The specified log group does not exist.');
    return streams;
  }

  private stream(group: string, name: string): LogEvent[] {
    const events = this.group(group).get(name);
    if (!events) throw new AwsError('ResourceNotFoundException', 'The specified log stream does not exist.');
    return events;
  }
}
