import { createHash, randomUUID } from 'node:crypto';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { loadServiceModel } from './aws-models.js';
import { matchesPattern } from './event-pattern.js';
import { shapeViolations } from './model-validation.js';
import { ACCOUNT_ID } from './protocol.js';

/** A DynamoDB-JSON item ({name: {S: …}}), as a stream record carries it. */
export type AttributeMap = Record<string, Record<string, unknown>>;

/** One change of one item, as the proxy saw it (images read before and after the write, serialised per key). */
export interface ItemChange {
  table: string;
  keys: AttributeMap;
  oldImage?: AttributeMap;
  newImage?: AttributeMap;
}

export type StreamViewType = 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES' | 'KEYS_ONLY';

/** The event source mapping's settings (aws_lambda_event_source_mapping), as far as the simulator honours them. */
export interface StreamMapping {
  /** Which mapping this is (the key in stream-mapping.json). */
  name: string;
  functionArn: string;
  /** FilterCriteria.Filters[].Pattern, parsed. A record matching none is dropped before batching. */
  filters: Array<Record<string, unknown>>;
  batchSize: number;
  /** -1: until the record expires (the stream keeps 24 h). */
  maximumRetryAttempts: number;
  /** -1: until the record expires. */
  maximumRecordAgeSeconds: number;
  bisectBatchOnFunctionError: boolean;
  reportBatchItemFailures: boolean;
  /** Concurrent batches per shard; records of one key always go to the same one, in order. */
  parallelizationFactor: number;
  /** The on-failure destination: gets an invocation record (not the records) per discarded batch. */
  onFailure: (message: Record<string, unknown>) => void;
}

export type StreamFunction = (event: DynamoDBStreamEvent) => Promise<unknown>;

/** Lambda's limits on FilterCriteria (Lambda quotas: 5 filters per mapping, a pattern of 4,096 characters at most). */
const MAX_FILTERS = 5;
const MAX_PATTERN_CHARS = 4096;
/** Records kept in `history`. */
const MAX_HISTORY = 10_000;
const SHARD_ID = 'shardId-00000001700000000000-sandbox0';
/** DynamoDB Streams throttles a shard read by more than two consumers at once (Streams developer guide). */
const MAX_READERS_PER_SHARD = 2;

interface Pending {
  record: DynamoDBRecord;
  arrivedAt: number;
  failures: number;
}

interface MappingState {
  settings: StreamMapping;
  fn: StreamFunction;
  lanes: Lane[];
}

interface Lane {
  owner: MappingState;
  queue: Pending[];
  busy: boolean;
  /** After a failed invocation with bisect on, the next batch is at most this long. */
  limit: number;
}

/**
 * A DynamoDB stream of one table and one Lambda event source mapping on it (dynalite has no
 * streams). Records have AWS's shape (the dynamodbstreams model's Record, plus the
 * eventSourceARN Lambda adds), one sequence number per change, in per-key order. Delivery
 * follows the mapping: filter, batch, retry with backoff, bisect on a function error, resume
 * from the lowest reported failure (ReportBatchItemFailures), and send an invocation record of
 * each discarded batch to the on-failure destination.
 */
export class DynamoDbStreamSimulator {
  readonly streamArn: string;
  private sequence = 0n;
  private readonly mappings: MappingState[] = [];
  private paused = false;
  private inFlight = 0;
  private readonly idleWaiters: Array<() => void> = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  /** Every record the stream held (matched by the filter or not). */
  readonly history: DynamoDBRecord[] = [];
  /** Invocations that answered (fully or partly) successfully, and those that threw or reported failures. */
  invocations = { succeeded: 0, failed: 0 };
  /** The on-failure destination's messages (one invocation record per discarded batch), when the mapping's onFailure keeps them here. */
  readonly failures: Array<Record<string, unknown>> = [];
  /** Fault injection: the next N invocations throw before the function runs (as a Lambda crash would). */
  faults = { invocationFailures: 0 };

