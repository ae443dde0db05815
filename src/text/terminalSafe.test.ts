import { strict as assert } from 'node:assert';
import { terminalSafe } from './terminalSafe.js';

describe('terminalSafe', () => {
  it('writes escape sequences, C1 controls, carriage returns and bidirectional overrides as visible escapes', () => {
    const hostile = 'keys\u001b]0;pwned\u0007 on\u001b[2J the\r table\u009b31m \u202eeman\u0008!';
    const safe = terminalSafe(hostile);
    // eslint-disable-next-line no-control-regex -- looking for control characters is the point
    assert.doesNotMatch(safe, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
    assert.equal(safe, 'keys\\u001b]0;pwned\\u0007 on\\u001b[2J the\\u000d table\\u009b31m \\u202eeman\\u0008!');
    // The escapes are JSON escapes: inside a JSON string they read back as the original text.
    assert.equal(JSON.parse(`"${terminalSafe(JSON.stringify(hostile).slice(1, -1))}"`), hostile);
  });

  it('keeps tabs, newlines and ordinary Unicode, and escapes newlines too for text printed on one line', () => {
    assert.equal(terminalSafe('a\tb\nc — ü 東京 🙂'), 'a\tb\nc — ü 東京 🙂');
    assert.equal(terminalSafe('first\nstored r1/0/1 forged line', { newlines: false }), 'first\\u000astored r1/0/1 forged line');
  });
});
