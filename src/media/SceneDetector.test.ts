import assert from 'node:assert/strict';
import sharp from 'sharp';
import { framed, photograph } from '../../test/support/photographs.js';
import { SceneDetector, type DetectedFace } from './SceneDetector.js';

const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, v, i) => sum + v * b[i]!, 0);

describe('SceneDetector on real photographs', function () {
  this.timeout(120_000);
  let detector: SceneDetector;
  let handlers: number;
  before(async () => {
    handlers = process.listenerCount('unhandledRejection') + process.listenerCount('uncaughtException');
    detector = await SceneDetector.load({ describeFaces: false });
    detector = await SceneDetector.load();
  });

  it('leaves the process its own handling of uncaught errors (the WebAssembly runtime would rethrow them)', () => {
    assert.equal(process.listenerCount('unhandledRejection') + process.listenerCount('uncaughtException'), handlers);
  });

  it('finds the person and her face in the photograph of an astronaut, with a unit-length 1024-d descriptor', async () => {
    const { objects, faces } = await detector.detect(photograph('astronaut.png'));
    const person = objects.find((o) => o.label === 'person');
    assert.ok(person && person.confidence > 0.5, JSON.stringify(objects));
    assert.equal(faces.length >= 1, true);
    const face = faces[0]!;
    assert.ok(face.confidence > 0.8, JSON.stringify(face));
    // The face lies inside the person, in the upper half of the 512×512 photograph.
    assert.ok(face.box.left >= person.box.left && face.box.left + face.box.width <= person.box.left + person.box.width + 5);
    assert.ok(face.box.top + face.box.height < 300, JSON.stringify(face.box));
    assert.equal(face.descriptor?.length, 1024);
    assert.ok(Math.abs(dot(face.descriptor, face.descriptor) - 1) < 1e-4);
  });

  it('finds the cup in the photograph of a cup of coffee, and no person', async () => {
    const { objects } = await detector.detect(photograph('coffee.png'));
    const cup = objects.find((o) => o.label === 'cup');
    assert.ok(cup && cup.confidence > 0.4, JSON.stringify(objects));
    assert.equal(objects.filter((o) => o.label === 'person' && o.confidence > 0.4).length, 0);
  });

  it("does not take a cat's face for a person's: faces are looked for only where a person was found", async () => {
    const { objects, faces } = await detector.detect(photograph('chelsea.png'));
    assert.ok(!objects.some((o) => o.label === 'person'), JSON.stringify(objects));
    assert.deepEqual(faces, []);
  });

  it('describes the same face alike when shifted, scaled and brightened, and another face differently', async () => {
    const descriptor = async (image: Uint8Array): Promise<Float32Array> => {
      const { faces } = await detector.detect(image);
      const face: DetectedFace | undefined = faces[0];
      assert.ok(face?.descriptor, 'a described face');
      return face.descriptor;
    };
    const original = await descriptor(await framed('astronaut.png', { height: 300, left: 170, top: 90 }));
    const moved = await descriptor(await framed('astronaut.png', { height: 220, left: 380, top: 200, brightness: 1.3 }));
    const darker = await descriptor(await framed('astronaut.png', { height: 400, left: 20, top: 40, brightness: 0.7 }));
    const other = await descriptor(await framed('camera.png', { height: 360, left: 140, top: 60 }));
    assert.ok(dot(original, moved) > 0.8, `moved: ${dot(original, moved)}`);
    assert.ok(dot(original, darker) > 0.8, `darker: ${dot(original, darker)}`);
    assert.ok(dot(original, other) < 0.5, `other: ${dot(original, other)}`);
  });

  it('finds nothing in a blank wall', async () => {
    const wall = await sharp({ create: { width: 448, height: 320, channels: 3, background: '#6b8e23' } })
      .jpeg()
      .toBuffer();
    const { objects, faces } = await detector.detect(new Uint8Array(wall));
    assert.deepEqual(
      objects.filter((o) => o.confidence > 0.3),
      [],
    );
    assert.deepEqual(
      faces.filter((f) => f.confidence > 0.5),
      [],
    );
  });

  it('rejects bytes that are not an image, and names the folder when the models are missing', async () => {
    await assert.rejects(detector.detect(new Uint8Array([1, 2, 3])), /unsupported image format|Input buffer/);
    await assert.rejects(
      SceneDetector.load({ modelDir: '/nonexistent/vision' }),
      /SceneDetector: cannot load the vision models in \/nonexistent\/vision/,
    );
  });
});
