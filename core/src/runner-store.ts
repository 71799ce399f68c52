import { ConditionalCheckFailedException, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { CapacityLedger } from './capacity-ledger.js';
import { IllegalTransitionError, StaleRecordError } from './errors.js';
import { BILLING_FIELDS, type BillingField, type RunnerRecord, type RunnerUpdate } from './runner-record.js';
import { canTransition, isTerminal, TERMINAL_STATUSES, type RunnerStatus } from './statuses.js';

export { CapacityLedger, CAPACITY_LEDGER_KEY } from './capacity-ledger.js';

export const STATUS_INDEX = 'status-index';
/** Sparse index of the runners waiting to be dispatched again, by when they are due. */
export const RETRY_INDEX = 'retry-index';
/** The `waiting` value of every runner in RETRY_INDEX (one partition: the fleet's launch queue). */
const WAITING_FOR_LAUNCH = 'launch';
/**
 * The runner table of DESIGN §4 (key runnerId, on-demand, status-index on
 * status + createdAt), for the sandbox and tests; Terraform declares the same.
 */
export function runnerTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'runnerId', AttributeType: 'S' },
      { AttributeName: 'status', AttributeType: 'S' },
      { AttributeName: 'createdAt', AttributeType: 'S' },
      { AttributeName: 'waiting', AttributeType: 'S' },
      { AttributeName: 'retryAt', AttributeType: 'S' },
    ],
    KeySchema: [{ AttributeName: 'runnerId', KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [
      {
        IndexName: STATUS_INDEX,
        KeySchema: [
          { AttributeName: 'status', KeyType: 'HASH' },
          { AttributeName: 'createdAt', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      {
        IndexName: RETRY_INDEX,
        KeySchema: [
          { AttributeName: 'waiting', KeyType: 'HASH' },
          { AttributeName: 'retryAt', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}

/** Delivery markers only need to outlive GitHub's redelivery window. */
const DELIVERY_MARKER_TTL_SECONDS = 3 * 24 * 3600;

const jobEndedKey = (jobId: number) => `ended#${jobId}`;
const jobStartedKey = (runnerName: string) => `started#${runnerName}`;

export interface RunnerStoreOptions {
  tableName: string;
  /** Terminal records expire this many days after they end (DynamoDB TTL on expiresAt). */
  retentionDays: number;
  now?: () => Date;
}

/** What a transition needs to know about the record it changes. */
export type RecordRef = Pick<RunnerRecord, 'runnerId' | 'status' | 'version'>;

export type BuildStatus = 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED' | 'STOPPED' | 'TIMED_OUT' | 'FAULT';

/** One runner image build, keyed `image#<tag>` (DESIGN §4): one build per tag however many jobs wait. */
export interface ImageBuildRecord {
  runnerId: string;
  kind: 'image-build';
  tag: string;
  baseImage: string;
  buildStatus: BuildStatus;
  buildId?: string;
  statusReason?: string;
  createdAt: string;
  updatedAt: string;
  expiresAt?: number;
}

export type AdvanceResult =
  | { changed: true; record: RunnerRecord }
  | { changed: false; record?: RunnerRecord; reason: string };

export interface ListPage {
  records: RunnerRecord[];
  nextKey?: Record<string, unknown>;
}

/**
 * The runner table (DESIGN §4). Creation is conditional on the id being new;
 * every update is conditional on the version read and on a legal transition,
 * so two writers can never both win and a terminal record never changes.
 */
export class RunnerStore {
  private readonly now: () => Date;
  /** The MAX_RUNNERS slots; every terminal transition frees the runner's slot. */
  readonly capacity: CapacityLedger;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly options: RunnerStoreOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.capacity = new CapacityLedger(doc, options.tableName, this.now);
  }

  get tableName(): string {
    return this.options.tableName;
  }

  /** Creates the record; false when a record with this id already exists. */
  async create(record: RunnerRecord): Promise<boolean> {
    const item = isTerminal(record.status) ? { ...record, expiresAt: record.expiresAt ?? this.expiry() } : record;
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(runnerId)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async get(runnerId: string): Promise<RunnerRecord | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.options.tableName, Key: { runnerId }, ConsistentRead: true }));
    const item = out.Item as (RunnerRecord & { kind?: string }) | undefined;
    return item && item.kind === undefined ? item : undefined;
  }

  /**
   * Moves `ref` to `to`, conditional on the record still being at ref's
   * status and version. Throws IllegalTransitionError before writing anything
   * when DESIGN §4 forbids the move, StaleRecordError when the record changed.
   * A runner that ends gives up its slot, whichever path ended it. Leaving
   * the queue drops the waiting mark (retryAt).
   */
  async transition(ref: RecordRef, to: RunnerStatus, update: RunnerUpdate = {}): Promise<RunnerRecord> {
    if (!canTransition(ref.status, to)) throw new IllegalTransitionError(ref.runnerId, ref.status, to);
    const at = this.now();
    const fields: Record<string, unknown> = { ...update, status: to, updatedAt: at.toISOString() };
    if (isTerminal(to)) {
      fields.finishedAt ??= at.toISOString();
      fields.expiresAt = this.expiry(at);
    }
    const record = await this.write(ref, fields, 'retryAt' in update ? [] : ['retryAt']);
    if (isTerminal(to)) await this.capacity.release(ref.runnerId);
    return record;
  }

  /** Sets fields without changing status (e.g. the taskArn of a runner that is already busy); `remove` drops attributes. */
  async patch(ref: RecordRef, update: RunnerUpdate, remove: Array<keyof RunnerUpdate> = []): Promise<RunnerRecord> {
    if (isTerminal(ref.status)) throw new IllegalTransitionError(ref.runnerId, ref.status, ref.status);
    return this.write(ref, { ...update, updatedAt: this.now().toISOString() }, remove);
  }

  /**
   * Runners waiting to be dispatched again whose retryAt has come, the
   * longest due first (queued ones, and image_building ones whose image is
   * ready). One query of the sparse retry index: the cost does not grow with
   * the backlog. Runners waiting for a slot are due from their createdAt, so
   * among them the oldest job comes first.
   */
  async listWaiting(limit: number): Promise<RunnerRecord[]> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.options.tableName,
        IndexName: RETRY_INDEX,
        KeyConditionExpression: 'waiting = :waiting AND retryAt <= :now',
        ExpressionAttributeValues: { ':waiting': WAITING_FOR_LAUNCH, ':now': this.now().toISOString() },
        ScanIndexForward: true,
        Limit: limit,
      }),
    );
    return (out.Items ?? []) as RunnerRecord[];
  }

  /**
   * Read-modify-write with retries: moves the record to `to` unless it is
   * missing, terminal, or already past `to` (then says why and changes nothing).
   * `to` and `update` may be decided from the record as read; a retry after a
   * lost race decides again from the fresh record.
   */
  async advance(
    runnerId: string,
    to: RunnerStatus | ((current: RunnerRecord) => RunnerStatus),
    update: RunnerUpdate | ((current: RunnerRecord, to: RunnerStatus) => RunnerUpdate) = {},
    maxAttempts = 5,
  ): Promise<AdvanceResult> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(runnerId);
      if (!current) return { changed: false, reason: `no record for runner ${runnerId}` };
      const target = typeof to === 'function' ? to(current) : to;
      if (!canTransition(current.status, target)) {
        return { changed: false, record: current, reason: `runner ${runnerId} is ${current.status}; ${current.status} → ${target} is not allowed` };
      }
      try {
        const fields = typeof update === 'function' ? update(current, target) : update;
        return { changed: true, record: await this.transition(current, target, fields) };
      } catch (error) {
        if (!(error instanceof StaleRecordError) || attempt >= maxAttempts) throw error;
      }
    }
  }

  /**
   * Read-modify-write of fields, status unchanged, with retries: `decide`
   * sees the record as read and returns the update, or undefined to leave it
   * (then nothing is written and undefined is returned). A lost race decides again.
   */
  async revise(runnerId: string, decide: (current: RunnerRecord) => RunnerUpdate | undefined, maxAttempts = 5): Promise<RunnerRecord | undefined> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(runnerId);
      const update = current && !isTerminal(current.status) ? decide(current) : undefined;
      if (!current || !update) return undefined;
      try {
        return await this.patch(current, update);
      } catch (error) {
        if (!(error instanceof StaleRecordError) || attempt >= maxAttempts) throw error;
      }
    }
  }

  /**
   * Claims the build of `tag`: true for the caller that should start it. A tag
   * whose image went missing after a successful build can be claimed again; one
   * whose build failed only once `retryFailedAfter` has passed; one in progress never.
   */
  async claimImageBuild(tag: string, baseImage: string, retryFailedAfterMs: number): Promise<boolean> {
    const now = this.now();
    const at = now.toISOString();
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: { runnerId: `image#${tag}`, kind: 'image-build', tag, baseImage, buildStatus: 'IN_PROGRESS', createdAt: at, updatedAt: at },
          ConditionExpression: 'attribute_not_exists(runnerId) OR buildStatus = :succeeded OR (buildStatus <> :inProgress AND updatedAt < :retryBefore)',
          ExpressionAttributeValues: { ':inProgress': 'IN_PROGRESS', ':succeeded': 'SUCCEEDED', ':retryBefore': new Date(now.getTime() - retryFailedAfterMs).toISOString() },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async getImageBuild(tag: string): Promise<ImageBuildRecord | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.options.tableName, Key: { runnerId: `image#${tag}` }, ConsistentRead: true }));
    return out.Item as ImageBuildRecord | undefined;
  }

  /** Records the build id, or the build's end; an end is recorded once (conditional on IN_PROGRESS). */
  async updateImageBuild(tag: string, update: { buildId?: string; buildStatus?: BuildStatus; statusReason?: string }): Promise<boolean> {
    const fields = { ...update, updatedAt: this.now().toISOString() };
    const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { runnerId: `image#${tag}` },
          UpdateExpression: `SET ${entries.map(([k]) => `#${k} = :${k}`).join(', ')}`,
          ConditionExpression: 'buildStatus = :inProgress',
          ExpressionAttributeNames: Object.fromEntries(entries.map(([k]) => [`#${k}`, k])),
          ExpressionAttributeValues: { ...Object.fromEntries(entries.map(([k, v]) => [`:${k}`, v])), ':inProgress': 'IN_PROGRESS' },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Gives up a claim whose build could not be started, so the next job can claim it. */
  async releaseImageBuild(tag: string): Promise<void> {
    await this.doc.send(
      new DeleteCommand({
        TableName: this.options.tableName,
        Key: { runnerId: `image#${tag}` },
        ConditionExpression: 'buildStatus = :inProgress AND attribute_not_exists(buildId)',
        ExpressionAttributeValues: { ':inProgress': 'IN_PROGRESS' },
      }),
    ).catch((error: unknown) => {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    });
  }

  /**
   * Records that runner `runnerName` started a job (`started#<runnerName>`, kind "job-started",
   * TTL 3 days), with the `in_progress` update dispatch acts on. Keyed by the runner: an
   * ephemeral runner takes one job, so every delivery of that start, whatever its id, is the
   * same item, and a stopped task can read whether its runner took a job without waiting for
   * the stream. False when it was recorded before.
   */
  async markJobStarted(runnerName: string, update: Record<string, unknown>): Promise<boolean> {
    return this.putMarker({ runnerId: jobStartedKey(runnerName), kind: 'job-started', update });
  }

  /** The job runner `runnerName` started, by its `in_progress` as ingress recorded it; undefined when none was (a strongly consistent read). */
  async jobStartedOn(runnerName: string): Promise<{ jobId: number } | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.options.tableName, Key: { runnerId: jobStartedKey(runnerName) }, ConsistentRead: true, ProjectionExpression: 'runnerId, #u.#j.#i', ExpressionAttributeNames: { '#u': 'update', '#j': 'job', '#i': 'id' } }),
    );
    const jobId = (out.Item as { update?: { job?: { id?: unknown } } } | undefined)?.update?.job?.id;
    return typeof jobId === 'number' ? { jobId } : undefined;
  }

  /**
   * Records that job `jobId` ended (`ended#<jobId>`, kind "job-ended", TTL 3 days), with the
   * `completed` update dispatch acts on. One per job (a re-run is a new job id), so it also
   * de-duplicates `completed` deliveries, and a late `queued` finds the job ended.
   * False when it was recorded before.
   */
  async markJobEnded(jobId: number, update: Record<string, unknown>): Promise<boolean> {
    return this.putMarker({ runnerId: jobEndedKey(jobId), kind: 'job-ended', update });
  }

  /**
   * What a `queued` hand-off needs to know before it launches, in one consistent batch read:
   * the runner record as it stands now, and job `jobId`'s ended marker (with the conclusion its
   * `completed` carried) if the job already ended.
   */
  async handoffState(runnerId: string, jobId: number): Promise<{ record?: RunnerRecord; ended?: { conclusion: string } }> {
    const found: Array<Record<string, unknown>> = [];
    let keys: Array<Record<string, unknown>> | undefined = [{ runnerId }, { runnerId: jobEndedKey(jobId) }];
    // DynamoDB may leave some keys unprocessed under load: ask again for those.
    while (keys && keys.length > 0) {
      const out: BatchGetCommandOutput = await this.doc.send(new BatchGetCommand({ RequestItems: { [this.options.tableName]: { Keys: keys, ConsistentRead: true } } }));
      found.push(...(out.Responses?.[this.options.tableName] ?? []));
      keys = out.UnprocessedKeys?.[this.options.tableName]?.Keys;
    }
    const record = found.find((item) => item.runnerId === runnerId && item.kind === undefined) as RunnerRecord | undefined;
    const marker = found.find((item) => item.runnerId === jobEndedKey(jobId)) as { update?: { job?: { conclusion?: unknown } } } | undefined;
    const conclusion = marker?.update?.job?.conclusion;
    return {
      ...(record ? { record } : {}),
      ...(marker ? { ended: { conclusion: typeof conclusion === 'string' && conclusion !== '' ? conclusion : 'unknown' } } : {}),
    };
  }

  private async putMarker(item: { runnerId: string; kind: string; update?: Record<string, unknown> }): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: { ...item, expiresAt: Math.floor(this.now().getTime() / 1000) + DELIVERY_MARKER_TTL_SECONDS },
          ConditionExpression: 'attribute_not_exists(runnerId)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Records that job `jobId` reached one of this fleet's runners other than
   * its own (`job#<id>`, kind "job", TTL 3 days), so housekeeping does not
   * launch a replacement for it.
   */
  async markJobServed(jobId: number, runnerId: string): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.options.tableName,
        Item: { runnerId: `job#${jobId}`, kind: 'job', servedBy: runnerId, expiresAt: Math.floor(this.now().getTime() / 1000) + DELIVERY_MARKER_TTL_SECONDS },
      }),
    );
  }

  /** Which of these jobs have a served marker: one batch read per 100 jobs. */
  async servedJobs(jobIds: number[]): Promise<Set<number>> {
    const served = new Set<number>();
    for (let i = 0; i < jobIds.length; i += 100) {
      let keys: Array<Record<string, unknown>> | undefined = jobIds.slice(i, i + 100).map((id) => ({ runnerId: `job#${id}` }));
      // DynamoDB may leave some keys unprocessed under load: ask again for those.
      while (keys && keys.length > 0) {
        const out: BatchGetCommandOutput = await this.doc.send(new BatchGetCommand({ RequestItems: { [this.options.tableName]: { Keys: keys, ConsistentRead: true } } }));
        for (const item of out.Responses?.[this.options.tableName] ?? []) served.add(Number(String(item.runnerId).slice('job#'.length)));
        keys = out.UnprocessedKeys?.[this.options.tableName]?.Keys;
      }
    }
    return served;
  }

  /**
   * The billing facts of a task that stopped after its record became terminal (the
   * usual order: GitHub's `completed` arrives before ECS's STOPPED). The one write a
   * terminal record takes: billing fields only, once (conditional on no billing end
   * yet), status, version and every other field untouched. False when nothing was
   * written (no record, live record, or already recorded).
   */
  async recordBillingEnd(runnerId: string, facts: Pick<RunnerUpdate, BillingField>): Promise<boolean> {
    const entries = Object.entries(facts).filter(([key, value]) => value !== undefined && (BILLING_FIELDS as readonly string[]).includes(key));
    if (!facts.billingEndedAt || entries.length === 0) return false;
    const names: Record<string, string> = { '#status': 'status', '#billingEndedAt': 'billingEndedAt' };
    const values: Record<string, unknown> = {};
    const terminal = TERMINAL_STATUSES.map((status, i) => {
      values[`:t${i}`] = status;
      return `:t${i}`;
    });
    const sets = entries.map(([key, value]) => {
      names[`#${key}`] = key;
      values[`:${key}`] = value;
      return `#${key} = :${key}`;
    });
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { runnerId },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: `attribute_exists(runnerId) AND #status IN (${terminal.join(', ')}) AND attribute_not_exists(#billingEndedAt)`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * One page of records with `status`, newest first, through the status index;
   * `since` / `until` bound createdAt (inclusive). The one query by status:
   * every listing by status goes through it.
   */
  async listByStatus(status: RunnerStatus, options: { limit?: number; startKey?: Record<string, unknown>; since?: string; until?: string } = {}): Promise<ListPage> {
    const { since, until } = options;
    if (since !== undefined && until !== undefined && since > until) return { records: [] };
    const range = since !== undefined && until !== undefined ? ' AND createdAt BETWEEN :since AND :until' : since !== undefined ? ' AND createdAt >= :since' : until !== undefined ? ' AND createdAt <= :until' : '';
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.options.tableName,
        IndexName: STATUS_INDEX,
        KeyConditionExpression: `#status = :status${range}`,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': status, ...(since !== undefined ? { ':since': since } : {}), ...(until !== undefined ? { ':until': until } : {}) },
        ScanIndexForward: false,
        Limit: options.limit,
        ExclusiveStartKey: options.startKey,
      }),
    );
    return { records: (out.Items ?? []) as RunnerRecord[], nextKey: out.LastEvaluatedKey };
  }

  /** How many records have `status` (paginated COUNT queries on the status index). */
  async countByStatus(status: RunnerStatus): Promise<number> {
    let count = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.options.tableName,
          IndexName: STATUS_INDEX,
          KeyConditionExpression: '#status = :status',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': status },
          Select: 'COUNT',
          ExclusiveStartKey: startKey,
        }),
      );
      count += out.Count ?? 0;
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return count;
  }

  /** One page of a full scan, runner records only. */
  async scanPage(options: { limit?: number; startKey?: Record<string, unknown>; segment?: number; totalSegments?: number } = {}): Promise<ListPage> {
    const out = await this.doc.send(
      new ScanCommand({
        TableName: this.options.tableName,
        FilterExpression: 'attribute_not_exists(kind)',
        Limit: options.limit,
        ExclusiveStartKey: options.startKey,
        ...(options.totalSegments ? { Segment: options.segment ?? 0, TotalSegments: options.totalSegments } : {}),
      }),
    );
    return { records: (out.Items ?? []) as RunnerRecord[], nextKey: out.LastEvaluatedKey };
  }

  private async write(ref: RecordRef, fields: Record<string, unknown>, remove: string[] = []): Promise<RunnerRecord> {
    const names: Record<string, string> = { '#status': 'status', '#version': 'version' };
    const values: Record<string, unknown> = { ':expectedStatus': ref.status, ':expectedVersion': ref.version, ':nextVersion': ref.version + 1 };
    const sets = ['#version = :nextVersion'];
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      names[`#${key}`] = key;
      values[`:${key}`] = value;
      sets.push(`#${key} = :${key}`);
    }
    // `waiting` (the retry index's key) is present exactly while retryAt is.
    if (fields.retryAt !== undefined) {
      names['#waiting'] = 'waiting';
      values[':waiting'] = WAITING_FOR_LAUNCH;
      sets.push('#waiting = :waiting');
    } else if (remove.includes('retryAt')) {
      remove = [...remove, 'waiting'];
    }
    const removed = remove.filter((key) => fields[key] === undefined).map((key) => {
      names[`#${key}`] = key;
      return `#${key}`;
    });
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { runnerId: ref.runnerId },
          UpdateExpression: `SET ${sets.join(', ')}${removed.length ? ` REMOVE ${removed.join(', ')}` : ''}`,
          ConditionExpression: '#status = :expectedStatus AND #version = :expectedVersion',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes as RunnerRecord;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new StaleRecordError(ref.runnerId);
      throw error;
    }
  }

  private expiry(at: Date = this.now()): number {
    return Math.floor(at.getTime() / 1000) + Math.round(this.options.retentionDays * 24 * 3600);
  }
}
