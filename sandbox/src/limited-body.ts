import type { IncomingMessage, ServerResponse } from 'node:http';

/** API Gateway HTTP APIs refuse payloads over 10 MB (HTTP API quotas; the quota cannot be raised). */
export const API_GATEWAY_MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

/**
 * Reads a request body of at most `limit` bytes, as API Gateway does: a
 * declared Content-Length over the limit is refused before a byte is read,
 * and a streamed body is refused as soon as it passes the limit. The request
 * is then paused, so no more than `limit` bytes are ever held.
 */
export function readBodyWithin(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve('too-large');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        stop();
        req.pause();
        chunks.length = 0;
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** How long a refused request's connection stays open for the client to read the answer. */
const LINGER_MS = 2_000;

/**
 * Answers 413 and closes the connection; the rest of the body is never read.
 * The request stays paused, so nothing more is taken in, and the connection
 * is closed once the client has read the answer and closed (or after
 * LINGER_MS): closing it at once, with the client's bytes unread, would reset
 * it, and a reset can destroy the answer before the client reads it. (The
 * response is not ended through Node's server for that reason: its close
 * after a finished response is exactly such an immediate one.)
 */
export function refuseTooLarge(req: IncomingMessage, res: ServerResponse, limit: number): void {
  const body = JSON.stringify({ status: 'error', reason: `body is over ${limit} bytes (API Gateway's HTTP API payload limit, 10 MB)` });
  req.pause();
  res.writeHead(413, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' });
  res.write(body);
  const socket = req.socket;
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}
