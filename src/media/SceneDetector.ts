import { access, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Tfjs from '@tensorflow/tfjs-core';
import type * as HumanLibrary from '@vladmandic/human';
import sharp from 'sharp';
import type { ImageBox } from './ImageBox.js';

/** An object of one of COCO's 80 classes ("person", "cup", "laptop", …). */
export interface DetectedObject {
  label: string;
  /** Detector score, 0 to 1. */
  confidence: number;
  box: ImageBox;
}

/** A face, with its descriptor scaled to unit length (cosine similarity is a dot product). */
export interface DetectedFace {
  confidence: number;
  box: ImageBox;
  /** 1024-d face description; null when describing faces is off. */
  descriptor: Float32Array | null;
}

export interface SceneDetection {
  objects: DetectedObject[];
  faces: DetectedFace[];
}

export interface SceneDetectorOptions {
  /** Folder holding centernet, blazeface and faceres (`.json` + `.bin`); the models shipped with @vladmandic/human by default. */
  modelDir?: string;
  /** Compute face descriptors (faceres); false: faces are only found (blazeface). */
  describeFaces?: boolean;
}

/** Long side an image is scaled down to before detection: the models' own inputs are smaller still. */
const DETECTION_SIDE = 640;
/**
 * The library's own score floors: low, so that callers choose their thresholds (perception.min_confidence,
 * people.min_face_confidence) on everything the models found.
 */
const FLOOR = 0.2;
const MAX_OBJECTS = 20;
const MAX_FACES = 10;

type HumanModule = typeof HumanLibrary;

/** Where @vladmandic/human lies; its `exports` map has no `./` subpaths, so files in it are reached by path. */
function humanPackageDir(): string {
  // The "node" export is dist/human.node.js.
  return dirname(dirname(createRequire(import.meta.url).resolve('@vladmandic/human')));
}

/** The TensorFlow.js graph models shipped inside @vladmandic/human. */
export function defaultVisionModelDir(): string {
  return join(humanPackageDir(), 'models');
}

/**
 * Detects objects (CenterNet, COCO's 80 classes) and faces (BlazeFace, with FaceRes descriptors) in images, with
 * the TensorFlow.js graph models that @vladmandic/human ships, run by TensorFlow.js's WebAssembly backend on the
 * CPU. Nothing is downloaded: the library's Node WASM build is loaded by file path, and the model files are read
 * from disk by our own IO handler (the library's loader would fetch them). Faces are looked for only in images
 * where the object detector found a person, at any score: a face elsewhere (a cat's, a pattern) is not a person's,
 * and the face models cost as much again. Calls are queued: the library keeps state between detections and is
 * not safe to run twice at once.
 */
export class SceneDetector {
  readonly #human: HumanLibrary.Human;
  readonly #describeFaces: boolean;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(human: HumanLibrary.Human, describeFaces: boolean) {
    this.#human = human;
    this.#describeFaces = describeFaces;
  }

  static async load({ modelDir = defaultVisionModelDir(), describeFaces = true }: SceneDetectorOptions = {}): Promise<SceneDetector> {
    try {
      const human = await loadHuman(modelDir, describeFaces);
      return new SceneDetector(human, describeFaces);
    } catch (error) {
      throw new Error(`SceneDetector: cannot load the vision models in ${modelDir}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Objects and faces in an encoded image (JPEG, PNG), boxes in its pixels, best first. */
  detect(image: Uint8Array): Promise<SceneDetection> {
    const run = this.#queue.then(() => this.#detect(image));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #detect(image: Uint8Array): Promise<SceneDetection> {
    const decoded = sharp(image).removeAlpha();
    const { width = 0, height = 0 } = await decoded.metadata();
    const scale = Math.min(1, DETECTION_SIDE / Math.max(width, height, 1));
    const { data, info } = await decoded
      .resize(Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale)))
      .raw()
      .toBuffer({ resolveWithObject: true });
    const tf = this.#human.tf as typeof Tfjs;
    const input = tf.tensor4d(Int32Array.from(data), [1, info.height, info.width, 3], 'int32');
    let objects: HumanLibrary.Result;
    let faces: HumanLibrary.Result | null = null;
    try {
      // The library merges a call's configuration into its own for good: each call states both switches.
      objects = await this.#human.detect(input, { object: { enabled: true }, face: { enabled: false } });
      if (objects.object.some((o) => o.label === 'person'))
        faces = await this.#human.detect(input, { object: { enabled: false }, face: { enabled: true } });
    } finally {
      input.dispose();
    }
    const error = objects.error ?? faces?.error;
    if (error) throw new Error(`SceneDetector: detection failed: ${error}`);
    const toBox = ([x, y, w, h]: HumanLibrary.Box): ImageBox => {
      const left = Math.max(0, Math.round(x / scale));
      const top = Math.max(0, Math.round(y / scale));
      return { left, top, width: Math.min(width - left, Math.round(w / scale)), height: Math.min(height - top, Math.round(h / scale)) };
    };
    return {
      objects: objects.object
        .map((o) => ({ label: o.label, confidence: o.score, box: toBox(o.box) }))
        .sort((a, b) => b.confidence - a.confidence),
      faces: (faces?.face ?? [])
        .map((f) => ({ confidence: f.boxScore, box: toBox(f.box), descriptor: this.#describeFaces ? unit(f.embedding) : null }))
        .sort((a, b) => b.confidence - a.confidence),
    };
  }
}

/** A descriptor scaled to unit length; null when the library gave none (a face too small to describe). */
function unit(embedding: number[] | undefined): Float32Array | null {
  if (!embedding || embedding.length === 0) return null;
  const out = Float32Array.from(embedding);
  const norm = Math.hypot(...out);
  if (!(norm > 0)) return null;
  for (let i = 0; i < out.length; i++) out[i]! /= norm;
  return out;
}

/**
 * The library keeps its models and backend in module state, so one process has one instance per configuration;
 * loading it again returns the same one.
 */
const instances = new Map<string, Promise<HumanLibrary.Human>>();

function loadHuman(modelDir: string, describeFaces: boolean): Promise<HumanLibrary.Human> {
  const key = `${modelDir}\n${describeFaces}`;
  let instance = instances.get(key);
  if (!instance) {
    instance = createHuman(modelDir, describeFaces);
    instances.set(key, instance);
    instance.catch(() => instances.delete(key));
  }
  return instance;
}

async function createHuman(modelDir: string, describeFaces: boolean): Promise<HumanLibrary.Human> {
  const names = ['centernet', 'blazeface', ...(describeFaces ? ['faceres'] : [])];
  // The library logs a model it cannot load and goes on without it: a missing file is found here instead.
  await Promise.all(names.map((name) => access(join(modelDir, `${name}.json`))));
  const packageDir = humanPackageDir();
  const library = createRequire(import.meta.url)(join(packageDir, 'dist', 'human.node-wasm.js')) as HumanModule;
  // The backend's main file lies beside its .wasm binaries.
  const wasmDir = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
  const base = pathToFileURL(modelDir).href.replace(/\/?$/, '/');
  const off = { enabled: false };
  const human = new library.Human({
    backend: 'wasm',
    wasmPath: `${wasmDir}/`,
    modelBasePath: base,
    debug: false,
    async: false,
    warmup: 'none',
    cacheModels: false,
    // Every image is new to us: no reuse of the previous frame's results.
    cacheSensitivity: 0,
    filter: { enabled: false },
    face: {
      enabled: true,
      detector: {
        modelPath: 'blazeface.json',
        rotation: false,
        maxDetected: MAX_FACES,
        minConfidence: FLOOR,
        skipFrames: 0,
        return: false,
      },
      mesh: off,
      iris: off,
      attention: off,
      emotion: off,
      antispoof: off,
      liveness: off,
      description: { enabled: describeFaces, modelPath: 'faceres.json', skipFrames: 0, minConfidence: 0 },
    },
    object: { enabled: true, modelPath: 'centernet.json', minConfidence: FLOOR, maxDetected: MAX_OBJECTS, skipFrames: 0 },
    body: off,
    hand: off,
    gesture: off,
    segmentation: off,
  });
  registerFileLoader(human.tf as typeof Tfjs);
  const handlers = {
    uncaughtException: process.listeners('uncaughtException'),
    unhandledRejection: process.listeners('unhandledRejection'),
  };
  try {
    await human.load();
  } finally {
    // The WebAssembly runtime (Emscripten) installs process handlers that rethrow every uncaught exception and
    // unhandled rejection, turning any stray rejection anywhere in the process into a crash; its own dispose
    // removes them, and so do we, as soon as it has started.
    for (const listener of process.listeners('uncaughtException'))
      if (!handlers.uncaughtException.includes(listener)) process.off('uncaughtException', listener);
    for (const listener of process.listeners('unhandledRejection'))
      if (!handlers.unhandledRejection.includes(listener)) process.off('unhandledRejection', listener);
  }
  const models = human.models.models as Record<string, { executor?: unknown } | null>;
  const missing = names.filter((name) => !models[name]?.executor);
  if (missing.length > 0) throw new Error(`the models ${missing.join(', ')} did not load`);
  // The first run of each model compiles its kernels (about a second): done here, so that the first keyframe is
  // not charged for it.
  const tf = human.tf as typeof Tfjs;
  const blank = tf.zeros([1, 320, 448, 3], 'int32');
  try {
    await human.detect(blank);
  } finally {
    blank.dispose();
  }
  return human;
}

const registered = new WeakSet<object>();

/**
 * Serves `file://` model URLs from disk: the TensorFlow.js that the library's WASM build uses has no
 * file system handler, and its HTTP loader cannot read `file://` in Node.
 */
function registerFileLoader(tf: typeof Tfjs): void {
  if (registered.has(tf.io)) return;
  registered.add(tf.io);
  // A router returns null for URLs it does not serve, as TensorFlow.js's own HTTP router does; its type omits that.
  tf.io.registerLoadRouter(
    (url: string | string[]) =>
      (typeof url === 'string' && url.startsWith('file://') ? { load: () => readGraphModel(new URL(url)) } : null) as Tfjs.io.IOHandler,
  );
}

/** A graph model's topology and weights as TensorFlow.js model artifacts. */
async function readGraphModel(url: URL): Promise<Tfjs.io.ModelArtifacts> {
  const path = decodeURIComponent(url.pathname);
  const model = JSON.parse(await readFile(path, 'utf8')) as ModelJson;
  const folder = dirname(path);
  const shards = await Promise.all(model.weightsManifest.flatMap((group) => group.paths.map((p) => readFile(join(folder, p)))));
  const weights = Buffer.concat(shards);
  return {
    modelTopology: model.modelTopology,
    weightSpecs: model.weightsManifest.flatMap((group) => group.weights),
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    format: model.format,
    generatedBy: model.generatedBy,
    convertedBy: model.convertedBy,
    signature: model.signature,
    userDefinedMetadata: model.userDefinedMetadata,
  };
}

/** model.json of a TensorFlow.js graph model, as far as loading reads it. */
interface ModelJson {
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: Tfjs.io.WeightsManifestEntry[] }[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  signature?: object;
  userDefinedMetadata?: Record<string, object>;
}
