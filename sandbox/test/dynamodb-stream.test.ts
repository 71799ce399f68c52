import { describe, expect, it } from '@jest/globals';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { DynamoDbStreamSimulator, streamRecordViolations, type StreamMapping } from '../src/aws/dynamodb-stream.js';
import { loadStreamMappings } from '../src/stream-mapping.js';

const key = (id: string) => ({ runnerId: { S: id } });
const queuedImage = (id: string) => ({ runnerId: { S: id }, status: { S: 'queued' }, deliveryId: { S: `d-${id}` } });
const markerImage = (id: string) => ({ runnerId: { S: `started#${id}` }, kind: { S: 'job-started' }, update: { M: { action: { S: 'in_progress' } } } });

function mapping(name: string, overrides: Partial<StreamMapping> = {}): StreamMapping {
  const file = loadStreamMappings().find((m) => m.name === name)!;
  return { ...file, functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:cp', onFailure: () => undefined, ...overrides };
}

describe('the DynamoDB stream simulator', () => {
  it('builds records that satisfy the dynamodbstreams model, and the check refuses one that does not', () => {
    const stream = new DynamoDbStreamSimulator('us-east-1', 'runners', 'NEW_IMAGE', 1);
    stream.append({ table: 'runners', keys: key('r1'), newImage: queuedImage('r1') });
    stream.append({ table: 'runners', keys: key('r1'), oldImage: queuedImage('r1'), newImage: { ...queuedImage('r1'), status: { S: 'starting' } } });
    expect(stream.history.map((r) => r.eventName)).toEqual(['INSERT', 'MODIFY']);
    for (const record of stream.history) expect(streamRecordViolations(record)).toEqual([]);
    // An unchanged image writes no record, as DynamoDB Streams does.
    stream.append({ table: 'runners', keys: key('r1'), oldImage: queuedImage('r1'), newImage: queuedImage('r1') });
    expect(stream.history).toHaveLength(2);

    const broken = { ...structuredClone(stream.history[0]!), eventName: 'UPSERT' } as unknown as DynamoDBRecord;
    broken.dynamodb!.SequenceNumber = '12';
    expect(streamRecordViolations(broken)).toEqual([
      expect.stringContaining("at 'eventName' failed to satisfy constraint: Member must satisfy enum value set: [INSERT, MODIFY, REMOVE]"),
      expect.stringContaining("at 'dynamodb.SequenceNumber' failed to satisfy constraint: Member must have length greater than or equal to 21"),
    ]);
  });

  it('delivers each record to every mapping whose filter it matches, and refuses a third reader', async () => {
    const stream = new DynamoDbStreamSimulator('us-east-1', 'runners', 'NEW_IMAGE', 1);
    const seen: Record<string, string[]> = { launches: [], job_updates: [] };
    for (const name of ['launches', 'job_updates']) {
      stream.map(mapping(name), async (event: DynamoDBStreamEvent) => {
        seen[name]!.push(...event.Records.map((r) => r.dynamodb!.Keys!.runnerId!.S!));
        return { batchItemFailures: [] };
      });
    }
    expect(() => stream.map(mapping('launches', { name: 'third' }), async () => undefined)).toThrow(/at most 2 readers per shard/);
    stream.append({ table: 'runners', keys: key('r1'), newImage: queuedImage('r1') });
    stream.append({ table: 'runners', keys: key('started#x'), newImage: markerImage('x') });
    stream.append({ table: 'runners', keys: key('r1'), oldImage: queuedImage('r1'), newImage: { ...queuedImage('r1'), status: { S: 'starting' } } });
    await stream.whenIdle();
    expect(seen).toEqual({ launches: ['r1'], job_updates: ['started#x'] });
  });

  it('retries from the lowest reported failure, and sends a discarded batch to the on-failure destination', async () => {
    const failures: Array<Record<string, unknown>> = [];
    const stream = new DynamoDbStreamSimulator('us-east-1', 'runners', 'NEW_IMAGE', 1);
    const calls: string[][] = [];
    stream.map(mapping('launches', { parallelizationFactor: 1, maximumRetryAttempts: 2, onFailure: (m) => void failures.push(m) }), async (event): Promise<DynamoDBBatchResponse> => {
      const ids = event.Records.map((r) => r.dynamodb!.Keys!.runnerId!.S!);
      calls.push(ids);
      // r2 always fails: it and every record after it are reported.
      const at = ids.indexOf('r2');
      return { batchItemFailures: at < 0 ? [] : event.Records.slice(at).map((r) => ({ itemIdentifier: r.dynamodb!.SequenceNumber! })) };
    });
    stream.pause();
    for (const id of ['r1', 'r2', 'r3']) stream.append({ table: 'runners', keys: key(id), newImage: queuedImage(id) });
    stream.resume();
    await stream.whenIdle();
    // First try, then 2 retries of what failed; then the rest is discarded as one batch.
    expect(calls).toEqual([['r1', 'r2', 'r3'], ['r2', 'r3'], ['r2', 'r3']]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 }, DDBStreamBatchInfo: { batchSize: 2, streamArn: stream.streamArn } });
  });
});
