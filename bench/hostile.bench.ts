/**
 * What hostile sizes cost, side by side with the guard that bounds them. (a) A chat reply whose content is 50 MB,
 * read in a fresh process by the plain openai client and by taskmem's ModelClient (model_reply_max_mb at its
 * default of 8), and a normal reply for the process's own size: peak resident memory and time. (b) An AudioInfo declaring 1 Hz for 16 kHz audio: the
 * resampling the old decoder did for a quarter second of it (measured directly on the Resampler; 10 s is 40 times
 * that), against the AudioDecoder's rejection of 10 s.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { AudioDecoder } from '../src/media/AudioDecoder.js';
import { Resampler } from '../src/media/Resampler.js';
import { CauseCounter, silentLogger } from '../src/log.js';
import { toRosTime } from '../src/time.js';
import { StandInModelServer } from '../test/support/StandInModelServer.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Reads one chat reply in a child process; prints its peak RSS (MB), the time (ms) and how the read ended. */
const CHILD = `
const [mode, url] = process.argv.slice(1);
const { default: OpenAI } = await import('openai');
const { ModelClient } = await import('./src/endpoint/ModelClient.ts');
const client = mode === 'plain'
  ? new OpenAI({ baseURL: url, apiKey: 'k', maxRetries: 0, timeout: 120000 })
  : new ModelClient({ url, apiKey: 'k', timeoutMs: 120000, maxRetries: 0, maxReplyMb: 8 });
const started = Date.now();
let outcome;
try {
  const reply = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
  outcome = 'read ' + reply.choices.length + ' choice(s)';
} catch (error) {
  outcome = error.name;
}
console.log(JSON.stringify({ peakMb: process.resourceUsage().maxRSS / 1024, ms: Date.now() - started, outcome }));
`;

async function readReply(mode: 'plain' | 'guarded', url: string): Promise<{ peakMb: number; ms: number; outcome: string }> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD, mode, url], {
    cwd: ROOT,
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as { peakMb: number; ms: number; outcome: string };
}

export default async function hostile(): Promise<void> {
  const server = await new StandInModelServer().start();
  try {
    const rows: string[] = [];
    const cases = [
      ['plain', 50, 'plain openai client, 50 MB reply'],
      ['guarded', 50, 'ModelClient (cap 8 MB), 50 MB reply'],
      ['guarded', 0, 'ModelClient, a normal reply (the process itself)'],
    ] as const;
    for (const [mode, mb, name] of cases) {
      // The size is in the reply's content, as a model that never stops writing would send it.
      server.onChat = () => (mb === 0 ? '{"description": "A door."}' : 'a'.repeat(mb * 2 ** 20));
      const r = await readReply(mode, server.url);
      rows.push(`| ${name} | ${r.peakMb.toFixed(0)} MB | ${r.ms} ms | ${r.outcome} |`);
    }
    console.log('(a) one chat reply, read in a fresh process');
    console.log('| client, reply | peak RSS | time | outcome |\n|---|---|---|---|');
    for (const row of rows) console.log(row);
  } finally {
    await server.stop();
  }

  const quarter = new Float32Array(4_000);
  let started = performance.now();
  const out = new Resampler(1).process(quarter);
  const resampleMs = performance.now() - started;
  const decoder = new AudioDecoder({ counter: new CauseCounter(silentLogger) });
  decoder.setInfo({ channels: 1, sample_rate: 1, sample_format: 'S16LE', bitrate: 0, coding_format: 'wave' });
  const tenSeconds = { header: { stamp: toRosTime(1n), frame_id: '' }, audio: { data: new Uint8Array(2 * 160_000) } };
  started = performance.now();
  const rejected = await decoder.decodeAudioData(tenSeconds);
  const rejectMs = performance.now() - started;
  console.log('\n(b) AudioInfo sample_rate 1 over 16 kHz audio');
  console.log(
    `resampling 0.25 s of it as 1 Hz: ${resampleMs.toFixed(0)} ms, ${((out.length * 4) / 2 ** 20).toFixed(0)} MB of output ` +
      `(10 s: ≈ ${((resampleMs * 40) / 1000).toFixed(0)} s, ${((out.length * 4 * 40) / 2 ** 30).toFixed(1)} GB); ` +
      `the decoder now rejects 10 s of it in ${rejectMs.toFixed(2)} ms (${rejected === null ? 'rejected' : 'decoded'})`,
  );
}
