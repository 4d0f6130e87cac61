// Airlock holding the REAL Gemini CLI (`gemini --acp`, from node_modules)
// as a chat session, offline against the mock Gemini API (mock-gemini.mjs):
// gated writes wait in `airlock changes` and reach the project only when
// approved, staged writes wait in the stage, and a shell command's
// permission card rejected with `airlock reject` keeps the command from
// running.
//
//   node --test --test-concurrency=1 tests/agents/acp-gemini.test.mjs

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { agentText, NPM_BIN, requireBins, startAcpAirlock } from './acp.mjs';
import { readOrNull } from './helpers.mjs';
import { lastFunctionResponse, startGeminiMock } from './mock-gemini.mjs';

const TEST = { timeout: 180_000 };
const GEMINI = join(NPM_BIN, 'gemini');

/** The model's closing turn: repeats the functionResponse it was given. */
const echoResult = (body) => {
  const r = lastFunctionResponse(body);
  return { text: `Result of ${r?.name}: ${JSON.stringify(r?.response)}` };
};

/**
 * The mock with `script`, and an engine whose sessions get Gemini CLI's
 * offline environment (the mock's URL, a dummy key, no relaunch, a temp HOME).
 */
async function start(t, name, script) {
  requireBins('gemini');
  const mock = await startGeminiMock(script);
  t.after(() => mock.close());
  const ctx = await startAcpAirlock(name, {
    agentEnv: () => ({
      GOOGLE_GEMINI_BASE_URL: mock.url,
      GEMINI_API_KEY: 'dummy',
      GEMINI_CLI_NO_RELAUNCH: '1',
    }),
    describeMock: () => mock.describe(),
  });
  t.after(() => ctx.close());
  return { mock, ctx };
}

