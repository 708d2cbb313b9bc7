/**
 * The local console end to end in a real headless Chromium (Debian's, driven by playwright-core) against a real
 * local runtime: uploads go through the page into s3rver, the real processor bundle makes the renditions, and the
 * page shows them as they finish; the markup it copies (the same `imgopt html` prints) renders in a blank page.
 * Skips with the reason where Chromium or playwright-core is missing.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import type { BrowserContext, Page } from 'playwright-core';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { transparentPng } from '../../fixtures/images';
import { objectCreatedEvent } from '../../lib/s3-events';
import { OUTPUT_FORMAT_INFO, OutputFormat } from '../../lib/formats';
import type { ImageRecord } from '../../lib/metadata';
import { pictureMarkup } from '../../lib/picture-markup';
import { NEGOTIATION_PREFERENCE } from '../../lib/variants';
import { failureMessage, listFailureMessages, sendFailureMessage } from '../../local/failure-queue';
import { Runtime, startRuntime } from '../../local/runtime';
import { localClientConfig } from '../../local/servers';
import { stackFile } from '../../local/stack';
import { runImgopt } from '../support/run-imgopt';
import { synthesizeDevStack } from '../support/synth-dev-stack';

const ROOT = path.resolve(__dirname, '..', '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** A real photo where this checkout has the shared set; otherwise one is drawn. */
const SHARED_PHOTO = path.resolve(ROOT, '..', '..', 'shared', 'images', 'M3_photo_raindrops_1920x1200.jpg');
const HOSTILE_NAME = '<img src=x onerror=alert(1)>.jpg';

/** What the tests read of an <img> in the page (the project's type check has no DOM library). */
interface Img {
  readonly complete: boolean;
  readonly naturalWidth: number;
  readonly naturalHeight: number;
  readonly currentSrc: string;
}

