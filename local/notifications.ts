/**
 * The local outcome topic: SNS's `Publish` on loopback, for the one topic the processor publishes to, answered in
 * SNS's awsQuery wire format, so the function's real `@aws-sdk/client-sns` client works against it unchanged
 * (through `AWS_ENDPOINT_URL_SNS`) and gets the same errors it would get from SNS for a wrong topic or a bad message.
 *
 * Every accepted message is kept as one file in `<data>/notifications/`, holding the envelope SNS POSTs to an HTTP/S
 * subscriber, so what a subscriber would receive can be read after the fact (`ls` lists them in publish order).
 * With `notifyUrl`, each message is also delivered there as SNS delivers to an HTTP subscriber: queued, never holding
 * up or failing the Publish, retried with exponential backoff, then dropped with one line saying why.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { listenOnLoopback, readBody } from './http-server';
import { jsonFiles } from './json-folder';

/**
 * One published message, as SNS sends it to HTTP/S subscribers
 * (https://docs.aws.amazon.com/sns/latest/dg/http-notification-json.html). The signature fields (`SignatureVersion`,
 * `Signature`, `SigningCertURL`) and `UnsubscribeURL` are left out: nothing local could sign or verify them, and a
 * subscriber that checks signatures has to be told it runs locally anyway.
 */
export interface StoredNotification {
  readonly Type: 'Notification';
  readonly MessageId: string;
  readonly TopicArn: string;
  readonly Subject?: string;
  /** The message exactly as published. */
  readonly Message: string;
  /** When the topic accepted it, ISO 8601. */
  readonly Timestamp: string;
  /** `Type` is the attribute's DataType (String, Number, String.Array, Binary...); a Binary value is base64. */
  readonly MessageAttributes: Readonly<Record<string, { readonly Type: string; readonly Value: string }>>;
}

export interface LocalTopicOptions {
  /** The notifications are written to `<dataDir>/notifications/`. */
  readonly dataDir: string;
  /** The one topic this endpoint knows; a Publish to any other answers `NotFound`. */
  readonly topicArn: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** Deliver every message to this HTTP/S subscriber too. @default - messages are only written to files */
  readonly notifyUrl?: string;
  /** Told about every accepted message, once its file is written and before Publish answers. */
  readonly onNotification?: (notification: StoredNotification) => void;
  /** Told, in one line, about each message given up on. @default - the line goes to stderr */
  readonly onDeliveryProblem?: (text: string) => void;
  /** Delivery retries: the first wait, doubled after each further failure, and the attempts in all. */
  readonly retry?: {
    /** @default 1000 */
    readonly firstDelayMs?: number;
    /** @default 6 */
    readonly attempts?: number;
  };
}

export interface LocalTopic {
  /** `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL_SNS`. */
  readonly endpoint: string;
  /** Messages accepted since it started. */
  published(): number;
  /** Messages not yet delivered to `notifyUrl` nor given up on. */
  pendingDeliveries(): number;
  /** Resolves once no delivery to `notifyUrl` is pending. */
  idle(): Promise<void>;
  /** Stops answering and stops retrying; deliveries still pending are reported as given up. */
  close(): Promise<void>;
}

/** The notifications' folder inside a data folder. */
export function notificationsDir(dataDir: string): string {
  return path.join(dataDir, 'notifications');
}

/** The stored notifications, oldest first. Files that are not notifications (or are being written) are skipped. */
export function readNotifications(dataDir: string): StoredNotification[] {
  const dir = notificationsDir(dataDir);
  const names = jsonFiles(dir);
  return names
    .flatMap((name) => {
      try {
        const notification = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as StoredNotification;
        return notification?.Type === 'Notification' && typeof notification.MessageId === 'string'
          && typeof notification.Timestamp === 'string' ? [notification] : [];
      } catch {
        return [];
      }
    })
    // Stable: messages of the same millisecond keep the publish order their file names carry.
    .sort((a, b) => Date.parse(a.Timestamp) - Date.parse(b.Timestamp));
}

