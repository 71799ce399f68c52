import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDynamoDb } from './dynamodb.js';

/**
 * The sandbox's DynamoDB (dynalite behind the front that adds transactions and
 * records changes) on a port of its own, for tests that need DynamoDB alone.
 */
export async function startDynamoDb(): Promise<{ endpoint: string; dynamodb: ReturnType<typeof createDynamoDb>; close: () => Promise<void> }> {
  const dynamodb = createDynamoDb();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
      const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
      dynamodb.handle(req, res, Buffer.concat(chunks), operation);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    dynamodb,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await dynamodb.close();
    },
  };
}
