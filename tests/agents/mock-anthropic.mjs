// A scripted stand-in for the Anthropic Messages API, enough for the real
// Claude Code CLI to run a whole agent loop offline on 127.0.0.1.
//
//   const mock = await startMock([
//     { tool: 'Write', input: { file_path: '/abs/a.txt', content: 'hi\n' } },
//     (body) => ({ text: `saw: ${lastToolResult(body)?.text}` }),
//   ]);
//   // env ANTHROPIC_BASE_URL = mock.url, then run claude; afterwards:
//   mock.requests  // every request: { method, path, kind, body, turn }
//   await mock.close();
//
// A turn is one model answer:
//   { text: '…' }                         a text block, stop_reason end_turn
//   { tool: 'Bash', input: { … } }        a tool_use block (id `toolu_mock_N`),
//                                         stop_reason tool_use; `text` may go with it
//   { tools: [{ tool, input }, …] }       several tool_use blocks in one answer
//   (body, mock) => turn                  decided when the request arrives, so a
//                                         test can react to the previous tool_result
// When the script runs out, the mock answers `{ text: EXHAUSTED_TEXT }` and
// counts it in `mock.exhausted`.
//
// Main-loop requests versus side requests. Claude Code also asks the model
// for small things of its own (a quota probe, a topic or title, a summary, the
// command-prefix check of the Bash tool, web-fetch digests): these must not
// eat a scripted turn. A request to POST /v1/messages is a scripted, *main*
// request only when all of these hold:
//   1. its `tools` list is non-empty (Claude Code's agent loop always offers
//      its tools; its side requests offer none), and
//   2. `max_tokens` is above 1 (the quota probe asks for exactly 1), and
//   3. it is not marked side by `isSide(body)` when a test passes one.
// Everything else is a *side* request, answered with SIDE_TEXT, or with a
// JSON document fitting the schema when it asks for structured output (the
// interactive TUI's session-title request has no tools and
// `output_config.format.type: "json_schema"`), streamed or plain as asked,
// without touching the script. Seen with Claude Code 2.1.197: `claude -p`
// makes no side request; the TUI makes one (the title) per session.
// `mock.requests[i].kind` records which it was ('main', 'side', or for other
// endpoints 'count_tokens', 'other'), and `turn` the script index a main
// request consumed.

import { SIDE_TEXT, sendJson, startEvents, startMockServer, writeEvent } from './mock-http.mjs';

export { EXHAUSTED_TEXT, SIDE_TEXT } from './mock-http.mjs';
const MODEL_FALLBACK = 'claude-sonnet-4-5';

/** True when a /v1/messages body is a main agent-loop request (see above). */
export function isMainRequest(body) {
  if (!body || typeof body !== 'object') return false;
  if (!Array.isArray(body.tools) || body.tools.length === 0) return false;
  if (typeof body.max_tokens === 'number' && body.max_tokens <= 1) return false;
  return true;
}

/** The text of a content value (a string or a list of blocks). */
function contentText(content) {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((b) => (b && b.type === 'text' ? b.text : b && typeof b.content !== 'undefined' ? contentText(b.content) : ''))
    .join('');
}

/**
 * Every tool_result block in a request's messages, in order:
 * `{ tool_use_id, is_error, text, block }`.
 */
export function toolResults(body) {
  const out = [];
  for (const m of body?.messages || []) {
    if (m.role !== 'user' || !Array.isArray(m.content)) continue;
    for (const b of m.content) {
      if (b && b.type === 'tool_result') {
        out.push({ tool_use_id: b.tool_use_id, is_error: b.is_error === true, text: contentText(b.content), block: b });
      }
    }
  }
  return out;
}

/** The tool_result blocks of the last user message only (what answers the previous turn). */
export function lastToolResults(body) {
  const msgs = body?.messages || [];
  for (let i = msgs.length - 1; i >= 0; i--) {
    if (msgs[i].role === 'user') return toolResults({ messages: [msgs[i]] });
  }
  return [];
}

/** The last tool_result of the last user message, or undefined. */
export function lastToolResult(body) {
  const r = lastToolResults(body);
  return r[r.length - 1];
}

/** A minimal value that fits a JSON schema (for side requests that ask for JSON). */
function sampleOf(schema) {
  switch (schema && schema.type) {
    case 'object': {
      const out = {};
      for (const key of schema.required || []) out[key] = sampleOf(schema.properties?.[key]);
      return out;
    }
    case 'array':
      return [];
    case 'number':
    case 'integer':
      return 0;
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return SIDE_TEXT;
  }
}

/**
 * The answer to a side request: SIDE_TEXT, or when the request asks for
 * structured output (`output_config.format` of type json_schema, as the
 * TUI's session-title request does) a JSON document that fits the schema.
 */
