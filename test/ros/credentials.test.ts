import assert from 'node:assert/strict';
import { startHarness, type Harness } from './nodeUnderTest.js';

describe('MemoryNode logs (through the rclnodejs double)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('never logs the password of an endpoint URL: the start-up lines and a parameter change show it redacted', async () => {
    h = await startHarness();
    const withPassword = h.server.url.replace('http://', 'http://robot:hunter2@');
    await h.restart(['-p', `memorizer.url:=${withPassword}`]);
    assert.deepEqual(h.graph.paramSet('/taskmem', 'answerer.url', withPassword), { successful: true, reason: '' });
    const lines = h.graph.log.map((l) => l.text);
    assert.ok(
      lines.some((l) => l.includes('memorizer: policy') && l.includes('robot:***@127.0.0.1')),
      `the start-up lines name the endpoint: ${lines.join('\n')}`,
    );
    assert.ok(lines.some((l) => /parameters changed: answerer\.url="http:\/\/robot:\*\*\*@/.test(l)));
    assert.deepEqual(
      lines.filter((l) => l.includes('hunter2')),
      [],
    );
  });
});
