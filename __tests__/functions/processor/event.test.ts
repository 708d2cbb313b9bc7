import type { S3Event } from 'aws-lambda';
import { decodeS3Key, uploadsFromEvent } from '../../../functions/processor/event';
import { deriveImageId } from '../../../lib/keys';
import { objectCreatedEvent } from '../../../lib/s3-events';

function event(...objects: { key: string; versionId?: string; eTag?: string }[]): S3Event {
  return objectCreatedEvent(...objects.map((object) => ({ bucket: 'uploads', size: 5, eventTime: '2026-11-22T10:00:00.000Z', ...object })));
}

describe('S3 event intake', () => {
  test('decodes keys: + is a space, %2B is a plus, UTF-8 percent escapes', () => {
    expect(decodeS3Key('summer+2026/beach+%282%29.JPG')).toBe('summer 2026/beach (2).JPG');
    expect(decodeS3Key('a%2Bb.png')).toBe('a+b.png');
    expect(decodeS3Key('caf%C3%A9.webp')).toBe('café.webp');
  });

  test('reads every record, not only the first', () => {
    const uploads = uploadsFromEvent(event({ key: 'a.jpg', versionId: '1' }, { key: 'b.jpg', versionId: '2' }, { key: 'c.jpg', eTag: 'x' }));
    expect(uploads.map((u) => u.key)).toEqual(['a.jpg', 'b.jpg', 'c.jpg']);
  });

  test('derives the image id from the decoded key and the version, else the ETag', () => {
    const [withVersion, withEtag] = uploadsFromEvent(event({ key: 'my photo.jpg', versionId: 'v9', eTag: 'e' }, { key: 'x.jpg', eTag: 'e1' }));
    expect(withVersion.imageId).toBe(deriveImageId({ bucket: 'uploads', key: 'my photo.jpg', versionId: 'v9' }));
    expect(withEtag.imageId).toBe(deriveImageId({ bucket: 'uploads', key: 'x.jpg', etag: 'e1' }));
    expect(withVersion).toMatchObject({ bucket: 'uploads', versionId: 'v9', bytes: 5, eventTime: '2026-11-22T10:00:00.000Z' });
  });

  test('fails clearly on something that is not an S3 event', () => {
    expect(() => uploadsFromEvent({} as S3Event)).toThrow('Expected an S3 event with a Records array');
    expect(() => uploadsFromEvent({ Records: [{}] } as S3Event)).toThrow('Record 0 is not an S3 object record');
  });
});
