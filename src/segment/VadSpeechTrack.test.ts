import assert from 'node:assert/strict';
import { VadSpeechTrack } from './VadSpeechTrack.js';
import { SileroVad } from '../media/SileroVad.js';
import { Transcriber } from '../media/Transcriber.js';
import { parseWav } from '../media/wav.js';
import { CauseCounter, type Logger } from '../log.js';
import { NANOS_PER_SECOND, nanosToSeconds, secondsToNanos, type RosNanos } from '../time.js';
import { AudioDecoder } from '../media/AudioDecoder.js';
import { audioParams } from '../config/sections/audio.js';
import { audioMessages, infoOf, speechPcm, speechWav } from '../../test/support/speech.js';
import { StandInModelServer } from '../../test/support/StandInModelServer.js';

const START = 1_790_000_000n * NANOS_PER_SECOND;
const at = (seconds: number): RosNanos => START + secondsToNanos(seconds);
const since = (stamp: RosNanos) => nanosToSeconds(stamp - START);

/** Two utterances: "Please bring the red cup" from 1.0 s, then, after a long pause, a second sentence. */
const first = speechPcm('Please bring the red cup.', 1, 1.5);
const second = speechPcm('The kitchen door is open.', 0, 1);
const scene = new Float32Array(first.samples.length + second.samples.length);
scene.set(first.samples);
scene.set(second.samples, first.samples.length);
const secondStartS = first.samples.length / 16_000 + second.speechStartS;
const sceneS = scene.length / 16_000;

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
}

async function pushAll(track: VadSpeechTrack, samples: Float32Array, from = START) {
  const chunk = 1600; // 100 ms: not a multiple of the 512-sample VAD window
  for (let offset = 0; offset < samples.length; offset += chunk) {
    await track.push({ stamp: from + (BigInt(offset) * NANOS_PER_SECOND) / 16_000n, samples: samples.slice(offset, offset + chunk) });
  }
}

