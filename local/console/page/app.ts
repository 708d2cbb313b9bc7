/**
 * The console page: the list of recent uploads (with uploading, the failure queue and replays) at `/`, and one
 * image's page at `/image/<id>`. It reads the JSON API of local/console/server.ts and polls it, so uploads show up
 * as they finish without a reload. Everything from keys and metadata goes in as text (dom.ts).
 */
import { formatBytes, formatMs, formatSaved } from '../../../cli/format';
import { qualityLabel } from '../../../lib/formats';
import type { ConsoleFailure, ConsoleImage, ConsoleOverview, ConsoleRendition, ConsoleRow, ConsoleUploaded, ConsoleVariant } from '../api';
import { Child, append, h, replace } from './dom';

/** How often the lists are read again. */
const POLL_MS = 1500;
const CONSOLE_HEADER = 'x-imgopt-console';

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(path, { ...init, headers: { ...(init.headers ?? {}), ...(init.method ? { [CONSOLE_HEADER]: '1' } : {}) } });
  const body = await response.json() as T & { error?: string };
  if (!response.ok) throw new Error(body.error ?? `${response.status} ${response.statusText}`);
  return body;
}

function when(iso: string): string {
  const date = new Date(iso);
  const seconds = Math.round((Date.now() - date.getTime()) / 1000);
  const ago = seconds < 60 ? `${Math.max(0, seconds)} s ago` : seconds < 3600 ? `${Math.round(seconds / 60)} min ago` : date.toLocaleString();
  return ago;
}

function timeElement(iso: string): HTMLTimeElement {
  return h('time', { attrs: { datetime: iso, title: iso } }, when(iso));
}

function statusBadge(status: string): HTMLElement {
  return h('span', { class: `status status-${status.toLowerCase()}`, attrs: { 'data-status': status } }, status);
}

function header(): HTMLElement {
  const edge = document.body.dataset.edge ?? '';
  return h('header', { class: 'top' },
    h('a', { class: 'brand', attrs: { href: '/' } }, 'imgopt console'),
    h('span', { class: 'where' }, 'local edge ', h('code', {}, edge), ' · upload bucket ', h('code', {}, document.body.dataset.bucket ?? '')),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// The list page

interface UploadItem {
  readonly file: File;
  readonly element: HTMLElement;
  readonly bar: HTMLProgressElement;
  readonly text: HTMLElement;
  imageId?: string;
  settled: boolean;
}

function listPage(root: HTMLElement): void {
  const uploads: UploadItem[] = [];
  const uploadList = h('ul', { class: 'uploads', attrs: { 'aria-live': 'polite' } });
  const input = h('input', { attrs: { type: 'file', multiple: true, accept: 'image/*,.tif,.tiff', id: 'file-input' } });
  const drop = h('label', { class: 'drop', attrs: { for: 'file-input' } },
    h('strong', {}, 'Drop images here'), ' or ', h('span', { class: 'link' }, 'choose files'),
    h('span', { class: 'hint' }, 'JPEG, PNG, WebP, GIF, AVIF or TIFF, into the upload bucket (the same path as npx imgopt upload)'),
    input,
  );
  const start = (files: FileList | null) => {
    for (const file of Array.from(files ?? [])) uploads.unshift(startUpload(file, uploadList));
  };
  input.addEventListener('change', () => {
    start(input.files);
    input.value = '';
  });
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    start(event.dataTransfer?.files ?? null);
  });

  const count = h('span', { class: 'count' });
  const body = h('tbody');
  const table = h('table', { class: 'images' },
    h('thead', {}, h('tr', {}, ...['', 'Upload', 'Status', 'Time'].map((title) => h('th', {}, title)),
      ...['Size', 'Saved', 'Took'].map((title) => h('th', { class: 'num' }, title)))),
    body,
  );
  const empty = h('p', { class: 'empty' }, 'No uploads yet: drop an image above, or run npx imgopt upload <files>.');
  const queue = h('div', { class: 'queue' });
  // Outside the queue's list, which is rebuilt when the queue changes: a replay's outcome outlives the messages it emptied.
  const replayOutcome = h('p', { class: 'replay-outcome', attrs: { 'aria-live': 'polite' } });
  const problem = h('p', { class: 'problem', attrs: { role: 'alert', hidden: true } });

  replace(root,
    header(),
    h('main', {},
      h('section', {}, h('h2', {}, 'Upload'), drop, uploadList),
      h('section', {}, h('h2', {}, 'Recent uploads ', count), problem, empty, table),
      h('section', {}, h('h2', {}, 'Failure queue'), replayOutcome, queue),
    ),
  );

  const rows = new Map<string, { json: string; element: HTMLTableRowElement }>();
  let lastQueue = '';
  const refresh = async () => {
    let overview: ConsoleOverview;
    try {
      overview = await api<ConsoleOverview>('/api/overview');
      problem.hidden = true;
    } catch (error) {
      problem.hidden = false;
      problem.textContent = `Cannot read the pipeline: ${(error as Error).message}`;
      return;
    }
    count.textContent = overview.images.length > 0 ? `(${overview.images.length}, newest first)` : '';
    empty.hidden = overview.images.length > 0;
    table.hidden = overview.images.length === 0;
    // Rows are rebuilt only when they changed, so thumbnails are not reloaded on every poll.
    const seen = new Set<string>();
    let previous: HTMLTableRowElement | undefined;
    for (const image of overview.images) {
      seen.add(image.image_id);
      const json = JSON.stringify(image);
      let entry = rows.get(image.image_id);
      if (!entry || entry.json !== json) {
        const element = imageRow(image);
        if (entry) entry.element.replaceWith(element);
        entry = { json, element };
        rows.set(image.image_id, entry);
      } else {
        refreshTimes(entry.element);
      }
      const expected: ChildNode | null = previous ? previous.nextSibling : body.firstChild;
      if (expected !== entry.element) body.insertBefore(entry.element, expected);
      previous = entry.element;
    }
    for (const [id, entry] of rows) {
      if (!seen.has(id)) {
        entry.element.remove();
        rows.delete(id);
      }
    }
    for (const upload of uploads) settleUpload(upload, overview.images);
    const queueJson = JSON.stringify(overview.failures);
    if (queueJson !== lastQueue) {
      lastQueue = queueJson;
      renderQueue(queue, replayOutcome, overview.failures, refresh);
    }
  };
  void refresh();
  setInterval(() => void refresh(), POLL_MS);
}

