/**
 * The local outcome topic with real parts: the real SNS client publishes to it over loopback, real HTTP servers
 * subscribe to it, and the fault proxy in front of it is the one the runtime uses.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ListTopicsCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { startFaultProxy } from '../../local/fault-proxy';
import { LocalTopic, StoredNotification, notificationsDir, readNotifications, startLocalTopic } from '../../local/notifications';

const TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:imgopt-test-outcomes';

let dataDir: string;
const opened: Array<{ close(): Promise<void> }> = [];
const clients: SNSClient[] = [];

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'notifications-'));
});

afterEach(async () => {
  clients.splice(0).forEach((client) => client.destroy());
  await Promise.all(opened.splice(0).map((thing) => thing.close()));
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function topic(options: Partial<Parameters<typeof startLocalTopic>[0]> = {}): Promise<LocalTopic> {
  const started = await startLocalTopic({ dataDir, topicArn: TOPIC_ARN, ...options });
  opened.push(started);
  return started;
}

function client(endpoint: string, maxAttempts?: number): SNSClient {
  const sns = new SNSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    ...(maxAttempts ? { maxAttempts } : {}),
  });
  clients.push(sns);
  return sns;
}

interface Received {
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** An HTTP subscriber on loopback; `answer` picks each request's status (or holds the answer until it resolves). */
async function subscriber(answer: (attempt: number) => number | Promise<number>): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(await answer(received.length));
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  opened.push({ close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/outcomes`, received };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A loopback URL where nothing listens: the port was free a moment ago. */
async function downUrl(): Promise<string> {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `http://127.0.0.1:${port}/outcomes`;
}

describe('local topic', () => {
  test('stores each published message as one file holding the envelope SNS sends to HTTP subscribers', async () => {
    const told: StoredNotification[] = [];
    const local = await topic({ onNotification: (notification) => told.push(notification) });
    const sns = client(local.endpoint);
    const before = Date.now();

    const first = await sns.send(new PublishCommand({
      TopicArn: TOPIC_ARN,
      Subject: 'Image processed',
      Message: JSON.stringify({ imageId: 'abc', outcome: 'processed' }),
      MessageAttributes: {
        outcome: { DataType: 'String', StringValue: 'processed' },
        variants: { DataType: 'Number', StringValue: '6' },
      },
    }));
    const second = await sns.send(new PublishCommand({ TopicArn: TOPIC_ARN, Message: 'plain text, & <not> XML' }));

    expect(first.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.MessageId).not.toBe(first.MessageId);
    expect(first.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(local.published()).toBe(2);

    const names = fs.readdirSync(notificationsDir(dataDir)).sort();
    expect(names).toHaveLength(2);
    expect(names[0]).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\d-\\d{3}Z-000001-${first.MessageId}\\.json$`));
    expect(names[1]).toContain(`-000002-${second.MessageId}.json`);

    const stored = readNotifications(dataDir);
    expect(stored).toEqual([
      {
        Type: 'Notification',
        MessageId: first.MessageId,
        TopicArn: TOPIC_ARN,
        Subject: 'Image processed',
        Message: '{"imageId":"abc","outcome":"processed"}',
        Timestamp: expect.any(String),
        MessageAttributes: {
          outcome: { Type: 'String', Value: 'processed' },
          variants: { Type: 'Number', Value: '6' },
        },
      },
      {
        Type: 'Notification',
        MessageId: second.MessageId,
        TopicArn: TOPIC_ARN,
        Message: 'plain text, & <not> XML',
        Timestamp: expect.any(String),
        MessageAttributes: {},
      },
    ]);
    expect(stored[1]).not.toHaveProperty('Subject');
    for (const notification of stored) {
      expect(new Date(notification.Timestamp).toISOString()).toBe(notification.Timestamp);
      expect(Date.parse(notification.Timestamp)).toBeGreaterThanOrEqual(before);
    }
    expect(JSON.parse(fs.readFileSync(path.join(notificationsDir(dataDir), names[0]), 'utf8'))).toEqual(stored[0]);
    expect(told).toEqual(stored);
  });

  test('readNotifications sorts by Timestamp and skips files that are not notifications', async () => {
    const local = await topic();
    const sns = client(local.endpoint);
    await sns.send(new PublishCommand({ TopicArn: TOPIC_ARN, Message: 'one' }));
    const dir = notificationsDir(dataDir);
    fs.writeFileSync(path.join(dir, '0000-broken.json'), '{ not json');
    fs.writeFileSync(path.join(dir, '0001-other.json'), '{"Type":"SubscriptionConfirmation"}');
    const earlier: StoredNotification = {
      Type: 'Notification', MessageId: 'earlier', TopicArn: TOPIC_ARN, Message: 'zero', Timestamp: '2020-01-01T00:00:00.000Z', MessageAttributes: {},
    };
    fs.writeFileSync(path.join(dir, 'zzzz-earlier.json'), JSON.stringify(earlier));

    expect(readNotifications(dataDir).map((notification) => notification.Message)).toEqual(['zero', 'one']);
    expect(readNotifications(path.join(dataDir, 'nowhere'))).toEqual([]);
  });

  test('fails with NotFound for another topic ARN, and stores nothing', async () => {
    const local = await topic();
    const publish = client(local.endpoint).send(new PublishCommand({ TopicArn: `${TOPIC_ARN}-other`, Message: 'lost' }));

    await expect(publish).rejects.toMatchObject({
      name: 'NotFoundException',
      message: expect.stringMatching(/^Topic does not exist/),
      $metadata: { httpStatusCode: 404 },
    });
    expect(local.published()).toBe(0);
    expect(readNotifications(dataDir)).toEqual([]);
  });

  test('fails with InvalidAction for any action but Publish', async () => {
    const local = await topic();
    await expect(client(local.endpoint).send(new ListTopicsCommand({}))).rejects.toMatchObject({
      name: 'InvalidAction',
      message: expect.stringMatching(/answers only Publish \(received ListTopics\)/),
      $metadata: { httpStatusCode: 400 },
    });
  });

  test('fails with InvalidParameter for a missing or empty message and ParameterValueInvalid for a bad attribute', async () => {
    const local = await topic();
    const sns = client(local.endpoint);

    // The SDK will not send a Publish without a Message, so this one is posted as the SDK would post it.
    const missing = await fetch(`${local.endpoint}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ Action: 'Publish', Version: '2010-03-31', TopicArn: TOPIC_ARN }).toString(),
    });
    expect(missing.status).toBe(400);
    const xml = await missing.text();
    expect(xml).toContain('<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">');
    expect(xml).toMatch(/<Error><Type>Sender<\/Type><Code>InvalidParameter<\/Code><Message>Invalid parameter: Message[^<]*<\/Message><\/Error>/);

    await expect(sns.send(new PublishCommand({ TopicArn: TOPIC_ARN, Message: '' }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: 'Invalid parameter: Empty message',
    });
    await expect(sns.send(new PublishCommand({
      TopicArn: TOPIC_ARN,
      Message: 'counted',
      MessageAttributes: { variants: { DataType: 'Number', StringValue: 'six' } },
    }))).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
      message: expect.stringMatching(/'variants' has the type Number but the value six is not a number/),
    });
    expect(readNotifications(dataDir)).toEqual([]);
  });

  test('a Publish answers before its delivery does', async () => {
    let release = (_status: number) => undefined as void;
    const held = new Promise<number>((resolve) => { release = resolve; });
    const target = await subscriber(() => held);
    const local = await topic({ notifyUrl: target.url });

    await client(local.endpoint).send(new PublishCommand({ TopicArn: TOPIC_ARN, Message: 'held' }));
    expect(local.pendingDeliveries()).toBe(1);

    release(200);
    await local.idle();
    expect(local.pendingDeliveries()).toBe(0);
    expect(target.received).toHaveLength(1);
  });

  test('retries a subscriber that answers 500 until it accepts, with the SNS HTTP headers and envelope', async () => {
    const target = await subscriber((attempt) => (attempt <= 2 ? 500 : 200));
    const problems: string[] = [];
    const local = await topic({ notifyUrl: target.url, onDeliveryProblem: (text) => problems.push(text), retry: { firstDelayMs: 20, attempts: 4 } });

    const started = Date.now();
    const { MessageId } = await client(local.endpoint).send(new PublishCommand({
      TopicArn: TOPIC_ARN,
      Subject: 'Image failed',
      Message: '{"outcome":"failed"}',
      MessageAttributes: { outcome: { DataType: 'String', StringValue: 'failed' } },
    }));
    await local.idle();

    expect(target.received).toHaveLength(3);
    // Waits of 20 then 40 ms between the three attempts.
    expect(Date.now() - started).toBeGreaterThanOrEqual(60);
    expect(problems).toEqual([]);
    const [stored] = readNotifications(dataDir);
    for (const { headers, body } of target.received) {
      expect(headers).toMatchObject({
        'content-type': 'text/plain; charset=UTF-8',
        'x-amz-sns-message-type': 'Notification',
        'x-amz-sns-message-id': MessageId,
        'x-amz-sns-topic-arn': TOPIC_ARN,
      });
      expect(JSON.parse(body)).toEqual(stored);
    }
    expect(stored).toMatchObject({ MessageId, Subject: 'Image failed', MessageAttributes: { outcome: { Type: 'String', Value: 'failed' } } });
  });

  test('gives up on a subscriber that is down after the attempts, in one line naming the message and the error', async () => {
    const problems: string[] = [];
    const local = await topic({ notifyUrl: await downUrl(), onDeliveryProblem: (text) => problems.push(text), retry: { firstDelayMs: 10, attempts: 3 } });

    const { MessageId } = await client(local.endpoint).send(new PublishCommand({ TopicArn: TOPIC_ARN, Message: 'nobody home' }));
    await local.idle();

    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^gave up delivering notification ${MessageId} to http://127\\.0\\.0\\.1:\\d+/outcomes after 3 attempts, last error: ECONNREFUSED$`));
    expect(local.pendingDeliveries()).toBe(0);
    // The message itself was published: only its delivery failed.
    expect(readNotifications(dataDir).map((notification) => notification.MessageId)).toEqual([MessageId]);
  });

  test('close stops retrying and reports the pending deliveries as given up', async () => {
    const target = await subscriber(() => 500);
    const problems: string[] = [];
    const local = await topic({ notifyUrl: target.url, onDeliveryProblem: (text) => problems.push(text), retry: { firstDelayMs: 50 } });

    const { MessageId } = await client(local.endpoint).send(new PublishCommand({ TopicArn: TOPIC_ARN, Message: 'never retried' }));
    while (target.received.length === 0) await sleep(5);
    await local.close();
    await sleep(200);

    expect(target.received).toHaveLength(1);
    expect(local.pendingDeliveries()).toBe(0);
    await local.idle();
    // The close may land before or after the first answer was read.
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^gave up delivering notification ${MessageId} to ${target.url} the topic closed after 1 of 6 attempts(, last error: HTTP 500)?$`));
  });

  test('fails fast on retry settings that cannot work', async () => {
    await expect(startLocalTopic({ dataDir, topicArn: TOPIC_ARN, retry: { attempts: 0 } }))
      .rejects.toThrow(/Expected positive integer for retry.attempts but received 0/);
  });
});

describe('fault proxy in front of the topic', () => {
  test('injected throttling makes the SDK retry and then throw a throttling error; without the rule the publish goes through', async () => {
    const local = await topic();
    const proxy = await startFaultProxy({ target: local.endpoint, service: 'sns', rules: [{ kind: 'throttle', rate: 1 }] });
    opened.push(proxy);
    const sns = client(proxy.endpoint, 2);

    const error = await sns.send(new PublishCommand({ TopicArn: TOPIC_ARN, Message: 'throttled' })).then(() => undefined, (caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'Throttling', message: 'Rate exceeded (injected)', $metadata: { httpStatusCode: 400, attempts: 2 } });
    expect(proxy.stats().faults.throttle).toBe(2);
    expect(local.published()).toBe(0);

    proxy.setFaults([]);
    const { MessageId } = await sns.send(new PublishCommand({ TopicArn: TOPIC_ARN, Message: 'through' }));
    expect(readNotifications(dataDir).map((notification) => notification.MessageId)).toEqual([MessageId]);
  });

  test('injected 503s are retried as transient errors', async () => {
    const local = await topic();
    const proxy = await startFaultProxy({ target: local.endpoint, service: 'sns', rules: [{ kind: 'error503', rate: 1 }] });
    opened.push(proxy);

    await expect(client(proxy.endpoint, 2).send(new PublishCommand({ TopicArn: TOPIC_ARN, Message: 'unavailable' }))).rejects.toMatchObject({
      name: 'ServiceUnavailable',
      $metadata: { httpStatusCode: 503, attempts: 2 },
    });
  });

  test('a rule for another service leaves this proxy alone', async () => {
    const local = await topic();
    const proxy = await startFaultProxy({ target: local.endpoint, service: 'sns', rules: [{ kind: 'throttle', rate: 1, service: 's3' }] });
    opened.push(proxy);

    await client(proxy.endpoint, 1).send(new PublishCommand({ TopicArn: TOPIC_ARN, Message: 'not for s3' }));
    expect(proxy.stats()).toEqual({ requests: 1, faults: { error500: 0, error503: 0, throttle: 0, drop: 0, delay: 0 } });
    expect(local.published()).toBe(1);
  });
});