export function sideText(body) {
  const format = body?.output_config?.format;
  if (format && format.type === 'json_schema' && format.schema) return JSON.stringify(sampleOf(format.schema));
  return SIDE_TEXT;
}

/** Normalises a turn into content blocks and a stop reason. */
function blocksOf(turn, nextToolId) {
  if (!turn || typeof turn !== 'object') throw new Error(`a mock turn must be an object, got ${JSON.stringify(turn)}`);
  const blocks = [];
  if (typeof turn.text === 'string' && turn.text.length > 0) blocks.push({ type: 'text', text: turn.text });
  const tools = turn.tools ? [...turn.tools] : [];
  if (turn.tool) tools.push({ tool: turn.tool, input: turn.input, id: turn.id });
  for (const t of tools) {
    blocks.push({ type: 'tool_use', id: t.id || nextToolId(), name: t.tool, input: t.input || {} });
  }
  if (blocks.length === 0) blocks.push({ type: 'text', text: '' });
  const stop = tools.length > 0 ? 'tool_use' : 'end_turn';
  return { blocks, stop };
}

function sendMessage(res, { blocks, stop, model, stream, msgId }) {
  const usage = { input_tokens: 100, output_tokens: 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  if (!stream) {
    sendJson(
      res,
      { id: msgId, type: 'message', role: 'assistant', model, content: blocks, stop_reason: stop, stop_sequence: null, usage },
      { 'request-id': `req_${msgId}` },
    );
    return;
  }
  startEvents(res, { 'request-id': `req_${msgId}` });
  writeEvent(res, 'message_start', {
    type: 'message_start',
    message: {
      id: msgId,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...usage, output_tokens: 1 },
    },
  });
  blocks.forEach((b, index) => {
    if (b.type === 'text') {
      writeEvent(res, 'content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      if (index === 0) writeEvent(res, 'ping', { type: 'ping' });
      writeEvent(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: b.text } });
    } else {
      writeEvent(res, 'content_block_start', {
        type: 'content_block_start',
        index,
        content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} },
      });
      // Split the JSON in two deltas, as the real API streams it in pieces.
      const json = JSON.stringify(b.input);
      const cut = Math.floor(json.length / 2);
      for (const part of [json.slice(0, cut), json.slice(cut)]) {
        writeEvent(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: part } });
      }
    }
    writeEvent(res, 'content_block_stop', { type: 'content_block_stop', index });
  });
  writeEvent(res, 'message_delta', {
    type: 'message_delta',
    delta: { stop_reason: stop, stop_sequence: null },
    usage: { output_tokens: 20 },
  });
  writeEvent(res, 'message_stop', { type: 'message_stop' });
  res.end();
}

/**
 * Starts the mock on 127.0.0.1 (a free port).
 * `options.isSide(body)`: extra side-request detection; `options.log`: a
 * function for unknown paths (default: console.error).
 */
export async function startMock(script = [], options = {}) {
  let toolSeq = 0;
  let msgSeq = 0;
  const nextToolId = () => `toolu_mock_${String(++toolSeq).padStart(4, '0')}`;
  return startMockServer({
    name: 'mock-anthropic',
    script,
    log: options.log,
    notFound: (message) => ({ type: 'error', error: { type: 'not_found_error', message } }),
    failed: (message) => ({ type: 'error', error: { type: 'api_error', message } }),
    describeLast: { label: 'last message', of: (body) => (body?.messages || []).at(-1)?.content, max: 300 },
    route({ req, res, entry, mainTurn }) {
      const { path, body } = entry;
      if (req.method === 'POST' && path === '/v1/messages/count_tokens') {
        entry.kind = 'count_tokens';
        sendJson(res, { input_tokens: 100 });
        return true;
      }
      if (req.method === 'POST' && path === '/v1/messages') {
        const model = (body && body.model) || MODEL_FALLBACK;
        const stream = !!(body && body.stream);
        const msgId = `msg_mock_${String(++msgSeq).padStart(4, '0')}`;
        const side = !isMainRequest(body) || (options.isSide ? !!options.isSide(body) : false);
        if (side) {
          entry.kind = 'side';
          sendMessage(res, { blocks: [{ type: 'text', text: sideText(body) }], stop: 'end_turn', model, stream, msgId });
          return true;
        }
        const { blocks, stop } = blocksOf(mainTurn(entry), nextToolId);
        entry.answer = { blocks, stop };
        sendMessage(res, { blocks, stop, model, stream, msgId });
        return true;
      }
      if ((req.method === 'HEAD' || req.method === 'GET') && (path === '/' || path === '')) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(req.method === 'HEAD' ? undefined : 'mock anthropic\n');
        return true;
      }
      if (req.method === 'GET' && path === '/v1/models') {
        sendJson(res, { data: [{ type: 'model', id: MODEL_FALLBACK, display_name: 'Mock' }], has_more: false });
        return true;
      }
      return false;
    },
  });
}
