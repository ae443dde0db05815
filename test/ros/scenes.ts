/** Four household scenes the node tests' stand-in policy describes, one per memory, in turn. */
export const SCENES = [
  'A red ball rolls under the sofa.',
  'Someone waters the plants by the window.',
  'The kettle boils in the kitchen.',
  'A cat sleeps on the blue chair.',
];

/** Replies that never repeat a fact, so the quality gate keeps every memory. */
export function changingReplies(): () => string {
  let n = 0;
  return () => `<think>ok</think>{"description": "${SCENES[n++ % SCENES.length]}"}`;
}
