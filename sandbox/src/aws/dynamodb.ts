import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import dynalite from 'dynalite';

/** An item as it stands after a successful write, like a DynamoDB stream's NEW_IMAGE. */
export interface ItemWrite {
  table: string;
  item: Record<string, unknown>;
}

/**
 * Real DynamoDB semantics from dynalite (in memory), served on the sandbox's
 * own port. Successful PutItem/UpdateItem writes are published as new images,
 * so the sandbox can show every transition (dynalite has no streams).
 */
export function createDynamoDb() {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }) as Server;
  const listener = server.listeners('request')[0] as (req: IncomingMessage, res: ServerResponse) => void;
  const writeListeners: Array<(write: ItemWrite) => void> = [];

  function handle(req: IncomingMessage, res: ServerResponse, body: Buffer, operation: string): void {
    // dynalite reads the request as a stream; hand it the bytes already read.
    const replay = Object.assign(Readable.from([body]), { headers: req.headers, method: req.method, url: req.url }) as unknown as IncomingMessage;
    if ((operation === 'PutItem' || operation === 'UpdateItem') && writeListeners.length > 0) tapWrite(res, body, operation);
    listener(replay, res);
  }

  function tapWrite(res: ServerResponse, body: Buffer, operation: string): void {
    const chunks: Buffer[] = [];
    const { write, end } = res;
    res.write = function (chunk: unknown, ...rest: unknown[]) {
      if (chunk) chunks.push(Buffer.from(chunk as string));
      return (write as (...a: unknown[]) => boolean).call(res, chunk, ...rest);
    } as typeof res.write;
    res.end = function (chunk?: unknown, ...rest: unknown[]) {
      if (chunk && typeof chunk !== 'function') chunks.push(Buffer.from(chunk as string));
      return (end as (...a: unknown[]) => ServerResponse).call(res, chunk, ...rest);
    } as typeof res.end;
    res.once('finish', () => {
      if (res.statusCode !== 200) return;
      try {
        const input = JSON.parse(body.toString('utf8')) as { TableName: string; Item?: Record<string, never> };
        const image = operation === 'PutItem' ? input.Item : (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Attributes?: Record<string, never> }).Attributes;
        if (!image) return;
        const write: ItemWrite = { table: input.TableName, item: unmarshall(image) };
        for (const l of writeListeners) l(write);
      } catch {
        // Not a JSON write answer (e.g. an error body): nothing to publish.
      }
    });
  }

  return {
    handle,
    onWrite(listener: (write: ItemWrite) => void): () => void {
      writeListeners.push(listener);
      return () => writeListeners.splice(writeListeners.indexOf(listener), 1);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