const XML_NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';
/** SNS's limit on a message and its attributes together (Publish API reference). */
const MAX_MESSAGE_BYTES = 262_144;
/** Far above what a valid Publish can be even form-encoded; bigger bodies are not read into memory. */
const MAX_BODY_BYTES = 4 * MAX_MESSAGE_BYTES;
/** A subscriber that holds a delivery longer than this has failed it, so a hung one cannot stall close(). */
const DELIVERY_TIMEOUT_MS = 15_000;

/** An answer SNS would give instead of accepting the message. */
class TopicError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly type: 'Sender' | 'Receiver' = 'Sender') {
    super(message);
  }
}

export async function startLocalTopic(options: LocalTopicOptions): Promise<LocalTopic> {
  const firstDelayMs = options.retry?.firstDelayMs ?? 1000;
  const attempts = options.retry?.attempts ?? 6;
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw new Error(`Expected positive integer for retry.attempts but received ${attempts}`);
  }
  if (!Number.isFinite(firstDelayMs) || firstDelayMs < 0) {
    throw new Error(`Expected non-negative number for retry.firstDelayMs but received ${firstDelayMs}`);
  }
  const dir = notificationsDir(options.dataDir);
  fs.mkdirSync(dir, { recursive: true });
  const reportProblem = options.onDeliveryProblem ?? ((text: string) => process.stderr.write(`${text}\n`));
  const deliveries = options.notifyUrl
    ? new DeliveryQueue(new URL(options.notifyUrl), firstDelayMs, attempts, reportProblem)
    : undefined;
  let published = 0;

  const accept = (notification: StoredNotification) => {
    writeNotification(dir, notification, published + 1);
    published += 1;
    options.onNotification?.(notification);
    deliveries?.enqueue(notification);
  };

  const server = http.createServer((request, response) => {
    const requestId = randomUUID();
    handle(options.topicArn, request, accept)
      .then((messageId) => sendXml(response, 200, requestId,
        `<PublishResponse xmlns="${XML_NAMESPACE}"><PublishResult><MessageId>${messageId}</MessageId></PublishResult>`
        + `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishResponse>`))
      .catch((error: Error) => {
        const answer = error instanceof TopicError ? error : new TopicError(500, 'InternalError', error.message, 'Receiver');
        if (response.headersSent) response.destroy();
        else sendXml(response, answer.status, requestId, errorXml(answer, requestId));
      });
  });
  await listenOnLoopback(server, options.port);

  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    published: () => published,
    pendingDeliveries: () => deliveries?.pending() ?? 0,
    idle: () => deliveries?.idle() ?? Promise.resolve(),
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      deliveries?.close();
    },
  };
}

/** Reads one request; resolves with the id of the message it published, or rejects with the answer to give. */
async function handle(topicArn: string, request: http.IncomingMessage,
  accept: (notification: StoredNotification) => void): Promise<string> {
  const body = await readBody(request, MAX_BODY_BYTES);
  if (body === undefined) throw new TopicError(400, 'InvalidParameter', 'Invalid parameter: Message too long');
  // awsQuery takes its parameters from the query string or, as the SDK sends them, a form-encoded body.
  const params = new URLSearchParams(new URL(request.url ?? '/', 'http://localhost').search);
  for (const [name, value] of new URLSearchParams(body.toString('utf8'))) params.set(name, value);

  const action = params.get('Action');
  if (action !== 'Publish') {
    throw new TopicError(400, 'InvalidAction', `The local topic answers only Publish (received ${action ?? 'no Action'})`);
  }
  const target = params.get('TopicArn') ?? params.get('TargetArn');
  if (!target) throw new TopicError(400, 'InvalidParameter', 'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter');
  if (target !== topicArn) throw new TopicError(404, 'NotFound', `Topic does not exist: ${target} (this local topic is ${topicArn})`);
  const message = params.get('Message');
  if (message === null) throw new TopicError(400, 'InvalidParameter', 'Invalid parameter: Message Reason: no value for required parameter');
  if (message === '') throw new TopicError(400, 'InvalidParameter', 'Invalid parameter: Empty message');
  const subject = params.get('Subject') ?? undefined;
  // SNS: UTF-8 text under 100 characters, no line breaks or control characters.
  if (subject !== undefined && (subject.length === 0 || subject.length >= 100 || /\p{Cc}/u.test(subject))) {
    throw new TopicError(400, 'InvalidParameter', 'Invalid parameter: Subject');
  }
  const attributes = messageAttributes(params);
  const size = Object.entries(attributes).reduce((sum, [name, attribute]) =>
    sum + Buffer.byteLength(name) + Buffer.byteLength(attribute.Type) + Buffer.byteLength(attribute.Value), Buffer.byteLength(message));
  if (size > MAX_MESSAGE_BYTES) {
    throw new TopicError(400, 'InvalidParameter', `Invalid parameter: Message too long (${size} bytes with its attributes, at most ${MAX_MESSAGE_BYTES})`);
  }

  const messageId = randomUUID();
  accept({
    Type: 'Notification',
    MessageId: messageId,
    TopicArn: topicArn,
    ...(subject !== undefined ? { Subject: subject } : {}),
    Message: message,
    Timestamp: new Date().toISOString(),
    MessageAttributes: attributes,
  });
  return messageId;
}

