import { EdgeRequest, EdgeResponse, loadViewerRequestFunction, negotiationFunctionCode, originId } from '../../lib/edge-function';
import { DEFAULT_PRESET } from '../../lib/variants';

/*
 * No CloudFront Functions runtime exists off AWS: the generated code is run in a Node VM with a recording stand-in
 * for the runtime's `cf.selectRequestOriginById`, the one thing here that is not the real part.
 */
const code = negotiationFunctionCode(DEFAULT_PRESET);
const run = loadViewerRequestFunction(code);
const id = 'a1b2c3d4e5f6a7b8c9d0e1f2';

function request(uri: string, accept?: string): EdgeRequest {
  return { uri, method: 'GET', headers: accept === undefined ? {} : { accept: { value: accept } } };
}

const CHROME = 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8';
const OLD_SAFARI = 'image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5';

describe('format negotiation function', () => {
  test('serves AVIF to browsers that list it, from the AVIF bucket', () => {
    const { output, selectedOrigin } = run(request(`/images/${id}/640`, CHROME));
    expect((output as EdgeRequest).uri).toBe(`/avif/${id}/640.avif`);
    expect(selectedOrigin).toBe(originId('avif'));
  });

  test('serves WebP where AVIF is not listed, or where the variant has no AVIF', () => {
    expect(run(request(`/images/${id}/640`, 'image/webp,*/*')).output).toMatchObject({ uri: `/webp/${id}/640.webp` });
    const large = run(request(`/images/${id}/1920`, CHROME));
    expect(large.output).toMatchObject({ uri: `/webp/${id}/1920.webp` });
    expect(large.selectedOrigin).toBe(originId('webp'));
  });

  test('falls back to JPEG for browsers that list neither, and for no Accept header at all', () => {
    for (const accept of [OLD_SAFARI, undefined, '*/*', 'image/*']) {
      const { output, selectedOrigin } = run(request(`/images/${id}/thumb`, accept));
      expect((output as EdgeRequest).uri).toBe(`/jpeg/${id}/thumb.jpg`);
      expect(selectedOrigin).toBe(originId('jpeg'));
    }
  });

  test('honours q=0 as a refusal and ignores case and spaces', () => {
    expect(run(request(`/images/${id}/640`, 'image/avif;q=0, image/webp')).output).toMatchObject({ uri: `/webp/${id}/640.webp` });
    expect(run(request(`/images/${id}/640`, 'Image/AVIF ; q=0.5')).output).toMatchObject({ uri: `/avif/${id}/640.avif` });
    expect(run(request(`/images/${id}/640`, 'image/avif; q=0.0,image/webp;q=0')).output).toMatchObject({ uri: `/jpeg/${id}/640.jpg` });
  });

  test('answers 404 for variants the preset does not make and for paths outside the layout', () => {
    for (const uri of [
      `/images/${id}/999`,
      `/images/${id}/constructor`,
      `/images/${id}/__proto__`,
      `/images/not-an-id/640`,
      `/images/${id}/640/extra`,
      '/',
      '/index.html',
    ]) {
      const { output, selectedOrigin } = run(request(uri, CHROME));
      expect((output as EdgeResponse).statusCode).toBe(404);
      expect(selectedOrigin).toBeUndefined();
    }
  });

  test('knows every variant of the preset and nothing else', () => {
    for (const variant of DEFAULT_PRESET.variants) {
      const { output } = run(request(`/images/${id}/${variant.name}`, ''));
      expect((output as EdgeRequest).uri).toBe(`/jpeg/${id}/${variant.name}.jpg`);
    }
  });

  test('fits CloudFront Functions\' 10 KB code limit', () => {
    expect(Buffer.byteLength(code)).toBeLessThan(10 * 1024);
  });
});

describe('viewer-request function runner', () => {
  test('gives the function the cloudfront-js-2.0 event: context, viewer, cookies and query string', () => {
    const echo = loadViewerRequestFunction(`function handler(event) {
  return { statusCode: 200, headers: { seen: { value: JSON.stringify([
    event.context.eventType, event.context.distributionDomainName, event.viewer.ip,
    event.request.cookies.session.value, event.request.querystring.w.value,
  ]) } } };
}`);
    const { output } = echo(
      { uri: '/x', headers: {}, cookies: { session: { value: 's1' } }, querystring: { w: { value: '640' } } },
      { distributionDomainName: '127.0.0.1:8080', viewerIp: '10.0.0.1' },
    );
    expect(JSON.parse((output as EdgeResponse).headers!.seen.value)).toEqual(['viewer-request', '127.0.0.1:8080', '10.0.0.1', 's1', '640']);
  });

  test('hands console.log output to the log option, and sees the origin an async handler selects', async () => {
    const messages: string[] = [];
    const asyncRun = loadViewerRequestFunction(
      `import cf from 'cloudfront';
async function handler(event) {
  await null;
  console.log('picked', 'webp');
  cf.selectRequestOriginById('webp-bucket');
  return event.request;
}`,
      { log: (message) => messages.push(message) },
    );
    const result = asyncRun(request('/x'));
    expect(await result.output).toMatchObject({ uri: '/x' });
    expect(result.selectedOrigin).toBe('webp-bucket');
    expect(messages).toEqual(['picked webp']);
  });

  test('stops a function that never returns instead of hanging', () => {
    const loop = loadViewerRequestFunction('function handler(event) { for (;;) {} }');
    expect(() => loop(request('/x'))).toThrow(/timed out/);
  });
});
