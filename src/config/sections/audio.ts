import { z } from 'zod';
import { choice, double, string } from '../param.js';

export const audioParams = z.object({
  topic: string({ default: 'audio/audio_stamped', readOnly: true, description: 'Audio topic.' }),
  type: choice({
    default: 'audio_data_stamped',
    choices: ['audio_data_stamped', 'audio_stamped', 'none'],
    readOnly: true,
    description:
      'audio_data_stamped: ros-drivers audio_common_msgs/AudioDataStamped (+ AudioInfo); audio_stamped: mgonzs13 audio_common_msgs/AudioStamped; none: no audio.',
  }),
  info_topic: string({
    default: 'audio/audio_info',
    readOnly: true,
    description: 'AudioInfo topic (format, channels, rate) for audio_data_stamped.',
  }),
  vad_threshold: double({
    default: 0.5,
    min: 0.01,
    max: 0.99,
    description: 'Silero VAD speech probability above which a 32 ms window counts as speech.',
  }),
  min_speech_s: double({ default: 0.25, min: 0, max: 10, unit: 's', description: 'Shortest speech span kept.' }),
  vad_hangover_s: double({
    default: 0.3,
    min: 0,
    max: 5,
    unit: 's',
    description: 'Silence that must last this long before a speech span ends, so pauses between words do not split it.',
  }),
  speech_padding_s: double({
    default: 0.2,
    min: 0,
    max: 2,
    unit: 's',
    description: 'Audio added before and after a speech span when it is sent for transcription, so first and last words are not clipped.',
  }),
  transcriber_url: string({
    default: '',
    unit: 'URL',
    description: 'OpenAI-compatible base URL serving /audio/transcriptions (e.g. vLLM with Whisper); empty: no transcripts.',
  }),
  transcriber_model: string({ default: 'openai/whisper-large-v3-turbo', description: 'Model name for transcription requests.' }),
  transcriber_timeout_s: double({ default: 30, min: 1, max: 600, unit: 's', description: 'Timeout of one transcription request.' }),
  transcriber_api_key_env: string({
    default: 'TASKMEM_API_KEY',
    description: 'Environment variable holding the API key of the transcription endpoint (unset: no key).',
  }),
  transcriber_language: string({ default: '', description: 'ISO-639-1 language hint for transcription; empty: auto.' }),
});

export type AudioParams = z.infer<typeof audioParams>;
