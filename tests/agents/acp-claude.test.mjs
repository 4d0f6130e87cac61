// Airlock holding the REAL Claude adapter (`claude-agent-acp`, from
// node_modules, with the Claude Agent SDK's own Claude Code binary) as a
// chat session, offline against the mock Anthropic API (mock-anthropic.mjs):
// in staged mode a file Claude writes is held in its stage and lands on
// approval, and a Bash command's permission card rejected with `airlock
// reject` keeps the command from running.
//
//   node --test --test-concurrency=1 tests/agents/acp-claude.test.mjs
//
// The adapter writes files itself (no fs/write_text_file), so it runs staged
// only. Its environment is Claude Code's offline one (helpers.mjs) plus
// IS_SANDBOX=1: as root the SDK refuses to start without it.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { agentText, NPM_BIN, requireBins, startAcpAirlock } from './acp.mjs';
import { claudeEnv, describeRequests, readOrNull, writeClaudeHome } from './helpers.mjs';
import { lastToolResult, startMock } from './mock-anthropic.mjs';

const TEST = { timeout: 180_000 };
const ADAPTER = join(NPM_BIN, 'claude-agent-acp');

/** The model's closing turn: repeats the tool_result it was given. */
const echoResult = (body) => {
  const r = lastToolResult(body);
  return { text: `Result (${r?.is_error ? 'error' : 'ok'}): ${r?.text}` };
};

/**
 * After each turn the SDK asks the model to predict the user's next prompt
 * (with the agent's tools offered): not a scripted turn.
 */
function isSuggestion(body) {
  const last = (body?.messages || []).at(-1);
  const text = typeof last?.content === 'string' ? last.content : (last?.content || []).map((b) => b?.text || '').join('');
  return text.startsWith('[SUGGESTION MODE');
}

/**
 * The mock with `script`, and an engine whose sessions get the adapter's
 * offline environment and a temp HOME. `permissionMode`: the user's
 * `permissions.defaultMode` in ~/.claude/settings.json, or none.
 */
async function start(t, name, script, { permissionMode = 'default' } = {}) {
  requireBins('claude-agent-acp');
  const mock = await startMock(script, { isSide: isSuggestion });
  t.after(() => mock.close());
  const ctx = await startAcpAirlock(name, {
    agentEnv: async (home) => {
      await writeClaudeHome(home, []);
      if (permissionMode) {
        await mkdir(join(home, '.claude'), { recursive: true });
        await writeFile(join(home, '.claude', 'settings.json'), JSON.stringify({ permissions: { defaultMode: permissionMode } }));
      }
      return { ...claudeEnv({ home, mockUrl: mock.url }), PATH: `${NPM_BIN}:${process.env.PATH}`, IS_SANDBOX: '1' };
    },
    describeMock: () => describeRequests(mock),
  });
  t.after(() => ctx.close());
  return { mock, ctx };
}

