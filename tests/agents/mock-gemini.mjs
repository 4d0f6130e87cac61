// A scripted stand-in for the Gemini API (generativelanguage v1beta), enough
// for the real Gemini CLI (`gemini --acp`) to run its agent loop offline on
// 127.0.0.1.
//
//   const mock = await startGeminiMock([
//     { call: 'write_file', args: { file_path: '/abs/a.txt', content: 'hi\n' } },
//     (body) => ({ text: `saw: ${JSON.stringify(lastFunctionResponse(body)?.response)}` }),
//   ]);
//   // env GOOGLE_GEMINI_BASE_URL = mock.url, GEMINI_API_KEY = dummy; afterwards:
//   mock.requests  // every request: { method, path, model, method_, kind, body, turn }
//   await mock.close();
//
// A turn is one model answer:
//   { text: '…' }                         a text part, finishReason STOP
//   { call: 'write_file', args: { … } }   a functionCall part; `text` may go with it
//   { calls: [{ call, args }, …] }        several functionCall parts in one answer
//   (body, mock) => turn                  decided when the request arrives, so a
//                                         test can react to the previous functionResponse
// When the script runs out, the mock answers `{ text: EXHAUSTED_TEXT }` and
// counts it in `mock.exhausted`.
//
// Main-loop requests versus side requests. Gemini CLI asks the model for
// things of its own: the next-speaker check and the model router's
// classification (`:generateContent` with `generationConfig.responseJsonSchema`),
// and token counts (`:countTokens`). These must not eat a scripted turn. A
// request is a scripted, *main* request only when it is
// `:streamGenerateContent` and offers tools (the agent loop always offers
// its function declarations). A side request that asks for JSON gets a
// document fitting its schema (the first value of each enum: the next
// speaker is "user", so the CLI does not go on by itself); any other side
// request gets SIDE_TEXT. `mock.requests[i].kind` records which it was
// ('main', 'side', 'count_tokens', 'other') and `turn` the script index a
// main request consumed.

import { SIDE_TEXT, sendJson, startEvents, startMockServer } from './mock-http.mjs';

export { EXHAUSTED_TEXT, SIDE_TEXT } from './mock-http.mjs';

/** True when a request body offers at least one function declaration. */
function offersTools(body) {
  return (body?.tools || []).some((t) => Array.isArray(t?.functionDeclarations) && t.functionDeclarations.length > 0);
}

/**
 * Every functionResponse part in a request's contents, in order:
 * `{ name, id, response, part }`.
 */
export function functionResponses(body) {
  const out = [];
  for (const c of body?.contents || []) {
    for (const p of c?.parts || []) {
      if (p && p.functionResponse) {
        const fr = p.functionResponse;
        out.push({ name: fr.name, id: fr.id, response: fr.response, part: p });
      }
    }
  }
  return out;
}

/** The functionResponse parts of the last `user` content only (what answers the previous turn). */
export function lastFunctionResponses(body) {
  const contents = body?.contents || [];
  for (let i = contents.length - 1; i >= 0; i--) {
    if (contents[i].role === 'user') return functionResponses({ contents: [contents[i]] });
  }
  return [];
}

/** The last functionResponse of the last user content, or undefined. */
export function lastFunctionResponse(body) {
  const r = lastFunctionResponses(body);
  return r[r.length - 1];
}

/** All the text of a request's `user` contents (prompts, functionResponses as JSON). */
export function userText(body) {
  const parts = [];
  for (const c of body?.contents || []) {
    if (c.role !== 'user') continue;
    for (const p of c.parts || []) {
      if (typeof p.text === 'string') parts.push(p.text);
      else if (p.functionResponse) parts.push(JSON.stringify(p.functionResponse.response));
    }
  }
  return parts.join('\n');
}

