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

import { createServer } from 'node:http';

export const SIDE_TEXT = 'OK';
export const EXHAUSTED_TEXT = 'Done (the mock script has no more turns).';

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
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(responseOf(parts, model)));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
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
  const requests = [];
  const unknown = [];
  const log = options.log || ((msg) => console.error(msg));
  let turn = 0;
  let callSeq = 0;
  const mock = {
    url: '',
    port: 0,
    requests,
    unknown,
    exhausted: 0,
    /** Main-loop requests only, in order. */
    get mainRequests() {
      return requests.filter((r) => r.kind === 'main');
    },
    get turnsUsed() {
      return Math.min(turn, script.length);
    },
    /** A short description of every request, for failure messages. */
    describe() {
      return requests
        .map((r, i) => {
          const base = `#${i} ${r.method} ${r.path} ${r.kind}${r.turn !== null ? ` turn ${r.turn}` : ''}`;
          if (r.kind !== 'main') return base;
          const last = (r.body?.contents || []).at(-1);
          return `${base} last content: ${JSON.stringify(last).slice(0, 400)}`;
        })
        .join('\n');
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
  const nextCallId = () => `call_mock_${String(++callSeq).padStart(4, '0')}`;

  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url || '/').split('?')[0];
      const raw = Buffer.concat(chunks).toString('utf8');
      let body = null;
      if (raw) {
        try {
          body = JSON.parse(raw);
        } catch {
          body = raw;
        }
      }
      const entry = { method: req.method, path, kind: 'other', body, turn: null };
      requests.push(entry);
      try {
        const m = /^\/v1(?:beta|alpha|)\/models\/([^/:]+):(\w+)$/.exec(path);
        if (req.method === 'POST' && m) {
          const [, model, method] = m;
          entry.model = model;
          if (method === 'countTokens') {
            entry.kind = 'count_tokens';
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ totalTokens: 100 }));
            return;
          }
          if (method === 'streamGenerateContent' || method === 'generateContent') {
            const stream = method === 'streamGenerateContent';
            if (!stream || !offersTools(body)) {
              entry.kind = 'side';
              const config = body?.generationConfig || {};
              const schema = config.responseJsonSchema || config.responseSchema;
              const text = schema ? JSON.stringify(sampleOf(schema)) : SIDE_TEXT;
              send(res, [{ text }], { stream, model });
              return;
            }
            entry.kind = 'main';
            let t;
            if (turn < script.length) {
              entry.turn = turn;
              t = script[turn++];
              if (typeof t === 'function') t = t(body, mock);
            } else {
              mock.exhausted++;
              t = { text: EXHAUSTED_TEXT };
            }
            const parts = partsOf(t, nextCallId);
            entry.answer = parts;
            send(res, parts, { stream, model });
            return;
          }
        }
        if (req.method === 'GET' && /^\/v1(beta)?\/models\/?$/.test(path)) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ models: [] }));
          return;
        }
        unknown.push({ method: req.method, path });
        log(`# mock-gemini: unknown ${req.method} ${path}`);
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 404, message: `mock: no ${req.method} ${path}`, status: 'NOT_FOUND' } }));
      } catch (err) {
        log(`# mock-gemini: error answering ${req.method} ${path}: ${err.stack || err}`);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 500, message: String(err), status: 'INTERNAL' } }));
      }
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const origClose = mock.close;
  mock.close = () => {
    const p = origClose();
    server.closeAllConnections?.();
    return p;
  };
  mock.port = server.address().port;
  mock.url = `http://127.0.0.1:${mock.port}`;
  return mock;
}
