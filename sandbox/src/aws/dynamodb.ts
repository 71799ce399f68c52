import { Agent, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import dynalite from 'dynalite';
import type { AttributeMap, ItemChange } from './dynamodb-stream.js';
import { applyTransaction, errorAnswer, parseTransaction, TransactionTokens, type TransactionAction, type TransactionAnswer } from './dynamodb-transactions.js';
import { AwsError } from './protocol.js';

/** An item as it stands after a successful write, like a DynamoDB stream's NEW_IMAGE. */
export interface ItemWrite {
  table: string;
  item: Record<string, unknown>;
}

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);
const READS = new Set(['GetItem', 'BatchGetItem']);

/**
 * Real DynamoDB semantics from dynalite (in memory), served on the sandbox's own port.
 * dynalite has no streams, so this front records every successful write's change (the
 * item before and after, read under a per-key lock, so changes of one key come out in
 * the order they were made) for the stream simulator and for the sandbox's record watchers.
 * dynalite has no transactions either: the front adds TransactWriteItems, applied under
 * the locks of all its items. Every write takes its items' locks and GetItem/BatchGetItem
 * wait for them, so neither interleaves with a transaction half applied (DynamoDB isolates
 * transactions serializably from single-item reads and writes; Query and Scan only
 * read-committed, and here they do not wait).
 */
