import { formatLocal } from '../answer/LocalTime.js';
import type { Memory } from '../memory/Memory.js';
import type { RosNanos } from '../time.js';

/** A question the robot was asked, with what it answered and which memories that rested on. */
export interface TimelineQuestion {
  id: string;
  text: string;
  askedAt: RosNanos;
  group: string;
  /** null when the question was logged but no answer was recorded. */
  answer: { text: string; abstained: boolean; confidence: number; evidence: string[]; answeredBy: string } | null;
}

export interface TimelineInput {
  title: string;
  memories: Memory[];
  questions: TimelineQuestion[];
  /** IANA zone the times are shown in. */
  timeZone: string;
}

/**
 * The timeline page: one self-contained HTML file (thumbnails inlined, no script, no network) showing the
 * memories along time with their keyframe thumbnails, source, task group, focus depth and quality scores; the
 * questions with the evidence they used (links to the memories); and the robot's path when poses were recorded.
 */
export function renderTimeline({ title, memories, questions, timeZone }: TimelineInput): string {
  const sorted = [...memories].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const cited = new Set(questions.flatMap((q) => q.answer?.evidence ?? []));
  const time = (ns: RosNanos) => formatLocal(Number(ns / 1_000_000n), timeZone);
  const sources = countBy(sorted, (m) => m.source);
  const span = sorted.length > 0 ? `${time(sorted[0]!.start)} – ${time(sorted.at(-1)!.end)}` : 'no memories';
  const robots = [...new Set(sorted.map((m) => m.robotId))].join(', ') || '—';

  const memoryRows = sorted.map((m) => {
    const badges = [
      badge(m.source, m.source === 'perception' ? 'perception' : 'policy'),
      m.taskGroup ? badge(`task: ${m.taskGroup}`, 'group') : '',
      badge(`focus depth ${m.focusDepth}`, 'depth'),
      badge(`format ${m.quality.format ? 'ok' : 'failed'}`, m.quality.format ? 'ok' : 'bad'),
      m.quality.hygiene === null ? '' : badge(`hygiene ${m.quality.hygiene ? 'ok' : 'failed'}`, m.quality.hygiene ? 'ok' : 'bad'),
      m.quality.preference === null ? '' : badge(`preference ${m.quality.preference.toFixed(2)}`, 'pref'),
      badge(`${m.quality.descriptionTokens} tokens`, 'plain'),
    ].join('');
    const thumbs = m.thumbnails
      .map((t, i) => `<img alt="keyframe ${i + 1}" src="data:image/jpeg;base64,${Buffer.from(t).toString('base64')}">`)
      .join('');
    const place = m.pose ? `<div class="place">at (${m.pose.x.toFixed(2)}, ${m.pose.y.toFixed(2)}) in ${esc(m.pose.frameId)}</div>` : '';
    const heard = m.transcript.length > 0 ? `<div class="heard">heard: ${m.transcript.map((l) => `“${esc(l)}”`).join(' ')}</div>` : '';
    return `<li class="memory${cited.has(m.id) ? ' cited' : ''}" id="${anchor(m.id)}">
  <div class="when">${esc(time(m.start))} → ${esc(time(m.end).slice(11))}<span class="id">${esc(m.id)}</span></div>
  <div class="thumbs">${thumbs}</div>
  <p class="text">${esc(m.text)}</p>${heard}${place}
  <div class="badges">${badges}<span class="model">${esc(m.model)} · ${esc(m.template)}</span></div>
</li>`;
  });

  const questionRows = [...questions]
    .sort((a, b) => (a.askedAt < b.askedAt ? -1 : a.askedAt > b.askedAt ? 1 : 0))
    .map((q) => {
      const answer = q.answer
        ? `<p class="answer${q.answer.abstained ? ' abstained' : ''}">${q.answer.abstained ? 'abstained' : esc(q.answer.text)} <span class="conf">confidence ${q.answer.confidence.toFixed(2)}${q.answer.answeredBy ? ` · ${esc(q.answer.answeredBy)}` : ' · evidence only (no answering model)'}</span></p>
  <div class="evidence">${q.answer.evidence.map((id) => `<a href="#${anchor(id)}">${esc(id)}</a>`).join(' ') || 'no evidence'}</div>`
        : '<p class="answer none">no answer recorded</p>';
      return `<li class="question"><div class="when">${esc(time(q.askedAt))} ${badge(`task: ${q.group}`, 'group')}</div>
  <p class="q">${esc(q.text)}</p>${answer}</li>`;
    });

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
header{background:#1d2430;color:#fff;padding:16px 24px}header h1{margin:0 0 4px;font-size:20px}
main{display:grid;grid-template-columns:minmax(0,2fr) minmax(280px,1fr);gap:24px;padding:24px}
h2{font-size:16px;margin:0 0 12px}ol{list-style:none;margin:0;padding:0}
li{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:10px 12px;margin-bottom:10px}
li.cited{border-left:4px solid #3b6fb6}li:target{outline:2px solid #e08a3c}
.when{font-size:12px;color:#5a6472}.id{float:right;font-family:monospace;font-size:11px}
.thumbs img{height:54px;margin:6px 4px 0 0;border-radius:3px}
.text,.q{margin:6px 0;font-size:15px}.heard,.place{font-size:12px;color:#39424e}
.badge{display:inline-block;font-size:11px;padding:1px 6px;border-radius:9px;margin:4px 4px 0 0;background:#eef0f3}
.badge.perception{background:#fde9cf}.badge.policy{background:#dbe8fb}.badge.group{background:#e3f4e1}
.badge.bad{background:#fbdada}.badge.ok{background:#e6f4ea}.model{font-size:11px;color:#8a93a0;margin-left:6px}
.answer{margin:4px 0;font-weight:600}.answer.abstained{color:#a55}.conf{font-weight:400;font-size:12px;color:#5a6472}
.evidence a{font-family:monospace;font-size:11px;margin-right:6px}svg{background:#fff;border:1px solid #dde1e7;border-radius:6px}
</style></head>
<body>
<header><h1>${esc(title)}</h1><div>${esc(robots)} · ${esc(span)} · ${sorted.length} memories (${
    Object.entries(sources)
      .map(([s, n]) => `${n} ${esc(s)}`)
      .join(', ') || 'none'
  }) · ${questions.length} questions · times in ${esc(timeZone)}</div></header>
<main>
<section><h2>Memories</h2><ol class="memories">${memoryRows.join('\n')}</ol></section>
<aside>
<h2>Questions</h2><ol class="questions">${questionRows.join('\n') || '<li>No questions yet.</li>'}</ol>
${posePath(sorted)}
</aside>
</main>
</body></html>
`;
}

/** The robot's path through the memories that have a pose, as an inline SVG with a link per memory. */
function posePath(memories: Memory[]): string {
  const placed = memories.filter((m) => m.pose !== null);
  if (placed.length === 0) return '';
  const xs = placed.map((m) => m.pose!.x);
  const ys = placed.map((m) => m.pose!.y);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const size = 260;
  const pad = 16;
  const scale = (size - 2 * pad) / Math.max(maxX - minX, maxY - minY, 1e-6);
  const px = (x: number) => (pad + (x - minX) * scale).toFixed(1);
  const py = (y: number) => (size - pad - (y - minY) * scale).toFixed(1);
  const points = placed.map((m) => `${px(m.pose!.x)},${py(m.pose!.y)}`).join(' ');
  const dots = placed
    .map(
      (m) =>
        `<a href="#${anchor(m.id)}"><circle class="pose" cx="${px(m.pose!.x)}" cy="${py(m.pose!.y)}" r="4" fill="#3b6fb6"><title>${esc(m.text.slice(0, 80))}</title></circle></a>`,
    )
    .join('');
  return `<h2>Path</h2><svg class="path" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}"><polyline points="${points}" fill="none" stroke="#8aa9d6" stroke-width="2"/>${dots}</svg>`;
}

function badge(text: string, kind: string): string {
  return `<span class="badge ${kind}">${esc(text)}</span>`;
}

function anchor(id: string): string {
  return `m-${id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}