/**
 * The `MessageAttributes.entry.N.{Name,Value.DataType,Value.StringValue,Value.BinaryValue}` parameters, checked as
 * SNS checks them: a String, Number or Binary type (optionally with a custom `.suffix`, or String.Array), the value
 * that type needs, a number that parses, an array that is JSON.
 */
function messageAttributes(params: URLSearchParams): Record<string, { Type: string; Value: string }> {
  const attributes: Record<string, { Type: string; Value: string }> = {};
  for (let n = 1; params.has(`MessageAttributes.entry.${n}.Name`); n += 1) {
    const prefix = `MessageAttributes.entry.${n}`;
    const name = params.get(`${prefix}.Name`) ?? '';
    const type = params.get(`${prefix}.Value.DataType`) ?? '';
    const invalid = (reason: string) => new TopicError(400, 'ParameterValueInvalid', `The message attribute '${name}' ${reason}`);
    if (!/^[A-Za-z0-9_.-]{1,256}$/.test(name)) throw invalid('has an invalid name (letters, digits, _ - and . only, at most 256)');
    if (Object.hasOwn(attributes, name)) throw invalid('is given more than once');
    const base = type.split('.')[0];
    const value = base === 'Binary' ? params.get(`${prefix}.Value.BinaryValue`) : params.get(`${prefix}.Value.StringValue`);
    if (!['String', 'Number', 'Binary'].includes(base)) {
      throw invalid(`has an invalid message attribute type ${type || '(none)'}, the set of supported type prefixes is Binary, Number, and String`);
    }
    if (value === null || value === '') throw invalid('must contain non-empty message attribute value');
    if (base === 'Number' && !Number.isFinite(Number(value))) throw invalid(`has the type Number but the value ${value} is not a number`);
    if (type === 'String.Array' && !isJsonArray(value)) throw invalid(`has the type String.Array but the value ${value} is not a JSON array`);
    attributes[name] = { Type: type, Value: value };
  }
  return attributes;
}

function isJsonArray(text: string): boolean {
  try {
    return Array.isArray(JSON.parse(text));
  } catch {
    return false;
  }
}

/**
 * Writes one notification; the file appears whole or not at all. The name starts with the time and the message's
 * sequence number, so a plain listing is in publish order even within one millisecond.
 */
function writeNotification(dir: string, notification: StoredNotification, sequence: number): void {
  const stamp = notification.Timestamp.replace(/[:.]/g, '-');
  const file = path.join(dir, `${stamp}-${String(sequence).padStart(6, '0')}-${notification.MessageId}.json`);
  const staging = `${file}.tmp`;
  fs.writeFileSync(staging, `${JSON.stringify(notification, null, 2)}\n`);
  fs.renameSync(staging, file);
}

interface Delivery {
  readonly notification: StoredNotification;
  attemptsMade: number;
  lastError: string;
  timer?: NodeJS.Timeout;
  request?: http.ClientRequest;
}