describe('Airlock holds the real Claude adapter (claude-agent-acp) over ACP', () => {
  test('staged: a file Claude writes is held in its stage and lands when approved', TEST, async (t) => {
    let stage = null;
    const content = 'Written by Claude in the stage.\n';
    const script = [
      () => ({ text: 'Writing it.', tool: 'Write', input: { file_path: join(stage, 'src', 'staged.txt'), content } }),
      echoResult,
    ];
    const { mock, ctx } = await start(t, 'claude-staged', script);
    const session = await ctx.runAcp([ADAPTER], { mode: 'staged' });
    stage = session.cwd;
    assert.ok(stage && stage !== ctx.project && !stage.startsWith(`${ctx.project}/`), `the session runs in a stage outside the project: ${stage}`);
    assert.match(session.chat.agent || '', /Claude/, JSON.stringify(session.chat).slice(0, 500));
    assert.equal(session.chat.mode, 'default', 'the user\'s defaultMode is the session\'s mode');

    const r = await ctx.prompt(session.id, 'Write src/staged.txt').done;
    assert.equal(r.code, 0, `airlock prompt failed: ${r.stderr}${ctx.describe()}`);
    assert.equal(r.json.stopReason, 'endTurn', JSON.stringify(r.json));
    const tool = r.json.entries.find((e) => e.type === 'tool')?.call;
    assert.ok(tool, `no tool entry: ${JSON.stringify(r.json.entries)}`);
    assert.equal(tool.kind, 'edit', JSON.stringify(tool));
    assert.equal(tool.status, 'completed', JSON.stringify(tool));
    assert.equal(tool.permission?.outcome, 'allowed', `Claude asked to write and the stage allowed it: ${JSON.stringify(tool)}`);
    assert.equal(tool.permission.action ?? null, null, 'a staged edit needs no card: the stage holds it');
    const result = lastToolResult(mock.mainRequests[1]?.body);
    assert.equal(result?.is_error, false, `the write came back to the model as an error: ${JSON.stringify(result)}\n${describeRequests(mock)}`);
    assert.match(agentText(r.json.entries), /Result \(ok\)/);

    assert.equal(await readOrNull(join(stage, 'src', 'staged.txt')), content, 'the stage holds what Claude wrote');
    assert.equal(existsSync(join(ctx.project, 'src', 'staged.txt')), false, 'a staged write reached the project before approval');
    const change = await ctx.waitChange('src/staged.txt', 'the staged write as a pending change');
    assert.equal(change.kind, 'created');
    assert.equal(change.session, session.id);
    await ctx.ok(['approve', change.id]);
    assert.equal(await readOrNull(join(ctx.project, 'src', 'staged.txt')), content, 'the approved file landed in the project');
    await ctx.waitNoChange('src/staged.txt', 'the approved change leaves the queue');
  });

  test('a Bash command waits as an action; rejected, it does not run; approved, it does', TEST, async (t) => {
    let stage = null;
    const bash = (marker) => () => ({
      tool: 'Bash',
      input: { command: `echo ${marker} > ${join(stage, `${marker}.txt`)}`, description: `Write the ${marker} marker` },
    });
    const script = [bash('rejected'), echoResult, bash('approved'), echoResult];
    const { mock, ctx } = await start(t, 'claude-bash', script);
    const session = await ctx.runAcp([ADAPTER], { mode: 'staged' });
    stage = session.cwd;

    const first = ctx.prompt(session.id, 'Run the marker command', { asJson: false });
    const action = await ctx.waitAction('the Bash command as an action', (a) => a.session === session.id && a.tool !== 'Exec');
    assert.equal(action.tool, 'Bash', JSON.stringify(action));
    assert.match(action.summary, /rejected\.txt/, JSON.stringify(action));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(existsSync(join(stage, 'rejected.txt')), false, 'the command ran before anyone decided');
    assert.equal(mock.mainRequests.length, 1, `Claude went on before the card was decided:\n${describeRequests(mock)}`);
    const card = (await ctx.tools(session.id)).find((c) => c.permission?.action === action.id);
    assert.ok(card, `no tool card carries action ${action.id}${ctx.describe()}`);
    assert.equal(card.kind, 'execute', JSON.stringify(card));
    assert.equal(card.permission.outcome ?? null, null, 'the card is still open');
    await ctx.ok(['reject', action.id, '--reason', 'no shell commands today']);
    const r1 = await first.done;
    assert.equal(r1.code, 0, `airlock prompt failed: ${r1.stderr}${ctx.describe()}`);
    assert.match(r1.stderr, new RegExp(`airlock approve ${action.id}`), `prompt names the waiting action on stderr: ${r1.stderr}`);
    assert.equal(existsSync(join(stage, 'rejected.txt')), false, 'a rejected command ran');
    assert.equal(existsSync(join(ctx.project, 'rejected.txt')), false, 'a rejected command ran');
    const after = (await ctx.tools(session.id)).find((c) => c.id === card.id);
    assert.equal(after?.permission?.outcome, 'rejected', JSON.stringify(after));
    assert.equal(after.status, 'failed', JSON.stringify(after));
    const refused = lastToolResult(mock.mainRequests[1]?.body);
    assert.equal(refused?.is_error, true, `the model was not told the command was refused: ${JSON.stringify(refused)}\n${describeRequests(mock)}`);
    assert.equal((await ctx.status()).actions.length, 0, 'the card went with the decision');

    // The same path approved: the marker appears, so the checks above can fail.
    const second = ctx.prompt(session.id, 'Run the other marker command');
    const action2 = await ctx.waitAction('the second command as an action', (a) => a.session === session.id && a.tool !== 'Exec' && a.id !== action.id);
    await ctx.ok(['approve', action2.id]);
    const r2 = await second.done;
    assert.equal(r2.code, 0, `airlock prompt failed: ${r2.stderr}${ctx.describe()}`);
    assert.equal(await readOrNull(join(stage, 'approved.txt')), 'approved\n', `the approved command did not run${ctx.describe()}`);
    const ran = lastToolResult(mock.mainRequests[3]?.body);
    assert.equal(ran?.is_error, false, `${JSON.stringify(ran)}\n${describeRequests(mock)}`);
  });

  test(
    // claude-agent-acp 0.101.0 starts in "auto" without a defaultMode and runs
    // commands unasked there: Airlock moves it to "default" before the first turn.
    'an adapter starting in its own mode "auto" is moved to "default", so a Bash command still comes to Airlock',
    TEST,
    async (t) => {
      let stage = null;
      const script = [
        () => ({ tool: 'Bash', input: { command: `echo unasked > ${join(stage, 'unasked.txt')}`, description: 'Write a marker' } }),
        echoResult,
      ];
      const { ctx } = await start(t, 'claude-auto', script, { permissionMode: null });
      const session = await ctx.runAcp([ADAPTER], { mode: 'staged' });
      stage = session.cwd;
      const turn = ctx.prompt(session.id, 'Run the marker command');
      const action = await ctx.waitActionOrEnd(session.id, turn);
      if (action) await ctx.ok(['reject', action.id]);
      await turn.done;
      assert.equal(session.chat.mode, 'default', 'Airlock left the self-approving mode');
      assert.ok(action, `no action card: the session's mode was ${session.chat.mode}`);
      assert.equal(existsSync(join(stage, 'unasked.txt')), false, 'the command ran without asking Airlock');
    },
  );
});
