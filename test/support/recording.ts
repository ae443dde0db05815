export * from '../../src/demo/ScriptedRecording.js';