/** A minimal value that fits a JSON schema (lower- or upper-case types, as Gemini takes both). */
export function sampleOf(schema) {
  if (!schema || typeof schema !== 'object') return SIDE_TEXT;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  switch (String(schema.type || '').toLowerCase()) {
    case 'object': {
      const out = {};
      for (const key of schema.required || Object.keys(schema.properties || {})) out[key] = sampleOf(schema.properties?.[key]);
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

/** Normalises a turn into response parts. */
function partsOf(turn, nextCallId) {
  if (!turn || typeof turn !== 'object') throw new Error(`a mock turn must be an object, got ${JSON.stringify(turn)}`);
  const parts = [];
  if (typeof turn.text === 'string' && turn.text.length > 0) parts.push({ text: turn.text });
  const calls = turn.calls ? [...turn.calls] : [];
  if (turn.call) calls.push({ call: turn.call, args: turn.args, id: turn.id });
  for (const c of calls) parts.push({ functionCall: { id: c.id || nextCallId(), name: c.call, args: c.args || {} } });
  if (parts.length === 0) parts.push({ text: '' });
  return parts;
}

const USAGE = { promptTokenCount: 100, candidatesTokenCount: 20, totalTokenCount: 120 };

function responseOf(parts, modelVersion) {
  return {
    candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP', index: 0 }],
    usageMetadata: USAGE,
    modelVersion,
  };
}

/** Answers with `parts`: one JSON document, or server-sent events (text first, then each call). */
function send(res, parts, { stream, model }) {
  if (!stream) {
    sendJson(res, responseOf(parts, model));
    return;
  }
  startEvents(res);
  // The real API streams a reply in several chunks; only the last carries
  // the finish reason. Send each part as its own chunk.
  parts.forEach((part, i) => {
    const chunk = {
      candidates: [{ content: { role: 'model', parts: [part] }, index: 0 }],
      usageMetadata: USAGE,
      modelVersion: model,
    };
    if (i === parts.length - 1) chunk.candidates[0].finishReason = 'STOP';
    res.write(`data: ${JSON.stringify(chunk)}\r\n\r\n`);
  });
  res.end();
}

/**
 * Starts the mock on 127.0.0.1 (a free port). `options.log`: a function for
 * unknown paths (default: console.error).
 */
export async function startGeminiMock(script = [], options = {}) {
  let callSeq = 0;
  const nextCallId = () => `call_mock_${String(++callSeq).padStart(4, '0')}`;
  return startMockServer({
    name: 'mock-gemini',
    script,
    log: options.log,
    notFound: (message) => ({ error: { code: 404, message, status: 'NOT_FOUND' } }),
    failed: (message) => ({ error: { code: 500, message, status: 'INTERNAL' } }),
    describeLast: { label: 'last content', of: (body) => (body?.contents || []).at(-1), max: 400 },
    route({ req, res, entry, mainTurn }) {
      const { path, body } = entry;
      const m = /^\/v1(?:beta|alpha|)\/models\/([^/:]+):(\w+)$/.exec(path);
      if (req.method === 'POST' && m) {
        const [, model, method] = m;
        entry.model = model;
        if (method === 'countTokens') {
          entry.kind = 'count_tokens';
          sendJson(res, { totalTokens: 100 });
          return true;
        }
        if (method === 'streamGenerateContent' || method === 'generateContent') {
          const stream = method === 'streamGenerateContent';
          if (!stream || !offersTools(body)) {
            entry.kind = 'side';
            const config = body?.generationConfig || {};
            const schema = config.responseJsonSchema || config.responseSchema;
            const text = schema ? JSON.stringify(sampleOf(schema)) : SIDE_TEXT;
            send(res, [{ text }], { stream, model });
            return true;
          }
          const parts = partsOf(mainTurn(entry), nextCallId);
          entry.answer = parts;
          send(res, parts, { stream, model });
          return true;
        }
      }
      if (req.method === 'GET' && /^\/v1(beta)?\/models\/?$/.test(path)) {
        sendJson(res, { models: [] });
        return true;
      }
      return false;
    },
  });
}