export function createDynamoDb() {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }) as Server;
  const listener = server.listeners('request')[0] as (req: IncomingMessage, res: ServerResponse) => void;
  const changeListeners: Array<(change: ItemChange) => void> = [];
  /** Key attribute names per table, learnt from CreateTable as it passes. */
  const keySchemas = new Map<string, string[]>();
  const locks = new Map<string, Promise<void>>();
  /** Writes whose change is not yet handed to the listeners (their answer may already be out). */
  let recording = 0;
  const recordedWaiters: Array<() => void> = [];
  const agent = new Agent({ keepAlive: true });
  const listening = new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  const tokens = new TransactionTokens();

  function handle(req: IncomingMessage, res: ServerResponse, body: Buffer, operation: string): void {
    if (operation === 'CreateTable') learnKeySchema(body);
    if (operation === 'TransactWriteItems') return track(transactWrite(res, body));
    if (WRITES.has(operation)) {
      const keys = keysWritten(operation, body);
      if (keys.length > 0) return track(withLocks(keys, () => (changeListeners.length > 0 ? recordChanges(req, res, body, keys) : replayed(req, res, body))));
    }
    if (READS.has(operation)) {
      const pending = keysRead(operation, body).flatMap((k) => locks.get(k.id) ?? []);
      if (pending.length > 0) return void Promise.all(pending).then(() => replay(req, res, body));
    }
    replay(req, res, body);
  }

  /** Counts a write until its change is handed to the listeners (whenRecorded waits for it). */
  function track(work: Promise<void>): void {
    recording++;
    void work
      .catch(() => undefined)
      .finally(() => {
        if (--recording === 0) recordedWaiters.splice(0).forEach((resolve) => resolve());
      });
  }

  /** Lets dynalite answer, and resolves once the answer has left. */
  function replayed(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const finished = new Promise<void>((resolve) => res.once('finish', resolve).once('close', resolve));
    replay(req, res, body);
    return finished;
  }

  function send(res: ServerResponse, answer: TransactionAnswer): void {
    const payload = JSON.stringify(answer.body);
    res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(payload) }).end(payload);
  }

  async function transactWrite(res: ServerResponse, body: Buffer): Promise<void> {
    const input = parsed(body);
    if (!input) return send(res, errorAnswer('SerializationException', 'the request body is not JSON'));
    const { ClientRequestToken: token, ...request } = input;
    let actions: TransactionAction[];
    let replayedAnswer: TransactionAnswer | undefined;
    try {
      actions = parseTransaction(input, (table, item) => {
        if (!keySchemas.has(table)) throw new AwsError('ResourceNotFoundException', `Requested resource not found: Table: ${table} not found`);
        return keyOf(table, item)?.key;
      });
      replayedAnswer = tokens.replayed(typeof token === 'string' ? token : undefined, JSON.stringify(request));
    } catch (error) {
      if (error instanceof AwsError) return send(res, errorAnswer(error.code, error.message, error.statusCode));
      throw error;
    }
    if (replayedAnswer) return send(res, replayedAnswer);
    const keys = actions.map((a) => keyOf(a.table, a.key)!);
    await withLocks(keys, async () => {
      let before: Array<AttributeMap | undefined>;
      try {
        before = await Promise.all(keys.map((k) => readItem(k)));
      } catch {
        return send(res, errorAnswer('InternalServerError', 'the sandbox could not read the items before the transaction', 500));
      }
      const returnConsumed = input.ReturnConsumedCapacity === 'TOTAL' || input.ReturnConsumedCapacity === 'INDEXES';
      const { answer, committed } = await applyTransaction(callDynalite, actions, before, returnConsumed);
      tokens.remember(typeof token === 'string' ? token : undefined, JSON.stringify(request), answer);
      if (committed && changeListeners.length > 0) {
        const after = await Promise.all(keys.map((k) => readItem(k)));
        keys.forEach((key, i) => emit(key, before[i], after[i]));
      }
      send(res, answer);
    });
  }

  function emit(key: WrittenKey, before: AttributeMap | undefined, after: AttributeMap | undefined): void {
    const change: ItemChange = { table: key.table, keys: key.key, ...(before ? { oldImage: before } : {}), ...(after ? { newImage: after } : {}) };
    for (const l of changeListeners) l(change);
  }

  function replay(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    // dynalite reads the request as a stream; hand it the bytes already read.
    const stream = Object.assign(Readable.from([body]), { headers: req.headers, method: req.method, url: req.url }) as unknown as IncomingMessage;
    listener(stream, res);
  }

  async function recordChanges(req: IncomingMessage, res: ServerResponse, body: Buffer, keys: WrittenKey[]): Promise<void> {
    let before: Array<AttributeMap | undefined>;
    try {
      before = await Promise.all(keys.map((k) => readItem(k)));
    } catch {
      // Without the item's before-image the change could not reach the stream: the write is refused
      // (as a 500 DynamoDB's clients retry) rather than made and silently left out of the stream.
      res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'the sandbox could not read the item before the write' }));
      return;
    }
    const finished = new Promise<void>((resolve) => res.once('finish', resolve).once('close', resolve));
    replay(req, res, body);
    await finished;
    if (res.statusCode !== 200) return;
    const after = await Promise.all(keys.map((k) => readItem(k)));
    keys.forEach((key, i) => emit(key, before[i], after[i]));
  }

  interface WrittenKey {
    table: string;
    key: AttributeMap;
    id: string;
  }

  /** The key of `item` in `table` (its key attributes only), undefined when the table's schema is unknown or the item lacks one. */
  function keyOf(table: unknown, item: unknown): WrittenKey | undefined {
    const names = typeof table === 'string' ? keySchemas.get(table) : undefined;
    if (!names || typeof item !== 'object' || item === null) return undefined;
    const key = Object.fromEntries(names.map((n) => [n, (item as AttributeMap)[n]])) as AttributeMap;
    if (names.some((n) => key[n] === undefined)) return undefined;
    return { table: table as string, key, id: `${table as string}|${JSON.stringify(names.map((n) => key[n]))}` };
  }

  function parsed(body: Buffer): Record<string, unknown> | undefined {
    try {
      const input = JSON.parse(body.toString('utf8')) as unknown;
      return typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : undefined;
    } catch {
      return undefined; // dynalite answers the malformed request itself
    }
  }

  function keysRead(operation: string, body: Buffer): WrittenKey[] {
    const input = parsed(body);
    if (!input) return [];
    if (operation === 'GetItem') return [keyOf(input.TableName, input.Key)].filter((k): k is WrittenKey => k !== undefined);
    const found: WrittenKey[] = [];
    if (typeof input.RequestItems === 'object' && input.RequestItems !== null) {
      for (const [table, request] of Object.entries(input.RequestItems as Record<string, { Keys?: unknown }>)) {
        if (Array.isArray(request?.Keys)) for (const key of request.Keys) found.push(...[keyOf(table, key)].filter((k): k is WrittenKey => k !== undefined));
      }
    }
    return found;
  }

  function keysWritten(operation: string, body: Buffer): WrittenKey[] {
    const input = parsed(body);
    if (!input) return [];
    const found: Array<WrittenKey | undefined> = [];
    if (operation === 'PutItem') found.push(keyOf(input.TableName, input.Item));
    else if (operation === 'UpdateItem' || operation === 'DeleteItem') found.push(keyOf(input.TableName, input.Key));
    else if (operation === 'BatchWriteItem' && typeof input.RequestItems === 'object' && input.RequestItems !== null) {
      for (const [table, requests] of Object.entries(input.RequestItems as Record<string, unknown>)) {
        if (!Array.isArray(requests)) continue;
        for (const r of requests as Array<{ PutRequest?: { Item?: unknown }; DeleteRequest?: { Key?: unknown } }>) found.push(keyOf(table, r?.PutRequest?.Item ?? r?.DeleteRequest?.Key));
      }
    }
    const unique = new Map<string, WrittenKey>();
    for (const k of found) if (k) unique.set(k.id, k);
    return [...unique.values()];
  }

  function learnKeySchema(body: Buffer): void {
    try {
      const input = JSON.parse(body.toString('utf8')) as { TableName?: string; KeySchema?: Array<{ AttributeName: string; KeyType: string }> };
      const names = (input.KeySchema ?? []).sort((a, b) => (a.KeyType === 'HASH' ? -1 : b.KeyType === 'HASH' ? 1 : 0)).map((k) => k.AttributeName);
      if (input.TableName && names.length > 0) keySchemas.set(input.TableName, names);
    } catch {
      // Not JSON: dynalite refuses it.
    }
  }

  /** Runs `fn` holding the locks of `keys`, taken in one order so two batch writes never deadlock. */
  async function withLocks(keys: WrittenKey[], fn: () => Promise<void>): Promise<void> {
    const ids = keys.map((k) => k.id).sort();
    const previous = ids.map((id) => locks.get(id) ?? Promise.resolve());
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    for (const id of ids) locks.set(id, held);
    await Promise.all(previous);
    try {
      await fn();
    } finally {
      release();
      for (const id of ids) if (locks.get(id) === held) locks.delete(id);
    }
  }

  /** The item as it stands (a strongly consistent GetItem on dynalite itself). */
  async function readItem(key: WrittenKey): Promise<AttributeMap | undefined> {
    const out = await callDynalite('GetItem', { TableName: key.table, Key: key.key, ConsistentRead: true });
    if (out.status !== 200) throw new Error(`the sandbox could not read an item of ${key.table}: ${JSON.stringify(out.body)}`);
    return (out.body as { Item?: AttributeMap }).Item;
  }

  /** One operation on dynalite's own port, past this front (so it takes no lock). */
  async function callDynalite(operation: string, input: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
    const port = await listening;
    const payload = JSON.stringify(input);
    return new Promise((resolve, reject) => {
      const r = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/',
          agent,
          headers: {
            'content-type': 'application/x-amz-json-1.0',
            'x-amz-target': `DynamoDB_20120810.${operation}`,
            // dynalite wants a signature's shape, not a valid one.
            authorization: 'AWS4-HMAC-SHA256 Credential=sandbox/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
            'x-amz-date': '20260101T000000Z',
            'content-length': Buffer.byteLength(payload),
          },
        },
        (answer) => {
          const chunks: Buffer[] = [];
          answer
            .on('data', (c: Buffer) => chunks.push(c))
            .on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              resolve({ status: answer.statusCode ?? 500, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} });
            });
        },
      );
      r.once('error', reject);
      r.end(payload);
    });
  }

  return {
    handle,
    /** Resolves once every write received so far has its change handed to the listeners (the stream). */
    whenRecorded(): Promise<void> {
      return recording === 0 ? Promise.resolve() : new Promise((resolve) => recordedWaiters.push(resolve));
    },
    /** Every successful write's change, per key in write order (what a stream of the table carries). */
    onChange(listener: (change: ItemChange) => void): () => void {
      changeListeners.push(listener);
      return () => void changeListeners.splice(changeListeners.indexOf(listener), 1);
    },
    onWrite(listener: (write: ItemWrite) => void): () => void {
      const forward = ({ table, newImage }: ItemChange) => {
        if (newImage) listener({ table, item: unmarshall(newImage as never) });
      };
      changeListeners.push(forward);
      return () => void changeListeners.splice(changeListeners.indexOf(forward), 1);
    },
    close: async () => {
      await listening;
      agent.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
