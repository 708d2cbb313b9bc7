/** Reading a request body on the local servers (the Lambda Invoke API, the outcome topic), up to a limit. */
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
