// The mock model API on its own: streaming and plain answers, side requests,
// function turns, the other endpoints.
//
//   node --test tests/agents/mock-anthropic.test.mjs

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { EXHAUSTED_TEXT, SIDE_TEXT, lastToolResult, startMock } from './mock-anthropic.mjs';

const TOOLS = [{ name: 'Write', description: 'w', input_schema: { type: 'object' } }];

async function post(mock, path, body) {
  const res = await fetch(`${mock.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'dummy' },
    body: JSON.stringify(body),
  });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

/** Parses server-sent events into [{ event, data }]. */
function events(text) {
  return text
    .split('\n\n')
    .filter((b) => b.trim())
    .map((b) => {
      const event = /^event: (.*)$/m.exec(b)[1];
      const data = JSON.parse(/^data: (.*)$/m.exec(b)[1]);
      assert.equal(data.type, event);
      return { event, data };
    });
}

test('a tool turn streams as tool_use with input_json_delta and stop_reason tool_use', async (t) => {
  const mock = await startMock([{ text: 'Writing.', tool: 'Write', input: { file_path: '/tmp/x', content: 'a "q"\n' } }]);
  t.after(() => mock.close());
  const r = await post(mock, '/v1/messages?beta=true', { model: 'm', max_tokens: 1000, stream: true, tools: TOOLS, messages: [] });
  assert.equal(r.status, 200);
  assert.match(r.type, /text\/event-stream/);
  const ev = events(r.text);
  assert.deepEqual(
    ev.map((e) => e.event).filter((e) => e !== 'ping'),
    [
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ],
  );
  const start = ev.filter((e) => e.event === 'content_block_start')[1].data.content_block;
  assert.equal(start.type, 'tool_use');
  assert.equal(start.name, 'Write');
  assert.match(start.id, /^toolu_mock_\d+$/);
  const json = ev
    .filter((e) => e.event === 'content_block_delta' && e.data.delta.type === 'input_json_delta')
    .map((e) => e.data.delta.partial_json)
    .join('');
  assert.deepEqual(JSON.parse(json), { file_path: '/tmp/x', content: 'a "q"\n' });
  assert.equal(ev.find((e) => e.event === 'message_delta').data.delta.stop_reason, 'tool_use');
  assert.equal(mock.requests[0].kind, 'main');
  assert.equal(mock.requests[0].path, '/v1/messages');
});

test('plain JSON when stream is false; function turns see the tool_result; side requests keep the script', async (t) => {
  const mock = await startMock([
    { tool: 'Write', input: {} },
    (body) => ({ text: `got ${lastToolResult(body).text}` }),
  ]);
  t.after(() => mock.close());
  const first = JSON.parse((await post(mock, '/v1/messages', { model: 'm', max_tokens: 1000, tools: TOOLS, messages: [] })).text);
  assert.equal(first.stop_reason, 'tool_use');
  const id = first.content[0].id;

  // A title request (no tools, asks for JSON) and a quota probe (max_tokens 1) are side requests.
  const title = JSON.parse(
    (
      await post(mock, '/v1/messages', {
        model: 'm',
        max_tokens: 64000,
        tools: [],
        messages: [{ role: 'user', content: 'title?' }],
        output_config: { format: { type: 'json_schema', schema: { type: 'object', properties: { title: { type: 'string' } }, required: ['title'] } } },
      })
    ).text,
  );
  assert.deepEqual(JSON.parse(title.content[0].text), { title: SIDE_TEXT });
  const quota = JSON.parse((await post(mock, '/v1/messages', { model: 'm', max_tokens: 1, tools: TOOLS, messages: [] })).text);
  assert.equal(quota.content[0].text, SIDE_TEXT);

  const second = JSON.parse(
    (
      await post(mock, '/v1/messages', {
        model: 'm',
        max_tokens: 1000,
        tools: TOOLS,
        messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: 'denied: because', is_error: true }] }],
      })
    ).text,
  );
  assert.equal(second.content[0].text, 'got denied: because');
  assert.equal(second.stop_reason, 'end_turn');
  const third = JSON.parse((await post(mock, '/v1/messages', { model: 'm', max_tokens: 1000, tools: TOOLS, messages: [] })).text);
  assert.equal(third.content[0].text, EXHAUSTED_TEXT);
  assert.deepEqual(
    mock.requests.map((r) => r.kind),
    ['main', 'side', 'side', 'main', 'main'],
  );
  assert.equal(mock.exhausted, 1);
});

test('HEAD /, count_tokens and unknown paths', async (t) => {
  const logged = [];
  const mock = await startMock([], { log: (m) => logged.push(m) });
  t.after(() => mock.close());
  assert.equal((await fetch(mock.url, { method: 'HEAD' })).status, 200);
  const count = await post(mock, '/v1/messages/count_tokens', { model: 'm', messages: [] });
  assert.equal(JSON.parse(count.text).input_tokens > 0, true);
  const other = await post(mock, '/v1/elsewhere', {});
  assert.equal(other.status, 404);
  assert.deepEqual(mock.unknown, [{ method: 'POST', path: '/v1/elsewhere' }]);
  assert.equal(logged.length, 1);
});