function refreshTimes(element: HTMLElement): void {
  for (const time of Array.from(element.querySelectorAll('time'))) time.textContent = when(time.dateTime);
}

function imageRow(image: ConsoleRow): HTMLTableRowElement {
  const link = `/image/${image.image_id}`;
  const thumb = image.thumb_url
    ? h('img', { class: 'thumb', attrs: { src: image.thumb_url, alt: '', width: 64, height: 64, loading: 'lazy' } })
    : h('span', { class: 'thumb none' });
  const reason = image.error && image.status !== 'COMPLETED'
    ? h('div', { class: 'reason', attrs: { 'data-reason': image.error.code } }, h('code', {}, image.error.code), ': ', image.error.message)
    : null;
  return h('tr', { attrs: { 'data-image-id': image.image_id, 'data-status': image.status } },
    h('td', {}, h('a', { attrs: { href: link, tabindex: -1 } }, thumb)),
    h('td', { class: 'key' },
      h('a', { class: 'key-link', attrs: { href: link } }, image.key),
      h('div', { class: 'id' }, image.image_id),
      reason,
    ),
    h('td', {}, statusBadge(image.status), image.status === 'PROCESSING' && image.attempts > 1 ? h('div', { class: 'sub' }, `attempt ${image.attempts}`) : null),
    h('td', {}, timeElement(image.created_at)),
    h('td', { class: 'num' }, formatBytes(image.source_bytes ?? undefined)),
    h('td', { class: 'num' }, image.status === 'COMPLETED' ? formatSaved(image.bytes_saved ?? undefined, image.source_bytes ?? undefined) : ''),
    h('td', { class: 'num' }, image.processing_ms !== null ? formatMs(image.processing_ms) : ''),
  );
}

