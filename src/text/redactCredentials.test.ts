import { strict as assert } from 'node:assert';
import { redactCredentials } from './redactCredentials.js';

describe('redactCredentials', () => {
  it('hides the password of every URL in a text and keeps the user name', () => {
    assert.equal(
      redactCredentials('policy at http://robot:s3cret@gpu-box:8000/v1, store postgresql://taskmem:p%40ss@db/memory'),
      'policy at http://robot:***@gpu-box:8000/v1, store postgresql://taskmem:***@db/memory',
    );
    // A password written with a raw @ or / (not percent-encoded) is still hidden whole.
    assert.equal(redactCredentials('postgres://u:p@ss@host/db'), 'postgres://u:***@host/db');
    assert.equal(redactCredentials('postgres://postgres@localhost/db'), 'postgres://postgres@localhost/db', 'a user name alone stays');
  });

  it('hides the values of secret query parameters and leaves other text alone', () => {
    assert.equal(
      redactCredentials('postgresql://db/memory?sslmode=require&password=hunter2 and https://proxy/v1?api_key=abc&x=1'),
      'postgresql://db/memory?sslmode=require&password=*** and https://proxy/v1?api_key=***&x=1',
    );
    const plain = 'segment at 14:00:50 failed: HTTP 503 from http://gpu-box:8000/v1 (retry 2 of 3)';
    assert.equal(redactCredentials(plain), plain);
  });
});