/** The deliveries to one HTTP/S subscriber: each message on its own, retried with doubling waits. */
class DeliveryQueue {
  private readonly deliveries = new Set<Delivery>();
  private waiters: Array<() => void> = [];

  constructor(
    private readonly url: URL,
    private readonly firstDelayMs: number,
    private readonly attempts: number,
    private readonly reportProblem: (text: string) => void,
  ) {}

  enqueue(notification: StoredNotification): void {
    const delivery: Delivery = { notification, attemptsMade: 0, lastError: '' };
    this.deliveries.add(delivery);
    this.attempt(delivery);
  }

  pending(): number {
    return this.deliveries.size;
  }

  idle(): Promise<void> {
    if (this.deliveries.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    for (const delivery of [...this.deliveries]) {
      clearTimeout(delivery.timer);
      delivery.request?.destroy();
      this.giveUp(delivery, `the topic closed after ${delivery.attemptsMade} of ${this.attempts} attempts`);
    }
  }

  private attempt(delivery: Delivery): void {
    delivery.attemptsMade += 1;
    const { notification } = delivery;
    const body = JSON.stringify(notification, null, 2);
    const transport = this.url.protocol === 'https:' ? https : http;
    // A connection per delivery: nothing is left open to keep the process alive once deliveries are done.
    const request = transport.request(this.url, {
      method: 'POST',
      agent: false,
      timeout: DELIVERY_TIMEOUT_MS,
      headers: {
        'content-type': 'text/plain; charset=UTF-8',
        'content-length': Buffer.byteLength(body),
        'x-amz-sns-message-type': 'Notification',
        'x-amz-sns-message-id': notification.MessageId,
        'x-amz-sns-topic-arn': notification.TopicArn,
        'user-agent': 'Amazon Simple Notification Service Agent',
      },
    }, (response) => {
      response.resume();
      response.on('end', () => {
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) this.finish(delivery);
        else this.failed(delivery, `HTTP ${status}`);
      });
      response.on('error', (error) => this.failed(delivery, error.message));
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${DELIVERY_TIMEOUT_MS} ms`)));
    request.on('error', (error: NodeJS.ErrnoException) => this.failed(delivery, error.code ?? error.message));
    delivery.request = request;
    request.end(body);
  }

  private failed(delivery: Delivery, error: string): void {
    // An attempt reports once; a delivery given up on (or closed) ignores its request's late events.
    if (!this.deliveries.has(delivery) || delivery.request === undefined) return;
    delivery.request = undefined;
    delivery.lastError = error;
    if (delivery.attemptsMade >= this.attempts) {
      this.giveUp(delivery, `after ${delivery.attemptsMade} attempts`);
      return;
    }
    const wait = this.firstDelayMs * 2 ** (delivery.attemptsMade - 1);
    delivery.timer = setTimeout(() => {
      delivery.timer = undefined;
      this.attempt(delivery);
    }, wait);
  }

  private giveUp(delivery: Delivery, why: string): void {
    this.finish(delivery);
    const lastError = delivery.lastError ? `, last error: ${delivery.lastError}` : '';
    this.reportProblem(`gave up delivering notification ${delivery.notification.MessageId} to ${this.url.href} ${why}${lastError}`);
  }

  private finish(delivery: Delivery): void {
    if (!this.deliveries.delete(delivery)) return;
    delivery.request = undefined;
    if (this.deliveries.size > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((resolve) => resolve());
  }
}

function errorXml(error: TopicError, requestId: string): string {
  return `<ErrorResponse xmlns="${XML_NAMESPACE}"><Error><Type>${error.type}</Type><Code>${error.code}</Code>`
    + `<Message>${escapeXml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function sendXml(response: http.ServerResponse, status: number, requestId: string, xml: string): void {
  const body = `<?xml version="1.0"?>\n${xml}\n`;
  response.writeHead(status, {
    'content-type': 'text/xml',
    'content-length': Buffer.byteLength(body),
    'x-amzn-RequestId': requestId,
  });
  response.end(body);
}