function startUpload(file: File, list: HTMLElement): UploadItem {
  const bar = h('progress', { attrs: { max: 100, value: 0 } });
  const text = h('span', { class: 'upload-status' }, 'starting');
  const element = h('li', { attrs: { 'data-upload': file.name } }, h('span', { class: 'upload-name' }, file.name), ` ${formatBytes(file.size)} `, bar, text);
  list.prepend(element);
  const item: UploadItem = { file, element, bar, text, settled: false };
  const request = new XMLHttpRequest();
  request.open('PUT', `/api/uploads/${encodeURIComponent(file.name)}`);
  request.setRequestHeader(CONSOLE_HEADER, '1');
  request.setRequestHeader('content-type', 'application/octet-stream');
  request.upload.addEventListener('progress', (event) => {
    if (!event.lengthComputable) return;
    const percent = Math.round((event.loaded / event.total) * 100);
    bar.value = percent;
    text.textContent = `uploading ${percent}%`;
  });
  request.addEventListener('load', () => {
    let answer: Partial<ConsoleUploaded> & { error?: string } = {};
    try {
      answer = JSON.parse(request.responseText) as typeof answer;
    } catch {
      answer = { error: `the console answered ${request.status}` };
    }
    if (request.status !== 200 || !answer.image_id) {
      item.settled = true;
      element.classList.add('failed');
      text.textContent = `not uploaded: ${answer.error ?? request.status}`;
      return;
    }
    bar.value = 100;
    item.imageId = answer.image_id;
    replace(text, 'uploaded as image ', h('a', { attrs: { href: `/image/${answer.image_id}` } }, answer.image_id), ', processing…');
  });
  request.addEventListener('error', () => {
    item.settled = true;
    element.classList.add('failed');
    text.textContent = 'not uploaded: the console cannot be reached';
  });
  request.send(file);
  return item;
}

function settleUpload(upload: UploadItem, images: readonly ConsoleRow[]): void {
  if (upload.settled || !upload.imageId) return;
  const image = images.find((candidate) => candidate.image_id === upload.imageId);
  if (!image || image.status === 'PROCESSING') return;
  upload.settled = true;
  upload.element.classList.add(image.status === 'COMPLETED' ? 'done' : 'failed');
  const outcome = image.status === 'COMPLETED'
    ? `COMPLETED in ${formatMs(image.processing_ms ?? undefined)}, ${formatSaved(image.bytes_saved ?? undefined, image.source_bytes ?? undefined)}`
    : `FAILED: ${image.error?.code ?? ''}: ${image.error?.message ?? ''}`;
  replace(upload.text, h('a', { attrs: { href: `/image/${image.image_id}` } }, image.image_id), ` ${outcome}`);
}

