// A scripted stand-in for the OpenAI Responses API (POST /v1/responses as
// server-sent events), enough for the real Codex CLI (`codex app-server`,
// under the codex-acp adapter) to run its agent loop offline on 127.0.0.1.
// Codex reaches it through a custom model provider in $CODEX_HOME/config.toml
// (see codexConfig below).
//
//   const mock = await startOpenAiMock([
//     { call: 'exec_command', args: { cmd: 'echo hi > a.txt' } },
//     (body) => ({ text: `saw: ${lastCallOutput(body)?.output}` }),
//   ]);
//
// A turn is one model answer:
//   { text: '…' }                          an assistant message
//   { call: 'exec_command', args: { … } }  a function_call item; `text` may go with it
//   { patch: '*** Begin Patch …' }         an apply_patch call (a custom tool call
//                                          or a function call, as the request offers it)
//   (body, mock) => turn                   decided when the request arrives
// When the script runs out the mock answers `{ text: EXHAUSTED_TEXT }`.
//
// Main requests are those that offer tools; anything else (a title or a
// summary) is a side request answered SIDE_TEXT without using the script.

import { SIDE_TEXT, sendJson, startEvents, startMockServer, writeEvent } from './mock-http.mjs';

export { EXHAUSTED_TEXT, SIDE_TEXT } from './mock-http.mjs';

/**
 * The config.toml that points Codex at the mock (API key from MOCK_API_KEY).
 * `model`: a slug Codex knows, so that it offers its usual tools (apply_patch
 * among them) and prints no warning about unknown model metadata.
 */
export function codexConfig(url, { model = 'gpt-5.5', extra = '' } = {}) {
  return `model = "${model}"
model_provider = "mock"
${extra}
[model_providers.mock]
name = "mock"
base_url = "${url}/v1"
env_key = "MOCK_API_KEY"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0
`;
}

/** Every function_call_output / custom_tool_call_output item of a request's input. */
export function callOutputs(body) {
  return (Array.isArray(body?.input) ? body.input : []).filter(
    (i) => i && (i.type === 'function_call_output' || i.type === 'custom_tool_call_output'),
  );
}

/** The last call output of a request's input, or undefined. */
export function lastCallOutput(body) {
  return callOutputs(body).at(-1);
}

/** A Responses API event: its type is both the event's name and a field of its data. */
function sse(res, type, data) {
  writeEvent(res, type, { type, ...data });
}

/**
 * Starts the mock on 127.0.0.1 (a free port). `options.log`: a function for
 * unknown paths (default: console.error).
 */
export async function startOpenAiMock(script = [], options = {}) {
  let seq = 0;

  /** The output items of a turn, in the shape the request's tools ask for. */
  function itemsOf(turn, body) {
    const items = [];
    const id = () => String(++seq).padStart(4, '0');
    if (typeof turn.text === 'string' && turn.text) {
      items.push({
        type: 'message',
        id: `msg_${id()}`,
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: turn.text, annotations: [] }],
      });
    }
    if (turn.call) {
      const n = id();
      items.push({
        type: 'function_call',
        id: `fc_${n}`,
        call_id: `call_${n}`,
        name: turn.call,
        arguments: JSON.stringify(turn.args || {}),
        status: 'completed',
      });
    }
    if (turn.patch) {
      const n = id();
      const tool = (body?.tools || []).find((t) => t?.name === 'apply_patch');
      if (tool?.type === 'custom') {
        items.push({ type: 'custom_tool_call', id: `ctc_${n}`, call_id: `call_${n}`, name: 'apply_patch', input: turn.patch, status: 'completed' });
      } else {
        items.push({
          type: 'function_call',
          id: `fc_${n}`,
          call_id: `call_${n}`,
          name: 'apply_patch',
          arguments: JSON.stringify({ input: turn.patch }),
          status: 'completed',
        });
      }
    }
    if (items.length === 0) items.push({ type: 'message', id: `msg_${id()}`, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: '', annotations: [] }] });
    return items;
  }

  function stream(res, items, model) {
    const respId = `resp_${String(++seq).padStart(4, '0')}`;
    startEvents(res);
    const base = { id: respId, object: 'response', created_at: Math.floor(Date.now() / 1000), model, output: [] };
    sse(res, 'response.created', { response: { ...base, status: 'in_progress' } });
    items.forEach((item, output_index) => {
      sse(res, 'response.output_item.added', { output_index, item: { ...item, status: 'in_progress' } });
      if (item.type === 'message') {
        sse(res, 'response.output_text.delta', { item_id: item.id, output_index, content_index: 0, delta: item.content[0].text });
      }
      sse(res, 'response.output_item.done', { output_index, item });
    });
    sse(res, 'response.completed', {
      response: {
        ...base,
        status: 'completed',
        output: items,
        usage: {
          input_tokens: 100,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: 20,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: 120,
        },
      },
    });
    res.end();
  }

  return startMockServer({
    name: 'mock-openai',
    script,
    log: options.log,
    notFound: (message) => ({ error: { message, type: 'not_found' } }),
    failed: (message) => ({ error: { message, type: 'server_error' } }),
    describeLast: { label: 'last input', of: (body) => (Array.isArray(body?.input) ? body.input : []).at(-1), max: 400 },
    route({ req, res, entry, mainTurn }) {
      const { path, body } = entry;
      if (req.method === 'POST' && path === '/v1/responses') {
        const model = body?.model || 'mock-model';
        if (!Array.isArray(body?.tools) || body.tools.length === 0) {
          entry.kind = 'side';
          stream(res, itemsOf({ text: SIDE_TEXT }, body), model);
          return true;
        }
        const items = itemsOf(mainTurn(entry), body);
        entry.answer = items;
        stream(res, items, model);
        return true;
      }
      if (req.method === 'GET' && path === '/v1/models') {
        sendJson(res, { object: 'list', data: [{ id: 'mock-model', object: 'model', owned_by: 'mock' }] });
        return true;
      }
      return false;
    },
  });
}