  constructor(
    private readonly region: string,
    readonly tableName: string,
    readonly viewType: StreamViewType,
    private readonly retryBaseMs: number,
    /** Told when a record the simulator built breaks the dynamodbstreams model (GetRecords' Record). */
    private readonly onInvalidRecord: (violations: string[]) => void = (violations) => {
      throw new Error(`stream record breaks the dynamodbstreams model: ${violations.join('; ')}`);
    },
  ) {
    this.streamArn = `arn:aws:dynamodb:${region}:${ACCOUNT_ID}:table/${tableName}/stream/2026-01-01T00:00:00.000`;
  }

  /** Creates an event source mapping (each reads the whole stream on its own); its filters are checked as Lambda checks them. */
  map(settings: StreamMapping, fn: StreamFunction): void {
    if (this.mappings.length >= MAX_READERS_PER_SHARD) throw new Error(`a DynamoDB stream serves at most ${MAX_READERS_PER_SHARD} readers per shard without throttling; mapping ${settings.name} would be reader ${this.mappings.length + 1}`);
    if (settings.filters.length > MAX_FILTERS) throw new Error(`FilterCriteria holds ${settings.filters.length} filters; Lambda allows ${MAX_FILTERS}`);
    for (const pattern of settings.filters) {
      if (JSON.stringify(pattern).length > MAX_PATTERN_CHARS) throw new Error(`a filter pattern is over ${MAX_PATTERN_CHARS} characters`);
      matchesPattern(pattern, {}); // throws on a malformed pattern
    }
    if (settings.batchSize < 1 || settings.batchSize > 10_000) throw new Error('BatchSize must be 1 to 10,000 for a DynamoDB stream');
    if (settings.parallelizationFactor < 1 || settings.parallelizationFactor > 10) throw new Error('ParallelizationFactor must be 1 to 10');
    if (settings.maximumRecordAgeSeconds !== -1 && (settings.maximumRecordAgeSeconds < 60 || settings.maximumRecordAgeSeconds > 604_800)) throw new Error('MaximumRecordAgeInSeconds must be -1 or 60 to 604,800');
    if (settings.maximumRetryAttempts < -1 || settings.maximumRetryAttempts > 10_000) throw new Error('MaximumRetryAttempts must be -1 to 10,000');
    const state: MappingState = { settings, fn, lanes: [] };
    state.lanes = Array.from({ length: settings.parallelizationFactor }, () => ({ owner: state, queue: [], busy: false, limit: settings.batchSize }));
    this.mappings.push(state);
  }

  /** Points the mapping at another function (a test's child process standing in for the Lambda), keeping its settings and the records it holds. */
  redirect(fn: StreamFunction): void {
    if (this.mappings.length === 0) throw new Error('the stream has no event source mapping to redirect');
    for (const mapping of this.mappings) mapping.fn = fn;
  }

