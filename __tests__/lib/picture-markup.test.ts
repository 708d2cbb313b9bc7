import type { ImageRecord, VariantRecord } from '../../lib/metadata';
import { escapeHtml, markupProblem, pictureMarkup, responsiveWidths } from '../../lib/picture-markup';

const ID = '0123456789abcdef01234567';
const CDN = 'https://d1234.cloudfront.net';
const PLACEHOLDER = 'data:image/webp;base64,UklGRlIAAABXRUJQ';

function variant(name: string, format: string, width: number, height: number): VariantRecord {
  const extension = format === 'jpeg' ? 'jpg' : format;
  return { name, format, width, height, key: `${format}/${ID}/${name}.${extension}`, bytes: width * 10 };
}

function record(variants: VariantRecord[], overrides: Partial<ImageRecord> = {}): ImageRecord {
  return {
    image_id: ID,
    status: 'COMPLETED',
    source: { bucket: 'uploads', key: 'photo.jpg', bytes: 1_000_000 },
    original: { format: 'jpeg', width: 3000, height: 2000, alpha: false, orientation: 1, frames: 1 },
    variants,
    placeholder: PLACEHOLDER,
    attempts: 1,
    created_at: '2026-12-02T10:00:00.000Z',
    updated_at: '2026-12-02T10:00:03.000Z',
    ...overrides,
  };
}

const PHOTO = record([
  ...['avif', 'webp', 'jpeg'].map((format) => variant('thumb', format, 256, 256)),
  ...['avif', 'webp', 'jpeg'].map((format) => variant('640', format, 640, 427)),
  ...['avif', 'webp', 'jpeg'].map((format) => variant('1280', format, 1280, 853)),
  ...['webp', 'jpeg'].map((format) => variant('full', format, 2560, 1707)),
]);

describe('pictureMarkup', () => {
  test('lists one source per modern format, with only the widths made in it, and a JPEG <img> with width, height and the placeholder', () => {
    expect(pictureMarkup(CDN, PHOTO)).toBe([
      '<picture>',
      `  <source type="image/avif" srcset="${CDN}/avif/${ID}/640.avif 640w, ${CDN}/avif/${ID}/1280.avif 1280w" sizes="(max-width: 2560px) 100vw, 2560px">`,
      `  <source type="image/webp" srcset="${CDN}/webp/${ID}/640.webp 640w, ${CDN}/webp/${ID}/1280.webp 1280w, ${CDN}/webp/${ID}/full.webp 2560w" sizes="(max-width: 2560px) 100vw, 2560px">`,
      `  <img src="${CDN}/jpeg/${ID}/1280.jpg" srcset="${CDN}/jpeg/${ID}/640.jpg 640w, ${CDN}/jpeg/${ID}/1280.jpg 1280w, ${CDN}/jpeg/${ID}/full.jpg 2560w" sizes="(max-width: 2560px) 100vw, 2560px" width="2560" height="1707" alt="" loading="lazy" decoding="async" style="max-width:100%;height:auto;background:url(${PLACEHOLDER}) center/cover no-repeat">`,
      '</picture>',
      '',
    ].join('\n'));
  });

  test('the negotiated form is one <img srcset> of /images/ URLs', () => {
    expect(pictureMarkup(CDN, PHOTO, { form: 'img' })).toBe(
      `<img src="${CDN}/images/${ID}/1280" srcset="${CDN}/images/${ID}/640 640w, ${CDN}/images/${ID}/1280 1280w, ${CDN}/images/${ID}/full 2560w" `
      + `sizes="(max-width: 2560px) 100vw, 2560px" width="2560" height="1707" alt="" loading="lazy" decoding="async" style="max-width:100%;height:auto;background:url(${PLACEHOLDER}) center/cover no-repeat">\n`,
    );
  });

  test('escapes the alt text', () => {
    expect(pictureMarkup(CDN, PHOTO, { alt: '"Boats" <at> dusk & \'dawn\'' })).toContain('alt="&quot;Boats&quot; &lt;at&gt; dusk &amp; &#39;dawn&#39;"');
  });

  test('an image with transparency falls back to PNG, not the flattened JPEG', () => {
    const logo = record(['avif', 'webp', 'png', 'jpeg'].map((format) => variant('640', format, 300, 200)), {
      original: { format: 'png', width: 300, height: 200, alpha: true, orientation: 1, frames: 1 },
    });
    const markup = pictureMarkup(CDN, logo);
    expect(markup).toContain(`<img src="${CDN}/png/${ID}/640.png"`);
    expect(markup).not.toContain('image/jpeg');
    expect(markup).not.toContain('.jpg');
  });
});

describe('responsiveWidths', () => {
  test('leaves out the cropped thumbnail and keeps one variant per width when a small source was never upscaled', () => {
    const small = record(['640', '1280', 'full'].flatMap((name) => ['webp', 'jpeg'].map((format) => variant(name, format, 600, 400)))
      .concat([variant('thumb', 'webp', 256, 256)]), {
      original: { format: 'jpeg', width: 600, height: 400, alpha: false, orientation: 1, frames: 1 },
    });
    expect(responsiveWidths(small)).toEqual([{ variant: '640', width: 600, height: 400, formats: ['webp', 'jpeg'] }]);
  });
});

describe('markupProblem', () => {
  test('fails for an image that is not COMPLETED', () => {
    expect(markupProblem(record([], { status: 'FAILED' }))).toMatch(/is FAILED, not COMPLETED/);
    expect(() => pictureMarkup(CDN, record([], { status: 'FAILED' }))).toThrow(/is FAILED, not COMPLETED/);
  });
});

test('escapeHtml leaves no markup in text', () => {
  expect(escapeHtml('<img src=x onerror=alert(1)>.jpg')).toBe('&lt;img src=x onerror=alert(1)&gt;.jpg');
});
