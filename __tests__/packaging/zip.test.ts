import { randomBytes } from 'node:crypto';
import { unzipSync } from 'fflate';
import { zipEntries } from '../../packaging/zip';

describe('zipEntries', () => {
  const entries = [
    { name: 'index.js', data: Buffer.from('exports.handler = async () => 1;\n'.repeat(100)) },
    { name: 'node_modules/a/random.bin', data: randomBytes(4096) },
    { name: 'node_modules/a/empty.txt', data: Buffer.alloc(0) },
    { name: 'dossier/café.txt', data: Buffer.from('é') },
  ];

  test('writes an archive another zip reader reads back byte for byte', () => {
    const files = unzipSync(zipEntries(entries));
    expect(Object.keys(files)).toEqual(entries.map((e) => e.name));
    for (const entry of entries) expect(Buffer.from(files[entry.name]).equals(entry.data)).toBe(true);
  });

  test('compresses what compresses and stores what does not', () => {
    const zip = zipEntries(entries);
    const total = entries.reduce((sum, e) => sum + e.data.length, 0);
    expect(zip.length).toBeLessThan(total);
    const random = zipEntries([entries[1]]);
    expect(random.length).toBeLessThan(4096 + 200);
  });

  test('makes the same bytes from the same files, whenever and wherever it runs', () => {
    expect(zipEntries(entries).equals(zipEntries(entries.map((e) => ({ ...e, data: Buffer.from(e.data) }))))).toBe(true);
  });
});
