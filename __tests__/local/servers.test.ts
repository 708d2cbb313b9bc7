/**
 * The local servers as the runtime and the tests use them: real s3rver and dynalite over HTTP, and s3rver's events
 * turned into the shape S3 sends to Lambda.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { S3Event } from 'aws-lambda';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { decodeS3Key } from '../../functions/processor/event';
import { createPipelineResources, encodeS3EventKey, localClientConfig, startLocalServers } from '../../local/servers';

test.each([
  ['holiday/beach photo+1 (2).JPG', 'holiday/beach+photo%2B1+%282%29.JPG'],
  ['über/ß.png', '%C3%BCber/%C3%9F.png'],
  ["it's!*~.gif", 'it%27s%21%2A~.gif'],
])('an event key is form-encoded as S3 writes it: %s', (key, encoded) => {
  expect(encodeS3EventKey(key)).toBe(encoded);
  expect(decodeS3Key(encoded)).toBe(key);
});

test('writes reach the listener as ObjectCreated records with the key encoded, size and unquoted ETag; listings page', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'servers-'));
  const servers = await startLocalServers({ dataDir });
  const events: S3Event[] = [];
  servers.onObjectCreated((event) => events.push(event));
  const s3 = new S3Client(localClientConfig(servers.s3Endpoint));
  try {
    await createPipelineResources(servers, { uploadBucket: 'uploads-test', outputBuckets: { webp: 'webp-test' }, table: 'metadata-test' });
    // Created twice: the second call finds everything in place.
    await createPipelineResources(servers, { uploadBucket: 'uploads-test', outputBuckets: { webp: 'webp-test' }, table: 'metadata-test' });
    const { ETag } = await s3.send(new PutObjectCommand({ Bucket: 'uploads-test', Key: 'a b+c.JPG', Body: Buffer.from('hello') }));
    for (let i = 0; i < 3; i += 1) await s3.send(new PutObjectCommand({ Bucket: 'uploads-test', Key: `k${i}`, Body: 'x' }));
    // More keys than MaxKeys: s3rver's continuation tokens need OpenSSL's legacy provider, which its process has.
    const first = await s3.send(new ListObjectsV2Command({ Bucket: 'uploads-test', MaxKeys: 2 }));
    const second = await s3.send(new ListObjectsV2Command({ Bucket: 'uploads-test', MaxKeys: 2, ContinuationToken: first.NextContinuationToken }));
    expect([first.KeyCount, second.KeyCount]).toEqual([2, 2]);

    for (let waited = 0; events.length < 4 && waited < 2000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    const [record] = events[0].Records;
    expect(record.eventName).toBe('ObjectCreated:Put');
    expect(record.s3.bucket).toMatchObject({ name: 'uploads-test', arn: 'arn:aws:s3:::uploads-test' });
    expect(record.s3.object).toMatchObject({ key: 'a+b%2Bc.JPG', size: 5, eTag: ETag!.replace(/"/g, '') });
  } finally {
    s3.destroy();
    await servers.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
