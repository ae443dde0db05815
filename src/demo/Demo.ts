/**
 * The demo: taskmem's whole job on a scripted scene, with nothing but this package installed. It writes a
 * rosbag2 recording of a robot passing signs while people speak, memorizes it through the normal ingest pipeline
 * into a fresh store, asks questions the way a robot's task would (logged as tasks, answered from memory alone,
 * the answers recorded) and writes the timeline page.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { Answer } from '../answer/Answer.js';
import { askAsTask } from '../answer/askAsTask.js';
import { renderAnswer } from '../answer/renderAnswer.js';
import { Assembly } from '../assembly/Assembly.js';
import { checkEndpoint } from '../assembly/endpoint.js';
import type { Config } from '../config/schema.js';
import { ingestRecording } from '../ingest/RecordingIngest.js';
import type { Logger } from '../log.js';
import { PERCEPTION_LABEL } from '../memorize/PerceptionMemorizer.js';
import { loadTimeline } from '../report/loadTimeline.js';
import { renderTimeline } from '../report/TimelineReport.js';
import { packageRoot } from '../packageRoot.js';
import { redactCredentials } from '../text/redactCredentials.js';
import { missingSpeechTools, writeRecording, type Scene, type SpokenLine } from './ScriptedRecording.js';

/**
 * A robot's tour: rooms and doors with signs, a labelled box, a visitor (a photograph of a person) who speaks and
 * comes back later, and a few things said on the way. Neighbouring scenes differ in brightness, so that the view
 * changes between them even in grey.
 */
export function demoScenes(): Scene[] {
  const visitor = new Uint8Array(readFileSync(join(packageRoot(), 'assets', 'photographs', 'eileen-collins.jpg')));
  return [
    { fromS: 0, colour: '#2f6f3e', sign: 'KITCHEN' },
    { fromS: 12, colour: '#d9b43a', sign: 'BOX: SPARE BATTERIES' },
    { fromS: 24, colour: '#1f2f5a', sign: 'EXIT 12' },
    { fromS: 28, colour: '#8a7a66', sign: '', picture: { image: visitor, left: 40, top: 150, height: 300 } },
    { fromS: 36, colour: '#9cc4e0', sign: 'LAB 3' },
    { fromS: 48, colour: '#3a3a3a', sign: 'CHARGING DOCK' },
    { fromS: 54, colour: '#b0a898', sign: '', picture: { image: visitor, left: 380, top: 230, height: 230, brightness: 0.8 } },
  ];
}

export const DEMO_SPEECH: SpokenLine[] = [
  { atS: 3, text: 'The keys are on the kitchen table.' },
  { atS: 29, text: 'The delivery arrives at noon.' },
  { atS: 39, text: 'Please water the plants in lab three.' },
];

/** Seconds of recording, ending when the demo starts; frames per second (JPEG). */
const DURATION_S = 60;
const FPS = 4;

export const DEMO_QUESTIONS = [
  'Where did I see the kitchen sign?',
  'What did someone say about the keys?',
  'Which signs did the robot pass in the last minute?',
  'What is in the box?',
  'Where is the charging dock?',
  'When did I last see person_1?',
];

/** The files a demo writes into its folder (with the store's companions), and nothing else: all it may remove there. */
export const DEMO_FILES = /^(tour\.mcap|memory\.sqlite(-wal|-shm|-journal)?|taskmem\.yaml|timeline\.html)$/;

export interface DemoOptions {
  /** The demo folder; removed and recreated (the caller checks that it holds nothing but DEMO_FILES). */
  out: string;
  /** The user's configuration; the demo sets the sensor topics, the store (a SQLite file in `out`) and the robot. */
  config: Config;
  /** Progress and the answers. */
  print: (text: string) => void;
  logger: Logger;
}

export interface DemoResult {
  recording: string;
  storePath: string;
  /** The demo's sensor, robot and store parameters as a params file for later commands. */
  paramsFile: string;
  timeline: string;
  /** Which memorizer wrote the memories, in words. */
  memorizedBy: string;
  config: Config;
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { config: userConfig, print, logger } = options;
  const out = resolve(options.out);
  const recording = join(out, 'tour.mcap');
  const storePath = join(out, 'memory.sqlite');
  const timeline = join(out, 'timeline.html');
  const paramsFile = join(out, 'taskmem.yaml');

