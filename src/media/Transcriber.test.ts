import assert from 'node:assert/strict';
import { Transcriber } from './Transcriber.js';
import { parseWav } from './wav.js';
import { audioParams } from '../config/sections/audio.js';
import { StandInModelServer } from '../../test/support/StandInModelServer.js';
import { tone } from '../../test/support/speech.js';

describe('Transcriber', () => {
  let server: StandInModelServer;
  beforeEach(async () => {
    server = await new StandInModelServer().start();
  });
  afterEach(() => server.stop());

  it('sends the audio as a 16 kHz 16-bit mono WAV file with model, language and key, and returns the trimmed text', async () => {
    let received: { model: string; language: string | null; sampleRate: number; format: string; samples: number } | null = null;
    server.onTranscription = (request) => {
      const wav = parseWav(request.audio);
      received = {
        model: request.model,
        language: request.language,
        sampleRate: wav.sampleRate,
        format: wav.format,
        samples: wav.data.length / 2,
      };
      return '  Hello robot.  ';
    };
    const transcriber = new Transcriber({
      url: server.url,
      model: 'whisper-x',
      language: 'de',
      timeoutS: 5,
      apiKey: 'secret-1',
      maxReplyMb: 1,
    });
    assert.equal(await transcriber.transcribe(tone(300, 1.5, 16_000)), 'Hello robot.');
    assert.deepEqual(received, { model: 'whisper-x', language: 'de', sampleRate: 16_000, format: 'S16LE', samples: 24_000 });
    assert.equal(server.requests.at(-1)!.headers.authorization, 'Bearer secret-1');
  });

  it('is built from the audio parameters, with the key from the named environment variable and no language when empty', async () => {
    const audio = audioParams.parse({
      transcriber_url: server.url,
      transcriber_model: 'm',
      transcriber_timeout_s: 5,
      transcriber_api_key_env: 'MY_KEY',
    });
    const transcriber = Transcriber.fromConfig({ audio, model_reply_max_mb: 1 }, { MY_KEY: 'k2' });
    assert.ok(transcriber);
    await transcriber.transcribe(new Float32Array(1600));
    assert.equal(server.requests.at(-1)!.headers.authorization, 'Bearer k2');
    assert.deepEqual(server.requests.at(-1)!.body, { model: 'm', language: null, bytes: 44 + 3200 });
    assert.equal(Transcriber.fromConfig({ audio: { ...audio, transcriber_url: '' }, model_reply_max_mb: 1 }), null);
  });

  it('fails with the endpoint and the reason when the server hangs past the timeout', async () => {
    server.failNext({ kind: 'hang' }, 2);
    const transcriber = new Transcriber({ url: server.url, model: 'whisper-x', timeoutS: 1, maxReplyMb: 1 });
    await assert.rejects(
      transcriber.transcribe(new Float32Array(1600)),
      /Transcriber: http:\/\/127\.0\.0\.1:\d+\/v1\/audio\/transcriptions \(model whisper-x\) failed: .*timed out/i,
    );
  });
});
