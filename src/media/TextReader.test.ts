import assert from 'node:assert/strict';
import sharp from 'sharp';
import { TextReader } from './TextReader.js';

/** A 640×480 JPEG of a wall with a sign and a smaller notice below it. */
async function scene(signText: string, notice: string): Promise<Uint8Array> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480"><rect width="640" height="480" fill="#9aa08b"/>
    <rect x="150" y="100" width="340" height="130" fill="#7a1f1f"/>
    <text x="320" y="185" font-family="DejaVu Sans" font-weight="bold" font-size="56" fill="white" text-anchor="middle">${signText}</text>
    <text x="320" y="380" font-family="DejaVu Sans" font-size="30" fill="black" text-anchor="middle">${notice}</text></svg>`;
  return new Uint8Array(await sharp(Buffer.from(svg)).jpeg({ quality: 85 }).toBuffer());
}

describe('TextReader', () => {
  let reader: TextReader;
  before(async () => {
    reader = await TextReader.load();
  });
  after(() => reader.release());

  it('reads a sign and a notice, top to bottom, with boxes where the words are', async () => {
    const lines = await reader.read(await scene('Kitchen', 'Wet floor, take care'));
    assert.deepEqual(
      lines.map((l) => l.text),
      ['Kitchen', 'Wet floor, take care'],
    );
    const [sign, notice] = lines as [(typeof lines)[0], (typeof lines)[0]];
    assert.ok(sign.confidence > 0.9 && notice.confidence > 0.9);
    assert.ok(sign.box.top > 100 && sign.box.top + sign.box.height < 230, JSON.stringify(sign.box));
    assert.ok(notice.box.top > 330 && notice.box.left > 100 && notice.box.left + notice.box.width < 540, JSON.stringify(notice.box));
  });

  it('reads nothing in an image without text', async () => {
    const wall = await sharp({ create: { width: 448, height: 320, channels: 3, background: '#6b8e23' } })
      .png()
      .toBuffer();
    assert.deepEqual(await reader.read(new Uint8Array(wall)), []);
  });

  it('names the folder when the models are missing', async () => {
    await assert.rejects(TextReader.load({ modelDir: '/nonexistent/ocr' }), /TextReader: cannot load the OCR models in \/nonexistent\/ocr/);
  });
});