  // An endpoint that does not answer is found before anything is written.
  const unreachable = await checkEndpoint(userConfig.memorizer, { logger });

  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const scenes = demoScenes();
  const missing = missingSpeechTools();
  const speech = missing.length === 0;
  print(
    `[1/4] writing a ${DURATION_S} s recording of a scripted scene (signs ${scenes
      .filter((s) => s.sign !== '')
      .map((s) => s.sign)
      .join(', ')}; a visitor, photographed, twice; a moving pose` +
      `${speech ? `; ${DEMO_SPEECH.length} spoken sentences` : ''}) to ${recording}`,
  );
  if (!speech)
    print(
      `      note: ${missing.join(' and ')} not installed, so the recording has no speech track (apt-get install -y espeak-ng sox adds it)`,
    );
  const script = await writeRecording({
    path: recording,
    durationS: DURATION_S,
    fps: FPS,
    camera: 'compressed',
    audio: speech ? 'audio_data_stamped' : 'none',
    speech: speech ? DEMO_SPEECH : [],
    scenes,
    start: BigInt(Date.now() - DURATION_S * 1000) * 1_000_000n,
  });

  const config: Config = {
    ...userConfig,
    camera: { ...userConfig.camera, ...script.config.camera },
    audio: { ...userConfig.audio, ...script.config.audio },
    pose: { ...userConfig.pose, ...script.config.pose },
    store: { ...userConfig.store, backend: 'sqlite', path: storePath, thumbnails: true },
  };
  // The demo's own parameters, so that later commands (remember --again in particular) read the tour the same way.
  writeFileSync(
    paramsFile,
    stringify({
      robot_id: config.robot_id,
      camera: script.config.camera,
      audio: script.config.audio,
      pose: script.config.pose,
      store: { backend: 'sqlite', path: storePath, thumbnails: true },
    }),
  );
  const assembly = await Assembly.open(config, { logger });
  try {
    const focus = await assembly.taskFocus();
    let memorizedBy = '';
    let lastShown = 0;
    let labelled = 0;
    const ingest = await ingestRecording({
      path: recording,
      config,
      store: assembly.store,
      openPipeline: async (options) => {
        const opened = await assembly.pipeline({ ...options, focus });
        memorizedBy =
          unreachable === null
            ? opened.memorizer.description
            : `the perception memorizer: the policy endpoint ${redactCredentials(config.memorizer.url)} is unreachable (${unreachable})`;
        print(`[2/4] memorizing it through the ingest pipeline with ${memorizedBy}`);
        return opened;
      },
      logger,
      onStored: (memory) => {
        const seconds = Number((memory.start - script.start) / 1_000_000_000n);
        if (memory.source === 'perception') labelled++;
        const text = unlabelled(memory.text);
        print(`      ${String(seconds).padStart(3)} s  ${text.length > 150 ? `${text.slice(0, 149)}…` : text}`);
      },
      onProgress: (p) => {
        if (p.readSeconds - lastShown >= 20) {
          lastShown = p.readSeconds;
          print(`      … ${p.readSeconds.toFixed(0)}/${p.totalSeconds.toFixed(0)} s of recording read`);
        }
      },
    });
    print(
      `      ${ingest.stored} memories stored${ingest.fallback ? ` (${ingest.fallback} by the perception fallback)` : ''}, ${ingest.failed} failed, in ${ingest.wallSeconds.toFixed(1)} s`,
    );
    if (labelled > 0) print(`      (every perception memory opens with "${PERCEPTION_LABEL}" — left out above and below)`);
    const people = await Promise.all(
      (await assembly.store.identities()).map(
        async (p) => `${p.id} (in ${(await assembly.store.appearances(p.id, { limit: 1000 })).length} memories)`,
      ),
    );
    if (people.length > 0) print(`      people recognised by face: ${people.join(', ')}`);

    print(`[3/4] asking ${DEMO_QUESTIONS.length} questions at the end of the recording, from memory alone`);
    const answerer = assembly.answerer();
    for (const question of DEMO_QUESTIONS) {
      const { answer } = await askAsTask({ focus, answerer, store: assembly.store, logger }, question, { askedAt: script.end });
      print('');
      print(renderAnswer(withoutLabel(answer), [], answerer.timeZone));
    }

    print('');
    print('[4/4] writing the timeline page');
    const { memories, questions } = await loadTimeline(assembly.store, { robotId: config.robot_id });
    writeFileSync(
      timeline,
      renderTimeline({ title: "taskmem demo: a robot's tour", memories, questions, timeZone: config.answerer.time_zone }),
    );
    return { recording, storePath, paramsFile, timeline, memorizedBy, config };
  } finally {
    await assembly.close();
  }
}

/** A perception memory's text without the label every one of them opens with, for printing. */
function unlabelled(text: string): string {
  return text.startsWith(PERCEPTION_LABEL) ? text.slice(PERCEPTION_LABEL.length).trim() : text;
}

function withoutLabel(answer: Answer): Answer {
  return { ...answer, evidence: answer.evidence.map((e) => ({ ...e, text: unlabelled(e.text) })) };
}
