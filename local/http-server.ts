/** What the local HTTP servers share (the Lambda Invoke API, the outcome topic): listening on loopback, reading a body. */
import type * as http from 'node:http';

/** The whole body, or undefined when it is larger than `limit` bytes (the rest is read and dropped). */
export function readBody(request: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    request.on('end', () => resolve(size <= limit ? Buffer.concat(chunks) : undefined));
    request.on('error', reject);
  });
}

/** Listens on 127.0.0.1 (`port` 0: any free port); a port in use is one clear message. */
export function listenOnLoopback(server: http.Server, port: number | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(error.code === 'EADDRINUSE' ? `port ${port} is in use` : error.message)));
    server.listen(port ?? 0, '127.0.0.1', () => resolve());
  });
}