/** The probe's first truthy answer (an image has loaded), or its last answer after 15 s. */
async function until<T>(probe: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await probe();
    if (value || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function missing(): string | undefined {
  if (!fs.existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
  try {
    require.resolve('playwright-core');
  } catch {
    return 'playwright-core is not installed';
  }
  return undefined;
}

const reason = missing();
if (reason) process.stderr.write(`console.test.ts: skipping the browser tests: ${reason}\n`);
const describeInChromium = reason ? describe.skip : describe;

describeInChromium('the local console in Chromium', () => {
  let work: string;
  let runtime: Runtime;
  let context: BrowserContext;
  let page: Page;
  let consoleUrl: string;
  let photo: string;
  let truncated: string;
  let hostile: string;
  const dialogs: string[] = [];

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'imgopt-console-'));
    const outdir = path.join(work, 'synth');
    synthesizeDevStack(outdir);
    runtime = await startRuntime({ dataDir: path.join(work, 'data'), stackFile: stackFile(outdir, 'dev'), port: 0, consolePort: 0, retryDelayMs: 50 });
    consoleUrl = runtime.info.consoleUrl as string;

    const files = path.join(work, 'files');
    fs.mkdirSync(files);
    photo = path.join(files, 'harbour photo.jpg');
    if (fs.existsSync(SHARED_PHOTO)) {
      fs.copyFileSync(SHARED_PHOTO, photo);
    } else {
      await sharp({ create: { width: 1600, height: 1000, channels: 3, background: '#3b7bbf' } }).jpeg({ quality: 90 }).toFile(photo);
    }
    // Half of a real JPEG: the decoder runs out of data before the image ends.
    const whole = fs.readFileSync(photo);
    truncated = path.join(files, 'cut short.jpg');
    fs.writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length / 2)));
    hostile = path.join(files, HOSTILE_NAME);
    await sharp({ create: { width: 400, height: 300, channels: 3, background: '#c0392b' } }).jpeg().toFile(hostile);

    // Required here, not imported at the top: where playwright-core is missing the file still loads and skips.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { chromium } = require('playwright-core') as typeof import('playwright-core');
    context = await chromium.launchPersistentContext(path.join(work, 'chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
      permissions: ['clipboard-read', 'clipboard-write'],
    });
    // An onerror that ran would call alert: record it instead of blocking on a dialog.
    await context.addInitScript('window.alert = (message) => { window.alerted = [...(window.alerted || []), message]; };');
    page = context.pages()[0] ?? await context.newPage();
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await runtime?.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const row = (name: string) => page.locator('tr[data-image-id]', { has: page.locator('a.key-link', { hasText: name }) });

  test('files chosen in the page are uploaded, and each shows up newest first as it finishes, without a reload', async () => {
    await page.goto(consoleUrl);
    await page.setInputFiles('#file-input', [photo, truncated, hostile]);
    for (const name of ['harbour photo.jpg', 'cut short.jpg', HOSTILE_NAME]) {
      await page.locator('li[data-upload]', { hasText: name }).locator('a').first().waitFor({ timeout: 30_000 });
    }
    await row('harbour photo.jpg').and(page.locator('[data-status=COMPLETED]')).waitFor({ timeout: 60_000 });
    const thumb = row('harbour photo.jpg').locator('img.thumb');
    expect(await until(() => thumb.evaluate((img: Img) => img.complete && img.naturalWidth))).toBeGreaterThan(0);
    expect(await thumb.getAttribute('src')).toMatch(new RegExp(`^${runtime.info.edgeUrl}/images/[0-9a-f]{24}/thumb$`));
    expect(await row('harbour photo.jpg').textContent()).toMatch(/saved \(\d+%\)/);
  });

  test('an image dropped on the page is uploaded with progress and reaches COMPLETED', async () => {
    const bytes = (await sharp({ create: { width: 500, height: 400, channels: 3, background: '#2e86ab' } }).jpeg().toBuffer()).toString('base64');
    // What a drag from the desktop delivers: a drop event whose DataTransfer holds the file.
    const transfer = await page.evaluateHandle(`(() => {
      const transfer = new DataTransfer();
      const bytes = Uint8Array.from(atob(${JSON.stringify(bytes)}), (c) => c.charCodeAt(0));
      transfer.items.add(new File([bytes], 'dropped.jpg', { type: 'image/jpeg' }));
      return transfer;
    })()`);
    await page.dispatchEvent('label.drop', 'drop', { dataTransfer: transfer });
    const line = page.locator('li[data-upload="dropped.jpg"]');
    await line.waitFor();
    expect(await line.locator('progress').count()).toBe(1);
    await page.locator('li[data-upload="dropped.jpg"].done').waitFor({ timeout: 60_000 });
    expect(await line.textContent()).toMatch(/COMPLETED in/);
    await row('dropped.jpg').and(page.locator('[data-status=COMPLETED]')).waitFor();
  });

  test('a truncated JPEG shows FAILED with its reason code and message', async () => {
    const failed = row('cut short.jpg').and(page.locator('[data-status=FAILED]'));
    await failed.waitFor({ timeout: 60_000 });
    expect(await failed.locator('.reason').getAttribute('data-reason')).toBe('TRUNCATED_INPUT');
    expect(await failed.locator('.reason').textContent()).toMatch(/^TRUNCATED_INPUT: .+/);
  });

  test('a file named like HTML is shown as text, and nothing in it runs', async () => {
    const hostileRow = row(HOSTILE_NAME);
    await hostileRow.and(page.locator('[data-status=COMPLETED]')).waitFor({ timeout: 60_000 });
    expect(await hostileRow.locator('a.key-link').textContent()).toBe(HOSTILE_NAME);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    await page.goto(`${consoleUrl}${await hostileRow.locator('a.key-link').getAttribute('href')}`);
    expect(await page.locator('h1.key').textContent()).toBe(HOSTILE_NAME);
    expect(await page.evaluate('window.alerted')).toBeUndefined();
    expect(dialogs).toEqual([]);
  });

  test("an image's page shows the negotiated image in the format this browser asked for, and every rendition with its bytes", async () => {
    await page.goto(consoleUrl);
    const link = row('harbour photo.jpg').locator('a.key-link');
    await link.click();
    await page.waitForURL(/\/image\/[0-9a-f]{24}$/);
    const imageId = page.url().split('/').pop() as string;
    const record = await recordOf(imageId);

    const received = page.locator('[data-received]');
    await received.waitFor({ timeout: 20_000 });
    const negotiated = page.locator('#negotiated');
    const variantName = (await page.locator('select').inputValue());
    const variant = (record.variants ?? []).filter((v) => v.name === variantName);
    // Chromium's Accept for images lists AVIF and WebP: the CDN serves the first of them this variant was made in.
    const asked = await page.locator('.why dd code').nth(1).textContent();
    expect(asked).toMatch(/image\/avif/);
    const expected = NEGOTIATION_PREFERENCE.find((format) => variant.some((v) => v.format === format)) as OutputFormat;
    expect(await received.getAttribute('data-received')).toBe(OUTPUT_FORMAT_INFO[expected].contentType);
    expect(await negotiated.evaluate((img: Img) => [img.naturalWidth, img.naturalHeight])).toEqual([variant[0].width, variant[0].height]);

    // The outcome was announced, and the page says when.
    expect(record.announced_at).toBeDefined();
    expect(await page.locator('[data-announced]').getAttribute('data-announced')).toBe(record.announced_at);
    expect(await page.locator('[data-announced]').textContent()).toMatch(/^COMPLETED announced on the outcome topic /);

    const cards = page.locator('figure.rendition');
    expect(await cards.count()).toBe(record.variants?.length);
    for (const rendition of record.variants ?? []) {
      const card = page.locator(`figure.rendition[data-variant="${rendition.name}"][data-format="${rendition.format}"]`);
      expect(await card.textContent()).toContain(`${rendition.width}×${rendition.height}`);
      expect(await card.locator('.bytes').textContent()).toMatch(/\d+(\.\d)? (B|kB|MB)/);
      // Target mode (the default): every lossy card shows the quality chosen and its score, as the item records them.
      if (rendition.format !== 'png') {
        expect(rendition.score).toBeDefined();
        expect(await card.locator('.sub').textContent())
          .toBe(`quality ${rendition.quality} · SSIMULACRA 2 ${rendition.score!.toFixed(1)} (${rendition.score_source})`);
      }
    }
    const original = page.locator('img[alt="the original upload"]');
    expect(await until(() => original.evaluate((img: Img) => img.complete && img.naturalWidth))).toBe(record.original?.width);
    expect(await page.locator('img.placeholder').getAttribute('src')).toBe(record.placeholder);
  });

  test("a transparent image's page explains the edge's real choice: its extra PNG is never what the negotiated URL serves", async () => {
    const upload = await fetch(`${consoleUrl}/api/uploads/cut-out.png`, {
      method: 'PUT',
      body: await transparentPng(900, 600),
      headers: { 'x-imgopt-console': '1', 'content-type': 'image/png' },
    });
    expect(upload.status).toBe(200);
    const { image_id: imageId } = (await upload.json()) as { image_id: string };
    await until(async () => (await recordOf(imageId))?.status === 'COMPLETED' || undefined);
    const record = await recordOf(imageId);
    expect(record.variants?.some((v) => v.format === 'png')).toBe(true);

    await page.goto(`${consoleUrl}/image/${imageId}`);
    await page.locator('[data-received]').waitFor({ timeout: 20_000 });
    const why = await page.locator('.why dd').nth(3).textContent();
    expect(why).toMatch(/, else jpeg, which every browser decodes/);
    expect(why).not.toMatch(/png/);
    expect(await page.locator('.why .problem').count()).toBe(0);
    // A PNG card says what it is: lossless, with no quality setting or score to show.
    const png = page.locator('figure.rendition[data-format="png"]').first();
    expect(await png.locator('.sub').textContent()).toBe('lossless');
  });

  test('the copied <picture> markup is what imgopt html prints, and renders in a blank page at its width and height', async () => {
    const imageId = page.url().split('/').pop() as string;
    const record = await recordOf(imageId);
    await page.click('button[data-copy="markup-picture"]');
    await page.locator('.copied', { hasText: 'copied' }).first().waitFor();
    const copied = await page.evaluate('navigator.clipboard.readText()');
    expect(copied).toBe(pictureMarkup(runtime.info.edgeUrl, record));
    const printed = await runImgopt(['html', imageId, '--data-dir', runtime.info.dataDir], { cwd: work });
    expect(printed).toMatchObject({ code: 0, stdout: copied });

    const blank = await context.newPage();
    await blank.setViewportSize({ width: 900, height: 800 });
    await blank.setContent(`<!doctype html><body style="margin:0">${copied}</body>`);
    const img = blank.locator('img');
    expect(await until(() => img.evaluate((element: Img) => element.complete && element.naturalWidth))).toBeGreaterThan(0);
    const width = Number(await img.getAttribute('width'));
    const height = Number(await img.getAttribute('height'));
    const box = await img.boundingBox();
    // max-width:100% of a 900 px page, and the height the width and height attributes give it.
    expect(box?.width).toBe(Math.min(900, width));
    expect(Math.abs((box?.height ?? 0) - (Math.min(900, width) * height) / width)).toBeLessThanOrEqual(1);
    expect(await img.evaluate((element: Img) => element.currentSrc)).toMatch(new RegExp(`/(avif|webp)/${imageId}/`));
    await blank.close();
  });

  test('an event on the failure queue shows with its error, and Replay re-drives it as imgopt replay does', async () => {
    // An event Lambda gave up on, written as the runtime's invoker writes one (the upload it names exists, so the
    // replayed invocation finds the image already COMPLETED and succeeds).
    const s3 = new S3Client(localClientConfig(runtime.info.s3Endpoint));
    const head = await s3.send(new HeadObjectCommand({ Bucket: runtime.info.uploadBucket, Key: 'harbour photo.jpg' }));
    s3.destroy();
    const event = objectCreatedEvent({ bucket: runtime.info.uploadBucket, key: 'harbour photo.jpg', eTag: head.ETag?.replace(/"/g, ''), size: head.ContentLength });
    sendFailureMessage(runtime.info.failureQueueDir, failureMessage({
      requestId: 'b9d1c1e2-0000-4000-8000-000000000001',
      functionArn: runtime.info.functionArn,
      condition: 'RetriesExhausted',
      invokeCount: 2,
      event,
      error: { errorType: 'TimeoutError', errorMessage: 'Task timed out after 60.00 seconds' },
    }));
    await page.goto(consoleUrl);
    const item = page.locator('li[data-request-id="b9d1c1e2-0000-4000-8000-000000000001"]');
    await item.waitFor({ timeout: 10_000 });
    expect(await item.textContent()).toContain('harbour photo.jpg');
    expect(await item.locator('.reason').textContent()).toBe('TimeoutError: Task timed out after 60.00 seconds');

    await item.locator('button').click();
    await page.locator('.replay-outcome', { hasText: 'Replayed 1 of 1' }).waitFor({ timeout: 10_000 });
    await page.locator('.queue .empty').waitFor({ timeout: 10_000 });
    expect(listFailureMessages(runtime.info.failureQueueDir)).toEqual([]);
    await runtime.idle();
    expect(listFailureMessages(runtime.info.failureQueueDir)).toEqual([]);
  });

  test('the console answers only loopback host names, and changes only with its own header', async () => {
    // fetch() will not send another Host header: a name pointed at 127.0.0.1 (DNS rebinding) arrives like this.
    const port = Number(new URL(consoleUrl).port);
    const rebound = await new Promise<number | undefined>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/api/overview', headers: { host: `attacker.example:${port}` } }, (response) => {
        response.resume();
        resolve(response.statusCode);
      }).once('error', reject);
    });
    expect(rebound).toBe(421);
    const forged = await fetch(`${consoleUrl}/api/replay`, { method: 'POST', body: '{}' });
    expect(forged.status).toBe(403);
    const upload = await fetch(`${consoleUrl}/api/uploads/notes.txt`, { method: 'PUT', body: 'hello', headers: { 'x-imgopt-console': '1' } });
    expect(upload.status).toBe(400);
    expect(((await upload.json()) as { error: string }).error).toMatch(/^notes\.txt is not an image \(expected \.jpg/);
  });

  async function recordOf(imageId: string): Promise<ImageRecord> {
    const response = await fetch(`${consoleUrl}/api/images/${imageId}`);
    return ((await response.json()) as { record: ImageRecord }).record;
  }
});
