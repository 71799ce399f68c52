import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CreateTableCommand, DynamoDBClient, TransactionCanceledException, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { startDynamoDb } from '../src/aws/dynamodb-server.js';
import type { ItemChange } from '../src/aws/dynamodb-stream.js';

describe("the sandbox's TransactWriteItems (dynalite has none)", () => {
  let db: Awaited<ReturnType<typeof startDynamoDb>>;
  let client: DynamoDBClient;
  let doc: DynamoDBDocumentClient;
  const changes: ItemChange[] = [];

  beforeAll(async () => {
    db = await startDynamoDb();
    client = new DynamoDBClient({ endpoint: db.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
    doc = DynamoDBDocumentClient.from(client);
    await client.send(new CreateTableCommand({ TableName: 'txt', BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] }));
    db.dynamodb.onChange((c) => changes.push(c));
  });
  afterAll(() => db.close());

  const get = async (id: string) => (await doc.send(new GetCommand({ TableName: 'txt', Key: { id }, ConsistentRead: true }))).Item;
  const counterAndClaim = (claim: string, cap: number) =>
    new TransactWriteCommand({
      TransactItems: [
        { Update: { TableName: 'txt', Key: { id: `claim#${claim}` }, UpdateExpression: 'SET #s = :s', ConditionExpression: 'attribute_not_exists(#s)', ExpressionAttributeNames: { '#s': 'shard' }, ExpressionAttributeValues: { ':s': 'slots#0' } } },
        { Update: { TableName: 'txt', Key: { id: 'slots#0' }, UpdateExpression: 'ADD #n :one', ConditionExpression: 'attribute_not_exists(#n) OR #n < :cap', ExpressionAttributeNames: { '#n': 'count' }, ExpressionAttributeValues: { ':one': 1, ':cap': cap } } },
      ],
      ReturnConsumedCapacity: 'TOTAL',
    });

  it('applies every action when every condition holds, reports two write units per unit, and streams each change once', async () => {
    changes.length = 0;
    const out = await doc.send(counterAndClaim('a', 2));
    expect(out.ConsumedCapacity).toEqual([{ TableName: 'txt', CapacityUnits: 4 }]);
    expect(await get('claim#a')).toEqual({ id: 'claim#a', shard: 'slots#0' });
    expect(await get('slots#0')).toEqual({ id: 'slots#0', count: 1 });
    await db.dynamodb.whenRecorded();
    expect(changes.map((c) => [c.keys.id?.S, c.oldImage === undefined, c.newImage !== undefined])).toEqual([
      ['claim#a', true, true],
      ['slots#0', true, true],
    ]);
  });

  it('changes nothing when one condition fails, and names the failed action in CancellationReasons', async () => {
    await doc.send(counterAndClaim('b', 2));
    changes.length = 0;
    const refused = await doc.send(counterAndClaim('c', 2)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TransactionCanceledException);
    expect((refused as TransactionCanceledException).CancellationReasons?.map((r) => r.Code)).toEqual(['None', 'ConditionalCheckFailed']);
    expect(await get('claim#c')).toBeUndefined(); // the applied first action was rolled back
    expect(await get('slots#0')).toEqual({ id: 'slots#0', count: 2 });
    await db.dynamodb.whenRecorded();
    expect(changes).toEqual([]);
  });

  it('returns the item as it was for ReturnValuesOnConditionCheckFailure ALL_OLD', async () => {
    const refused = (await doc
      .send(new TransactWriteCommand({ TransactItems: [{ Put: { TableName: 'txt', Item: { id: 'claim#a' }, ConditionExpression: 'attribute_not_exists(id)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } }] }))
      .catch((e: unknown) => e)) as TransactionCanceledException;
    expect(refused.CancellationReasons?.[0]).toMatchObject({ Code: 'ConditionalCheckFailed', Item: { id: { S: 'claim#a' }, shard: { S: 'slots#0' } } });
  });

  it('refuses two actions on one item, an entry with two actions, more than 100 items, and an unknown table, changing nothing', async () => {
    const put = (id: string) => ({ Put: { TableName: 'txt', Item: { id: { S: id } } } });
    const cases = [
      { TransactItems: [put('d'), put('d')] },
      { TransactItems: [{ ...put('d'), Delete: { TableName: 'txt', Key: { id: { S: 'd' } } } }] },
      { TransactItems: Array.from({ length: 101 }, (_, i) => put(`d${i}`)) },
      { TransactItems: [{ Put: { TableName: 'nope-table', Item: { id: { S: 'd' } } } }] },
    ];
    const names = [];
    for (const input of cases) names.push(((await client.send(new TransactWriteItemsCommand(input)).catch((e: unknown) => e)) as Error).name);
    expect(names).toEqual(['ValidationException', 'ValidationException', 'ValidationException', 'ResourceNotFoundException']);
    expect(await get('d')).toBeUndefined();
    expect(await get('d0')).toBeUndefined();
  });

  it('answers a malformed action with its own error and rolls back the actions before it', async () => {
    const error = (await doc
      .send(new TransactWriteCommand({ TransactItems: [{ Put: { TableName: 'txt', Item: { id: 'e' } } }, { Update: { TableName: 'txt', Key: { id: 'f' }, UpdateExpression: 'SET = nonsense' } }] }))
      .catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('ValidationException');
    expect(await get('e')).toBeUndefined();
  });

  it('answers a retried ClientRequestToken without applying it again, and refuses the token with another request', async () => {
    const input = { ClientRequestToken: 'token-1', TransactItems: [{ Update: { TableName: 'txt', Key: { id: { S: 'n' } }, UpdateExpression: 'ADD v :one', ExpressionAttributeValues: { ':one': { N: '1' } } } }] };
    await client.send(new TransactWriteItemsCommand(input));
    await client.send(new TransactWriteItemsCommand(input));
    expect(await get('n')).toEqual({ id: 'n', v: 1 });
    const other = { ...input, TransactItems: [{ Put: { TableName: 'txt', Item: { id: { S: 'other' } } } }] };
    expect(((await client.send(new TransactWriteItemsCommand(other)).catch((e: unknown) => e)) as Error).name).toBe('IdempotentParameterMismatchException');
  });

  it('serializes with single-item writes on the same item: concurrent claims never pass the cap', async () => {
    await doc.send(new PutCommand({ TableName: 'txt', Item: { id: 'slots#0', count: 0 } }));
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        doc.send(counterAndClaim(`race-${i}`, 7)).then(
          () => 'claimed',
          (e: unknown) => (e as Error).name,
        ),
      ),
    );
    // And a plain write racing them waits its turn instead of landing inside one.
    await doc.send(new UpdateCommand({ TableName: 'txt', Key: { id: 'slots#0' }, UpdateExpression: 'SET touched = :t', ExpressionAttributeValues: { ':t': true } }));
    expect(outcomes.filter((o) => o === 'claimed')).toHaveLength(7);
    expect(new Set(outcomes.filter((o) => o !== 'claimed'))).toEqual(new Set(['TransactionCanceledException']));
    expect(await get('slots#0')).toEqual({ id: 'slots#0', count: 7, touched: true });
  });
});