  /** A write the proxy saw; unchanged items write no record (as DynamoDB Streams does). */
  append(change: ItemChange): void {
    if (change.table !== this.tableName || this.closed) return;
    const eventName = change.oldImage ? (change.newImage ? 'MODIFY' : 'REMOVE') : change.newImage ? 'INSERT' : undefined;
    if (!eventName || (eventName === 'MODIFY' && canonical(change.oldImage) === canonical(change.newImage))) return;
    this.sequence++;
    const images = {
      ...(change.newImage && (this.viewType === 'NEW_IMAGE' || this.viewType === 'NEW_AND_OLD_IMAGES') ? { NewImage: change.newImage } : {}),
      ...(change.oldImage && (this.viewType === 'OLD_IMAGE' || this.viewType === 'NEW_AND_OLD_IMAGES') ? { OldImage: change.oldImage } : {}),
    };
    const record = {
      eventID: randomUUID().replace(/-/g, ''),
      eventName,
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: this.region,
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
        Keys: change.keys,
        ...images,
        // The model's SequenceNumber is 21 to 40 characters.
        SequenceNumber: (10n ** 20n + this.sequence).toString(),
        SizeBytes: Buffer.byteLength(JSON.stringify({ ...change.keys, ...images })),
        StreamViewType: this.viewType,
      },
      eventSourceARN: this.streamArn,
    } as DynamoDBRecord;
    const violations = streamRecordViolations(record);
    if (violations.length > 0) this.onInvalidRecord(violations);
    this.history.push(record);
    if (this.history.length > MAX_HISTORY) this.history.splice(0, this.history.length - MAX_HISTORY);
    this.deliver(record);
  }

  /** Queues `record` for every mapping whose filter matches it, on its key's lane; how many took it. */
  private deliver(record: DynamoDBRecord): number {
    let queued = 0;
    for (const mapping of this.mappings) {
      if (!mapping.settings.filters.some((pattern) => matchesPattern(pattern, record as unknown as Record<string, unknown>))) continue;
      const lane = mapping.lanes[laneOf(record.dynamodb!.Keys as AttributeMap, mapping.lanes.length)]!;
      lane.queue.push({ record, arrivedAt: Date.now(), failures: 0 });
      this.inFlight++;
      queued++;
      this.pump(lane);
    }
    return queued;
  }

  /**
   * Delivers again the records already in the stream that `select` picks, to every mapping whose
   * filter they match: Lambda's delivery is at least once (a retry after a timeout, a poller restart).
   * Returns how many deliveries were queued.
   */
  redeliver(select: (record: DynamoDBRecord) => boolean): number {
    let queued = 0;
    for (const record of this.history.filter(select)) {
      queued += this.deliver(record);
    }
    return queued;
  }

  /** Holds delivery (records stay in the stream, as while Lambda's poller is down); resume() goes on. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    for (const lane of this.mappings.flatMap((m) => m.lanes)) this.pump(lane);
  }

  /** Records written and matched, not yet processed or discarded. */
  get pending(): number {
    return this.inFlight;
  }

  /** Resolves once every matched record was processed or discarded (never while paused with records held). */
  whenIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private pump(lane: Lane): void {
    if (lane.busy || this.paused || this.closed || lane.queue.length === 0) return;
    lane.busy = true;
    setImmediate(() => void this.invoke(lane));
  }

  private async invoke(lane: Lane): Promise<void> {
    const { settings, fn } = lane.owner;
    if (this.paused || this.closed) {
      lane.busy = false;
      return;
    }
    this.discardExpired(lane);
    const batch = lane.queue.slice(0, Math.min(lane.limit, settings.batchSize));
    if (batch.length === 0) {
      lane.busy = false;
      return;
    }
    let failedFrom: number | undefined;
    let threw = false;
    try {
      if (this.faults.invocationFailures > 0) {
        this.faults.invocationFailures--;
        throw new Error('the invocation failed (injected by the sandbox)');
      }
      const answer = (await fn({ Records: batch.map((p) => p.record) })) as DynamoDBBatchResponse | undefined;
      failedFrom = settings.reportBatchItemFailures ? firstFailure(answer, batch) : undefined;
    } catch {
      threw = true;
      failedFrom = 0;
    }
    if (failedFrom === undefined) {
      this.invocations.succeeded++;
      this.complete(lane, batch.length);
      lane.limit = settings.batchSize;
    } else {
      this.invocations.failed++;
      // Records before the lowest failure are checkpointed; the rest are retried.
      this.complete(lane, failedFrom);
      const retried = batch.slice(failedFrom);
      // Lambda: "splitting a batch does not count towards the retry quota"; a batch of one that fails does.
      const splitting = threw && settings.bisectBatchOnFunctionError && batch.length > 1;
      if (!splitting) for (const p of retried) p.failures++;
      if (settings.bisectBatchOnFunctionError) lane.limit = threw ? Math.max(1, Math.ceil(batch.length / 2)) : Math.max(1, retried.length);
      if (!splitting) this.discardExhausted(lane, retried);
      if (lane.queue.length > 0 && lane.queue[0] === retried[0]) {
        const delay = this.retryBaseMs * 2 ** Math.min(Math.max(retried[0]!.failures - 1, 0), 6);
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          void this.invoke(lane);
        }, delay);
        this.timers.add(timer);
        return;
      }
    }
    lane.busy = false;
    this.pump(lane);
  }

  /** Drops the first n records of the lane's queue: processed. */
  private complete(lane: Lane, n: number): void {
    lane.queue.splice(0, n);
    this.settle(n);
  }

  /** A failed batch whose records ran out of retries is discarded as a whole, as Lambda does. */
  private discardExhausted(lane: Lane, retried: Pending[]): void {
    const { maximumRetryAttempts } = lane.owner.settings;
    const exhausted = maximumRetryAttempts !== -1 && retried.some((p) => p.failures > maximumRetryAttempts);
    if (exhausted) this.discard(lane, retried.length, 'RetryAttemptsExhausted');
  }

  private discardExpired(lane: Lane): void {
    const { maximumRecordAgeSeconds } = lane.owner.settings;
    if (maximumRecordAgeSeconds === -1) return;
    let n = 0;
    while (n < lane.queue.length && Date.now() - lane.queue[n]!.arrivedAt > maximumRecordAgeSeconds * 1000) n++;
    if (n > 0) this.discard(lane, n, 'RecordAgeExceeded');
  }

  /** The invocation record of a discarded batch (Lambda's on-failure record for DynamoDB streams). */
  private discard(lane: Lane, n: number, condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded'): void {
    const batch = lane.queue.slice(0, n);
    const first = batch[0]!.record.dynamodb!;
    const last = batch[batch.length - 1]!.record.dynamodb!;
    lane.owner.settings.onFailure({
      requestContext: { requestId: randomUUID(), functionArn: lane.owner.settings.functionArn, condition, approximateInvokeCount: Math.max(...batch.map((p) => p.failures)) },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: new Date().toISOString(),
      DDBStreamBatchInfo: {
        shardId: SHARD_ID,
        startSequenceNumber: first.SequenceNumber,
        endSequenceNumber: last.SequenceNumber,
        approximateArrivalOfFirstRecord: new Date(first.ApproximateCreationDateTime! * 1000).toISOString(),
        approximateArrivalOfLastRecord: new Date(last.ApproximateCreationDateTime! * 1000).toISOString(),
        batchSize: n,
        streamArn: this.streamArn,
      },
    });
    this.complete(lane, n);
  }

  private settle(n: number): void {
    this.inFlight -= n;
    if (this.inFlight === 0) this.idleWaiters.splice(0).forEach((resolve) => resolve());
  }
}