function renderQueue(queue: HTMLElement, outcome: HTMLElement, failures: readonly ConsoleFailure[], refresh: () => Promise<void>): void {
  if (failures.length === 0) {
    replace(queue, h('p', { class: 'empty' }, 'Empty: no event is waiting for a replay.'));
    return;
  }
  const replay = async (button: HTMLButtonElement, ids?: string[]) => {
    button.disabled = true;
    outcome.textContent = 'replaying…';
    try {
      const { results } = await api<{ results: Array<{ replayed: boolean; request_id: string; problem?: string }> }>('/api/replay', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(ids ? { ids } : {}),
      });
      const done = results.filter((result) => result.replayed).length;
      const problems = results.filter((result) => !result.replayed).map((result) => `${result.request_id}: ${result.problem}`);
      outcome.textContent = `Replayed ${done} of ${results.length}: the function runs again now.${problems.length ? ` Not replayed: ${problems.join('; ')}` : ''}`;
    } catch (error) {
      outcome.textContent = `Replay failed: ${(error as Error).message}`;
    }
    button.disabled = false;
    await refresh();
  };
  const all = h('button', { attrs: { type: 'button' } }, `Replay all ${failures.length}`);
  all.addEventListener('click', () => void replay(all));
  replace(queue,
    h('p', {}, 'Events Lambda gave up on (retries exhausted or too old). A replay invokes the function again with the same event, as npx imgopt replay does. ', all),
    h('ul', { class: 'failures' }, ...failures.map((failure) => {
      const button = h('button', { attrs: { type: 'button' } }, 'Replay');
      button.addEventListener('click', () => void replay(button, [failure.id]));
      return h('li', { attrs: { 'data-request-id': failure.request_id } },
        h('div', {}, h('strong', {}, failure.keys.join(', ') || 'no S3 records'), ' ', timeElement(failure.timestamp), ' ', button),
        h('div', { class: 'reason' }, h('code', {}, failure.error_type), ': ', failure.error_message),
        h('div', { class: 'sub' },
          `${failure.condition === 'RetriesExhausted' ? 'gave up' : 'too old'} after ${failure.attempts} attempt${failure.attempts === 1 ? '' : 's'} · request ${failure.request_id}`,
          ...failure.image_ids.map((id) => [' · image ', h('a', { attrs: { href: `/image/${id}` } }, id)]).flat(),
        ),
      );
    })),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// The image page

async function imagePage(root: HTMLElement, imageId: string): Promise<void> {
  const main = h('main', {}, h('p', {}, 'Loading…'));
  replace(root, header(), main);
  let image: ConsoleImage;
  try {
    image = await api<ConsoleImage>(`/api/images/${imageId}`);
  } catch (error) {
    replace(main, h('p', { class: 'problem', attrs: { role: 'alert' } }, (error as Error).message), h('a', { attrs: { href: '/' } }, '← all uploads'));
    return;
  }
  const { row, record } = image;
  document.title = `${row.key} · imgopt console`;
  const facts: Child[] = [
    statusBadge(row.status), ' ', h('code', { class: 'id' }, row.image_id), ' · uploaded ', timeElement(row.created_at),
    ' · ', formatBytes(row.source_bytes ?? undefined),
  ];
  if (row.status === 'COMPLETED') {
    facts.push(` · ${row.renditions} renditions, ${formatBytes(row.bytes_out ?? undefined)} in all · ${formatSaved(row.bytes_saved ?? undefined, row.source_bytes ?? undefined)} · made in ${formatMs(row.processing_ms ?? undefined)}`);
  }
  if (row.status !== 'PROCESSING') {
    // Applications learn of the outcome from the outcome topic (locally: <data>/notifications/), not by polling.
    facts.push(record.announced_at
      ? h('div', { class: 'sub', attrs: { 'data-announced': record.announced_at } }, `${row.status} announced on the outcome topic `, timeElement(record.announced_at))
      : h('div', { class: 'sub', attrs: { 'data-announced': '' } }, 'outcome not announced yet: a retry of the event, or the sweep within minutes, announces it'));
  }
  if (record.original) facts.push(h('div', { class: 'sub' }, `original: ${record.original.format} ${record.original.width}×${record.original.height}${record.original.alpha ? ', transparency' : ''}${record.original.orientation !== 1 ? `, EXIF orientation ${record.original.orientation}` : ''}`));
  replace(main,
    h('a', { attrs: { href: '/' } }, '← all uploads'),
    h('h1', { class: 'key' }, row.key),
    h('p', { class: 'facts' }, ...facts),
  );
  if (row.error && row.status !== 'COMPLETED') {
    append(main, h('p', { class: 'reason big', attrs: { 'data-reason': row.error.code } }, h('code', {}, row.error.code), ': ', row.error.message));
  }
  if (row.status === 'PROCESSING') {
    append(main, h('p', {}, 'Processing… this page reloads its data when it finishes.'));
    setTimeout(() => void imagePage(root, imageId), POLL_MS);
    return;
  }
  if (row.status !== 'COMPLETED') return;

  append(main, await negotiatedSection(image), renditionsSection(image), markupSection(image));
}

/** The variant to show first: the widest one up to 1280 px, the usual content column at 2x. */
function defaultVariant(variants: readonly ConsoleVariant[]): ConsoleVariant {
  const whole = variants.filter((variant) => variant.name !== 'thumb');
  return [...whole].sort((a, b) => b.width - a.width).find((variant) => variant.width <= 1280) ?? whole[0] ?? variants[0];
}

/** The Accept header this browser sends for images: the console's probe image records it. */
async function imageAccept(): Promise<string | undefined> {
  const nonce = Math.random().toString(36).slice(2);
  await new Promise<void>((resolve) => {
    const probe = new Image();
    probe.onload = () => resolve();
    probe.onerror = () => resolve();
    probe.src = `/api/accept-probe?n=${nonce}`;
  });
  const { accept } = await api<{ accept: string | null }>(`/api/accept-probe?read=1&n=${nonce}`);
  return accept ?? undefined;
}

/** Whether an Accept header lists this type with q > 0 (the CDN function's own rule, lib/edge-function.ts). */
function accepts(accept: string, type: string): boolean {
  for (const range of accept.toLowerCase().split(',')) {
    const [name, ...params] = range.split(';');
    if (name.trim() !== type) continue;
    return !params.some((param) => {
      const [key, value] = param.split('=');
      return key.trim() === 'q' && !(parseFloat(value) > 0);
    });
  }
  return false;
}

/** The Content-Type the browser received for a loaded image, from its resource timing (or by asking again). */
async function receivedType(url: string, accept: string | undefined): Promise<string | undefined> {
  const entry = performance.getEntriesByName(url).pop() as (PerformanceResourceTiming & { contentType?: string }) | undefined;
  if (entry?.contentType) return entry.contentType;
  const response = await fetch(url, { mode: 'cors', headers: accept ? { accept } : {} });
  return response.headers.get('content-type') ?? undefined;
}

async function negotiatedSection(image: ConsoleImage): Promise<HTMLElement> {
  const section = h('section', { class: 'negotiated' }, h('h2', {}, 'What this browser gets'));
  const picker = h('select', { attrs: { 'aria-label': 'variant' } });
  const chosen = defaultVariant(image.variants);
  for (const variant of image.variants) {
    append(picker, h('option', { attrs: { value: variant.name, selected: variant === chosen } }, `${variant.name} (${variant.width}×${variant.height})`));
  }
  const stage = h('div', { class: 'compare' });
  const accept = await imageAccept();
  const show = (variant: ConsoleVariant) => {
    const negotiated = h('img', { attrs: { alt: `variant ${variant.name} as negotiated`, crossorigin: 'anonymous', id: 'negotiated' } });
    const facts = h('dl', { class: 'why' });
    negotiated.addEventListener('load', () => void (async () => {
      const type = await receivedType(negotiated.currentSrc || negotiated.src, accept).catch(() => undefined);
      const got = variant.renditions.find((rendition) => rendition.content_type === type);
      const order = variant.negotiation;
      const fallback = order[order.length - 1];
      const expected = order.slice(0, -1).find((format) => accept !== undefined && accepts(accept, variant.renditions.find((r) => r.format === format)?.content_type ?? '')) ?? fallback;
      negotiated.dataset.contentType = type ?? '';
      negotiated.dataset.format = got?.format ?? '';
      replace(facts,
        h('dt', {}, 'URL'), h('dd', {}, h('code', {}, variant.negotiated_url)),
        h('dt', {}, 'Received'), h('dd', { attrs: { 'data-received': type ?? '' } }, h('strong', {}, type ?? 'unknown'),
          `, decoded ${negotiated.naturalWidth}×${negotiated.naturalHeight}`, got ? `, ${formatBytes(got.bytes)}` : ''),
        h('dt', {}, 'It asked with'), h('dd', {}, h('code', {}, accept ?? 'an Accept header the console could not read')),
        h('dt', {}, 'Why'), h('dd', {},
          `This variant was made as ${order.join(', ')}. The CDN serves `
          + (order.length > 2 ? `the first of ${order.slice(0, -1).join(', ')} that the Accept header lists` : `${order[0]} if the Accept header lists it`)
          + `, else ${fallback}, which every browser decodes: here ${expected}.`,
          got && got.format !== expected ? h('strong', { class: 'problem' }, ` But it received ${got.format}.`) : null),
      );
    })());
    negotiated.src = variant.negotiated_url;
    const original = h('img', { attrs: { src: image.original_url, alt: 'the original upload', loading: 'lazy' } });
    const placeholder = h('img', { class: 'placeholder', attrs: { alt: 'the blur placeholder', src: image.record.placeholder ?? '' } });
    const o = image.record.original;
    replace(stage,
      h('figure', {}, negotiated, h('figcaption', {}, `Negotiated: /images/…/${variant.name}`), facts),
      h('figure', {}, original, h('figcaption', {}, `Original upload: ${o ? `${o.format} ${o.width}×${o.height}, ` : ''}${formatBytes(image.row.source_bytes ?? undefined)}`)),
      image.record.placeholder
        ? h('figure', {}, placeholder, h('figcaption', {}, `Blur placeholder: ${formatBytes(image.record.placeholder.length)} as a data URI, shown until the image loads`))
        : null,
    );
  };
  picker.addEventListener('change', () => show(image.variants.find((variant) => variant.name === picker.value) ?? chosen));
  show(chosen);
  append(section, h('label', { class: 'picker' }, 'Variant ', picker), stage);
  return section;
}

/** `quality 83 4:4:4 · SSIMULACRA 2 75.5 (measured)`; `lossless` for a PNG, which has neither. */
function renditionQuality(rendition: ConsoleRendition): string {
  if (rendition.format === 'png' && rendition.quality === null && rendition.score === null) return 'lossless';
  const quality = rendition.quality !== null ? `quality ${qualityLabel(rendition.format, rendition.quality, rendition.full_chroma)}` : 'quality setting not recorded';
  const score = rendition.score !== null ? `SSIMULACRA 2 ${rendition.score.toFixed(1)}${rendition.score_source ? ` (${rendition.score_source})` : ''}` : 'score not recorded';
  return `${quality} · ${score}`;
}

function renditionsSection(image: ConsoleImage): HTMLElement {
  const source = image.row.source_bytes ?? undefined;
  const card = (variant: ConsoleVariant, rendition: ConsoleRendition) => h('figure', { class: 'rendition', attrs: { 'data-format': rendition.format, 'data-variant': variant.name } },
    h('a', { attrs: { href: rendition.url, target: '_blank', rel: 'noopener' } },
      h('img', { attrs: { src: rendition.url, alt: `${variant.name} ${rendition.format}`, loading: 'lazy', decoding: 'async', width: rendition.width, height: rendition.height } })),
    h('figcaption', {},
      h('strong', {}, rendition.format.toUpperCase()), ` ${rendition.width}×${rendition.height}`,
      h('div', { class: 'bytes' }, formatBytes(rendition.bytes), source ? ` · ${Math.round((rendition.bytes / source) * 1000) / 10}% of the upload` : ''),
      h('div', { class: 'sub' }, renditionQuality(rendition)),
    ));
  return h('section', { class: 'renditions' },
    h('h2', {}, 'Every rendition'),
    ...image.variants.map((variant) => h('div', { class: 'variant' },
      h('h3', {}, variant.name, h('span', { class: 'sub' }, ` ${variant.width}×${variant.height}`)),
      h('div', { class: 'cards' }, ...variant.renditions.map((rendition) => card(variant, rendition))),
    )),
  );
}

function markupSection(image: ConsoleImage): HTMLElement {
  const section = h('section', { class: 'markup' }, h('h2', {}, 'Markup'));
  if (!image.markup) return section;
  const block = (title: string, note: string, text: string, id: string) => {
    const code = h('code', { attrs: { id } }, text);
    const state = h('span', { class: 'copied', attrs: { 'aria-live': 'polite' } });
    const copy = h('button', { attrs: { type: 'button', 'data-copy': id } }, 'Copy');
    copy.addEventListener('click', () => void (async () => {
      try {
        await navigator.clipboard.writeText(text);
        state.textContent = 'copied';
      } catch {
        getSelection()?.selectAllChildren(code);
        state.textContent = 'selected: press Ctrl-C';
      }
    })());
    return h('div', { class: 'snippet' }, h('h3', {}, title, ' ', copy, ' ', state), h('p', { class: 'sub' }, note), h('pre', {}, code));
  };
  append(section,
    block('<picture>', 'One source per modern format with explicit URLs: the browser picks the format. Also: npx imgopt html ' + image.row.image_id, image.markup.picture, 'markup-picture'),
    block('<img srcset>', 'The negotiated URLs: the CDN picks the format from the Accept header. Also: npx imgopt html --negotiated ' + image.row.image_id, image.markup.img, 'markup-img'),
  );
  return section;
}

function boot(): void {
  const root = h('div', { class: 'app' });
  document.body.appendChild(root);
  const match = /^\/image\/([0-9a-f]{24})$/.exec(location.pathname);
  if (match) void imagePage(root, match[1]);
  else listPage(root);
}

boot();
