import { allowed, listParams } from './schema.js';

export const PARAMS_START = '<!-- params:start -->';
export const PARAMS_END = '<!-- params:end -->';

/** The Markdown table of all parameters, as it stands in the README between the params markers. */
export function renderParamsTable(): string {
  const rows = listParams().map(({ name, meta, default: value }) => {
    const type = meta.unit === undefined ? meta.rosType : `${meta.rosType} (${meta.unit})`;
    const description = `${meta.description}${meta.readOnly ? ' Read-only: a change needs a restart.' : ''}`;
    return `| \`${name}\` | ${type} | \`${JSON.stringify(value)}\` | ${allowed(meta)} | ${cell(description)} |`;
  });
  return ['| Parameter | Type | Default | Allowed | Description |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** `document` with the text between the params markers replaced by `table`; everything else is kept. */
export function withParamsTable(document: string, table: string): string {
  const start = document.indexOf(PARAMS_START);
  const end = document.indexOf(PARAMS_END);
  if (start < 0 || end < start) throw new Error(`withParamsTable: the document lacks ${PARAMS_START} … ${PARAMS_END}`);
  return `${document.slice(0, start + PARAMS_START.length)}\n${table}\n${document.slice(end)}`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