/** What breaks AWS's model in a record as Lambda delivers it (the dynamodbstreams Record, plus the eventSourceARN Lambda adds). */
export function streamRecordViolations(record: DynamoDBRecord): string[] {
  const { eventSourceARN, ...modelled } = record;
  const violations = shapeViolations(loadServiceModel('dynamodbstreams'), 'Record', modelled);
  if (typeof eventSourceARN !== 'string' || !/^arn:aws:dynamodb:[a-z0-9-]+:\d{12}:table\/[\w.-]{3,255}\/stream\/\S+$/.test(eventSourceARN)) violations.push(`eventSourceARN ${String(eventSourceARN)} is not a DynamoDB stream ARN`);
  return violations;
}

/**
 * The index of the lowest failed record a partial batch response names; undefined when none
 * failed. An empty, missing or unknown itemIdentifier fails the whole batch (Lambda's rule).
 */
function firstFailure(answer: DynamoDBBatchResponse | undefined, batch: Pending[]): number | undefined {
  const failures = answer?.batchItemFailures;
  if (!failures || failures.length === 0) return undefined;
  let lowest = batch.length;
  for (const failure of failures) {
    const index = batch.findIndex((p) => p.record.dynamodb?.SequenceNumber === failure?.itemIdentifier);
    if (!failure?.itemIdentifier || index < 0) return 0;
    lowest = Math.min(lowest, index);
  }
  return lowest;
}

/** Which concurrent batch a key's records go to (Lambda keeps one key's records in order). */
function laneOf(keys: AttributeMap, lanes: number): number {
  return createHash('sha256').update(canonical(keys)).digest().readUInt32BE(0) % lanes;
}

/** JSON with object keys sorted, so two images compare equal whatever their attribute order. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