describe('Airlock holds the real Gemini CLI over ACP', () => {
  test('gated: a write waits in `airlock changes`, lands when approved; a rejected one never lands and the agent hears it failed', TEST, async (t) => {
    let ctx;
    const script = [
      () => ({ text: 'Writing notes.', call: 'write_file', args: { file_path: join(ctx.project, 'notes.txt'), content: 'Approved notes.\n' } }),
      echoResult,
      () => ({ call: 'write_file', args: { file_path: join(ctx.project, 'other.txt'), content: 'Rejected text.\n' } }),
      echoResult,
    ];
    const started = await start(t, 'gemini-gated', script);
    ctx = started.ctx;
    const { mock } = started;
    const session = await ctx.runAcp([GEMINI, '--acp'], { mode: 'gated' });
    assert.equal(session.mode, 'gated');
    assert.equal(session.cwd, ctx.project, 'a gated session works in the project itself');
    assert.match(session.chat.agent || '', /Gemini CLI/, JSON.stringify(session.chat));

    // 1. Approved: held first, then in the project.
    const first = ctx.prompt(session.id, 'Write notes.txt');
    const held = await ctx.waitChange('notes.txt', 'the gated write_file as a pending change');
    assert.equal(held.kind, 'created');
    assert.equal(held.session, session.id);
    assert.equal(existsSync(join(ctx.project, 'notes.txt')), false, 'a gated write reached the project before approval');
    assert.equal(mock.mainRequests.length, 1, `Gemini went on before the write was decided:\n${mock.describe()}`);
    await ctx.ok(['approve', held.id]);
    const r1 = await first.done;
    assert.equal(r1.code, 0, `airlock prompt failed: ${r1.stderr}${ctx.describe()}`);
    assert.equal(r1.json.stopReason, 'endTurn');
    assert.equal(await readOrNull(join(ctx.project, 'notes.txt')), 'Approved notes.\n');
    await ctx.waitNoChange('notes.txt', 'the approved change leaves the queue');
    const ok = lastFunctionResponse(mock.mainRequests[1]?.body);
    assert.equal(ok?.name, 'write_file', mock.describe());
    assert.ok(!('error' in (ok.response || {})), `the approved write came back as an error: ${JSON.stringify(ok.response)}`);
    const tool = r1.json.entries.find((e) => e.type === 'tool')?.call;
    assert.ok(tool, `no tool entry in the turn: ${JSON.stringify(r1.json.entries)}`);
    assert.equal(tool.kind, 'edit');
    assert.equal(tool.status, 'completed');
    assert.equal(tool.permission?.outcome, 'allowed', JSON.stringify(tool));
    assert.equal(tool.locations?.[0]?.path, 'notes.txt');
    assert.match(agentText(r1.json.entries), /Result of write_file/);

    // 2. Rejected with a reason: nothing in the project, the tool failed.
    const second = ctx.prompt(session.id, 'Write other.txt');
    const other = await ctx.waitChange('other.txt', 'the second gated write');
    await ctx.ok(['reject', other.id, '--reason', 'use the logger instead']);
    const r2 = await second.done;
    assert.equal(r2.code, 0, `airlock prompt failed: ${r2.stderr}${ctx.describe()}`);
    assert.equal(existsSync(join(ctx.project, 'other.txt')), false, 'a rejected gated write reached the project');
    await ctx.waitNoChange('other.txt', 'the rejected change leaves the queue');
    const failed = lastFunctionResponse(mock.mainRequests[3]?.body);
    assert.equal(failed?.name, 'write_file', mock.describe());
    assert.ok(failed.response?.error, `the rejected write did not come back to the model as an error: ${JSON.stringify(failed.response)}`);
    const tool2 = r2.json.entries.find((e) => e.type === 'tool')?.call;
    assert.equal(tool2?.status, 'failed', JSON.stringify(r2.json.entries));
    assert.equal(tool2.permission?.outcome, 'allowed', 'the permission was given; the write itself was refused');
    // Airlock answers the write with an error whose message carries the
    // reason; Gemini CLI 0.61.0 hands the model String(error) of the JSON-RPC
    // error object instead of its message.
    await t.test('the reason reaches the model', { todo: 'Gemini CLI 0.61.0 gives the model "Error writing to file: [object Object]"' }, () => {
      assert.match(JSON.stringify(failed.response), /use the logger instead/);
    });
  });

  test('staged: a write is held in the stage, not the project, and lands when approved', TEST, async (t) => {
    let stage = null;
    const script = [
      () => ({ call: 'write_file', args: { file_path: join(stage, 'src', 'staged.txt'), content: 'Written in the stage.\n' } }),
      echoResult,
    ];
    const { mock, ctx } = await start(t, 'gemini-staged', script);
    const session = await ctx.runAcp([GEMINI, '--acp'], { mode: 'staged' });
    stage = session.cwd;
    assert.ok(stage && stage !== ctx.project && !stage.startsWith(`${ctx.project}/`), `the session runs in a stage outside the project: ${stage}`);
    const r = await ctx.prompt(session.id, 'Write src/staged.txt').done;
    assert.equal(r.code, 0, `airlock prompt failed: ${r.stderr}${ctx.describe()}`);
    assert.equal(r.json.stopReason, 'endTurn');
    const change = await ctx.waitChange('src/staged.txt', 'the staged write as a pending change');
    assert.equal(change.kind, 'created');
    assert.equal(await readOrNull(join(stage, 'src', 'staged.txt')), 'Written in the stage.\n', 'the stage holds the write');
    assert.equal(existsSync(join(ctx.project, 'src', 'staged.txt')), false, 'a staged write reached the project before approval');
    const tool = r.json.entries.find((e) => e.type === 'tool')?.call;
    assert.equal(tool?.permission?.outcome, 'allowed', JSON.stringify(r.json.entries));
    assert.equal(tool.permission.action ?? null, null, 'a staged edit needs no card: the stage holds it');
    assert.ok(!('error' in (lastFunctionResponse(mock.mainRequests[1]?.body)?.response || {})), mock.describe());
    await ctx.ok(['approve', change.id]);
    assert.equal(await readOrNull(join(ctx.project, 'src', 'staged.txt')), 'Written in the stage.\n');
    await ctx.waitNoChange('src/staged.txt', 'the approved change leaves the queue');
  });

  test('a shell command waits as an action; rejected, it does not run; approved, it does', TEST, async (t) => {
    let stage = null;
    const script = [
      () => ({ call: 'run_shell_command', args: { command: `echo rejected > ${join(stage, 'rejected.txt')}`, description: 'Write a marker' } }),
      echoResult,
      () => ({ call: 'run_shell_command', args: { command: `echo approved > ${join(stage, 'approved.txt')}`, description: 'Write a marker' } }),
      echoResult,
    ];
    const { mock, ctx } = await start(t, 'gemini-shell', script);
    const session = await ctx.runAcp([GEMINI, '--acp'], { mode: 'staged' });
    stage = session.cwd;

    const first = ctx.prompt(session.id, 'Run the marker command', { asJson: false });
    const action = await ctx.waitAction('the shell command as an action', (a) => a.session === session.id && a.tool !== 'Exec');
    assert.match(action.summary, /rejected\.txt/, JSON.stringify(action));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(existsSync(join(stage, 'rejected.txt')), false, 'the command ran before anyone decided');
    const card = (await ctx.tools(session.id)).find((c) => c.permission?.action === action.id);
    assert.ok(card, `no tool card carries action ${action.id}${ctx.describe()}`);
    assert.equal(card.kind, 'execute', JSON.stringify(card));
    assert.equal(card.permission.outcome ?? null, null, 'the card is still open');
    await ctx.ok(['reject', action.id, '--reason', 'no shell commands today']);
    const r1 = await first.done;
    assert.match(r1.stderr, new RegExp(`airlock approve ${action.id}`), `prompt names the waiting action on stderr: ${r1.stderr}`);
    const after = (await ctx.tools(session.id)).find((c) => c.id === card.id);
    assert.equal(after?.permission?.outcome, 'rejected', JSON.stringify(after));
    assert.equal(after.permission.reason, 'no shell commands today', JSON.stringify(after));
    const refused = lastFunctionResponse(mock.mainRequests[1]?.body);
    assert.equal(refused?.name, 'run_shell_command', mock.describe());
    assert.match(String(refused.response?.error), /cancel/i, `the model was not told the command was refused: ${JSON.stringify(refused.response)}`);
    // Gemini CLI sends no tool_call_update for a tool whose permission was
    // rejected: Airlock closes the card as failed when the turn ends.
    assert.equal(after.status, 'failed', JSON.stringify(after));
    assert.equal(existsSync(join(stage, 'rejected.txt')), false, 'a rejected command ran');
    assert.equal(existsSync(join(ctx.project, 'rejected.txt')), false, 'a rejected command ran');
    assert.equal((await ctx.status()).actions.length, 0, 'the card went with the decision');

    // The same path approved: the marker appears, so the check above can fail.
    const second = ctx.prompt(session.id, 'Run the other marker command');
    const action2 = await ctx.waitAction('the second command as an action', (a) => a.session === session.id && a.tool !== 'Exec' && a.id !== action.id);
    await ctx.ok(['approve', action2.id]);
    const r2 = await second.done;
    assert.equal(r2.code, 0, `airlock prompt failed: ${r2.stderr}${ctx.describe()}`);
    assert.equal(await readOrNull(join(stage, 'approved.txt')), 'approved\n', `the approved command did not run${ctx.describe()}`);
    const ran = lastFunctionResponse(mock.mainRequests.at(-1)?.body);
    assert.equal(ran?.name, 'run_shell_command', mock.describe());
  });
});