describe('VadSpeechTrack', () => {
  let vad: SileroVad;
  let server: StandInModelServer;
  before(async () => {
    vad = await SileroVad.load();
    server = await new StandInModelServer().start();
  });
  after(async () => {
    await vad.release();
    await server.stop();
  });

  function track(logger: Logger, transcriber: Transcriber | null = null) {
    vad.reset();
    return new VadSpeechTrack({
      vad,
      transcriber,
      threshold: 0.5,
      minSpeechS: 0.25,
      hangoverS: 0.3,
      paddingS: 0.2,
      counter: new CauseCounter(logger),
    });
  }

  it('marks each utterance where it is spoken and nothing in the silence around it', async () => {
    const t = track(recordingLogger());
    await pushAll(t, scene);
    const { speech, transcript } = await t.take(START, at(sceneS));
    assert.equal(speech.length, 2, JSON.stringify(speech.map((s) => [since(s.start), since(s.end)])));
    const [a, b] = speech as [(typeof speech)[0], (typeof speech)[0]];
    assert.ok(Math.abs(since(a.start) - first.speechStartS) < 0.25, `first starts at ${since(a.start)}`);
    assert.ok(Math.abs(since(a.end) - first.speechEndS) < 0.4, `first ends at ${since(a.end)} (words end ${first.speechEndS})`);
    assert.ok(Math.abs(since(b.start) - secondStartS) < 0.25, `second starts at ${since(b.start)}`);
    assert.ok(since(b.end) < sceneS - 0.5, `second ends at ${since(b.end)}`);
    assert.ok(a.probability > 0.5 && b.probability > 0.5);
    assert.deepEqual(transcript, []);
  });

  it('finds the speech at its ROS time when it arrives as 48 kHz stereo messages through the AudioDecoder', async () => {
    const t = track(recordingLogger());
    const decoder = new AudioDecoder({ counter: new CauseCounter(recordingLogger()) });
    const wav = parseWav(speechWav('Please bring the red cup.', { rate: 48_000, channels: 2, leadS: 1, trailS: 1.5 }));
    decoder.setInfo(infoOf(wav));
    const frame = 4;
    for (const message of audioMessages(wav.data, 4800 * frame, START, (offset) => (BigInt(offset / frame) * NANOS_PER_SECOND) / 48_000n)) {
      const chunk = await decoder.decodeAudioData(message);
      if (chunk) await t.push(chunk);
    }
    const { speech } = await t.take(START, at(10));
    assert.equal(speech.length, 1);
    assert.ok(Math.abs(since(speech[0]!.start) - first.speechStartS) < 0.25, `starts at ${since(speech[0]!.start)}`);
    assert.ok(Math.abs(since(speech[0]!.end) - first.speechEndS) < 0.4, `ends at ${since(speech[0]!.end)}`);
  });

  it('is built from the audio parameters: the shipped VAD model, and no transcriber without a URL', async () => {
    const t = await VadSpeechTrack.fromConfig({ audio: audioParams.parse({}), model_reply_max_mb: 8 }, new CauseCounter(recordingLogger()));
    await pushAll(t, first.samples);
    const { speech, transcript } = await t.take(START, at(10));
    assert.equal(speech.length, 1);
    assert.deepEqual(transcript, []);
  });

  it('reports no speech in silence and in hum', async () => {
    const t = track(recordingLogger());
    const hum = Float32Array.from({ length: 48_000 }, (_, i) => 0.05 * Math.sin((2 * Math.PI * 50 * i) / 16_000));
    await pushAll(t, hum);
    await pushAll(t, new Float32Array(32_000), at(3));
    assert.deepEqual((await t.take(START, at(5))).speech, []);
  });

  it('cuts an utterance that crosses a segment boundary into one part per segment', async () => {
    const t = track(recordingLogger());
    await pushAll(t, first.samples);
    const middle = at((first.speechStartS + first.speechEndS) / 2);
    const before = await t.take(START, middle);
    const after = await t.take(middle, at(10));
    assert.equal(before.speech.length, 1);
    assert.equal(after.speech.length, 1);
    assert.equal(before.speech[0]!.end, middle);
    assert.equal(after.speech[0]!.start, middle);
    assert.ok(Math.abs(since(after.speech[0]!.end) - first.speechEndS) < 0.4);
    assert.deepEqual((await t.take(at(10), at(20))).speech, [], 'a taken range is not reported again');
  });

  it('transcribes each span with its padded audio and times the lines within the segment', async () => {
    const requests: { model: string; language: string | null; seconds: number }[] = [];
    server.onTranscription = (request) => {
      const wav = parseWav(request.audio);
      requests.push({ model: request.model, language: request.language, seconds: wav.data.length / 2 / wav.sampleRate });
      return requests.length === 1 ? ' Please bring the red cup. ' : 'The kitchen door is open.';
    };
    const transcriber = new Transcriber({ url: server.url, model: 'whisper-stand-in', language: 'en', timeoutS: 10, maxReplyMb: 8 });
    const t = track(recordingLogger(), transcriber);
    await pushAll(t, scene);
    const { speech, transcript } = await t.take(START, at(sceneS));

    assert.equal(requests.length, 2);
    for (const [i, request] of requests.entries()) {
      const span = speech[i]!;
      assert.equal(request.model, 'whisper-stand-in');
      assert.equal(request.language, 'en');
      assert.ok(
        Math.abs(request.seconds - (nanosToSeconds(span.end - span.start) + 0.4)) < 0.01,
        `request ${i}: ${request.seconds} s of audio`,
      );
    }
    assert.deepEqual(
      transcript.map((line) => line.text),
      ['Please bring the red cup.', 'The kitchen door is open.'],
    );
    assert.deepEqual(
      transcript.map((line) => [line.start, line.end, line.speaker]),
      speech.map((s) => [s.start, s.end, 'unknown']),
    );
  });

  it('keeps the speech spans and says why when the transcription server fails', async () => {
    server.onTranscription = () => 'never heard';
    const transcriptions = () => server.requests.filter((r) => r.path.endsWith('/audio/transcriptions')).length;
    const before = transcriptions();
    server.failNext({ kind: 'status', status: 503 }, 2); // the request and its one retry
    const logger = recordingLogger();
    const t = track(logger, new Transcriber({ url: server.url, model: 'whisper-stand-in', timeoutS: 10, maxReplyMb: 8 }));
    await pushAll(t, first.samples);
    const { speech, transcript } = await t.take(START, at(5));

    assert.equal(speech.length, 1);
    assert.deepEqual(transcript, []);
    assert.equal(transcriptions() - before, 2);
    assert.equal(logger.warnings.length, 1);
    assert.match(
      logger.warnings[0]!,
      /has no transcript: Transcriber: http:\/\/127\.0\.0\.1:\d+\/v1\/audio\/transcriptions \(model whisper-stand-in\) failed: 503/,
    );
  });

  it('stops waiting for a hanging transcription when aborted (the pipeline stopping), keeping the spans', async () => {
    server.failNext({ kind: 'hang' }, 2);
    const logger = recordingLogger();
    const t = track(logger, new Transcriber({ url: server.url, model: 'whisper-stand-in', timeoutS: 600, maxReplyMb: 8 }));
    await pushAll(t, first.samples);
    const taking = t.take(START, at(5));
    const transcriptions = () => server.requests.filter((r) => r.path.endsWith('/audio/transcriptions')).length;
    const deadline = Date.now() + 10_000;
    while (transcriptions() === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    t.abort();
    const { speech, transcript } = await taking;
    assert.equal(speech.length, 1);
    assert.deepEqual(transcript, []);
    assert.deepEqual(logger.warnings, [], 'a transcription cancelled at shutdown is no failure to report');
  });
});
