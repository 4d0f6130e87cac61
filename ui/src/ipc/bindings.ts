// Generated from src-tauri/crates/protocol by `UPDATE_BINDINGS=1 cargo test -p airlock-protocol`.
// Do not edit by hand.

export type SessionId = string;
export type ChangeId = string;
export type HunkId = string;

export type SessionMode = "staged" | "gated";

export type SessionState = "running" | "exited";

export type TurnState = "running" | "waiting" | "idle" | "exited";

export type Orphan = { 
/**
 * The folder.
 */
path: string, 
/**
 * Its disk use in bytes.
 */
bytes: number, };

export type SessionInfo = { 
/**
 * The session's id.
 */
id: string, 
/**
 * A name for people: given, or the command's first word.
 */
name: string, 
/**
 * The command and its arguments.
 */
command: Array<string>, 
/**
 * Staged or gated.
 */
mode: SessionMode, 
/**
 * Running or exited.
 */
state: SessionState, 
/**
 * Running, waiting for you, idle, or exited.
 */
turn: TurnState, 
/**
 * The exit code once exited (`None` while running, or when killed by a signal).
 */
exitCode: number | null, 
/**
 * The folder the command runs in (the stage for a staged session).
 */
cwd: string, 
/**
 * Milliseconds since the Unix epoch.
 */
createdAt: number, 
/**
 * How many files have pending changes.
 */
pendingChanges: number, 
/**
 * How many hunks wait for a decision.
 */
pendingHunks: number, 
/**
 * What confines the session's processes; `None` once it has exited
 * (nothing runs) or for a session from before a restart.
 */
sandbox: SandboxInfo | null, 
/**
 * A terminal or a chat.
 */
kind: SessionKind, 
/**
 * What a chat's agent offers and reports; `None` for a terminal, or
 * until the agent has answered `initialize`.
 */
chat?: ChatInfo, 
/**
 * The agent's own id for its conversation, when its hooks said it
 * (Claude Code's `session_id`): a restart resumes that conversation
 * (`claude --resume ID`) instead of starting a new one.
 */
resume?: string, 
/**
 * The task it is an attempt of (see [`crate::TaskInfo`]).
 */
task?: string, };

export type SandboxState = "confined" | "optedOut" | "unavailable";

export type NetworkMode = "on" | "off" | "modelOnly";

export type SandboxChoice = "auto" | "require" | "off";

export type SandboxInfo = { 
/**
 * Confined, opted out, or not possible.
 */
state: SandboxState, 
/**
 * Where the session may write when confined: its root (the stage, or
 * the project for a gated session), its temp folder, the agent's state folders.
 */
writable: Array<string>, 
/**
 * Its network.
 */
network: NetworkMode, 
/**
 * One line for people: "sandboxed: writes to its stage only, network on"
 * or "not sandboxed: why".
 */
summary: string, 
/**
 * Every program the session starts waits at the exec gate.
 */
execGate: boolean, 
/**
 * Connections the `model-only` proxy refused.
 */
blocked: number, 
/**
 * The last host:port it refused.
 */
lastBlocked?: string, };

export type SessionKind = "terminal" | "chat";

export type ChatEntry = { "type": "user", 
/**
 * The prompt's text.
 */
text: string, } | { "type": "agent", 
/**
 * The text so far.
 */
text: string, } | { "type": "thought", 
/**
 * The text so far.
 */
text: string, } | { "type": "plan", 
/**
 * Its steps.
 */
items: Array<PlanItem>, } | { "type": "tool", 
/**
 * The call.
 */
call: ToolCall, } | { "type": "turnEnded", 
/**
 * Why it ended.
 */
stopReason: StopReason, } | { "type": "notice", 
/**
 * What happened.
 */
text: string, };

export type PlanItem = { 
/**
 * What the step does.
 */
content: string, 
/**
 * Where it stands.
 */
status: PlanStatus, };

export type PlanStatus = "pending" | "inProgress" | "completed";

export type StopReason = "endTurn" | "maxTokens" | "maxTurnRequests" | "refusal" | "cancelled" | "failed";

export type ToolCall = { 
/**
 * The agent's id for it.
 */
id: string, 
/**
 * What it does, for people.
 */
title: string, 
/**
 * Which kind of tool.
 */
kind: ToolKind, 
/**
 * Where it stands.
 */
status: ToolStatus, 
/**
 * The files it touches, relative to the session's folder where they lie in it.
 */
locations: Array<ToolLocation>, 
/**
 * What it produced or proposes.
 */
content: Array<ToolContent>, 
/**
 * The action card its permission request became, if it asked.
 */
permission?: Permission, };

export type ToolLocation = { 
/**
 * Its path (relative to the session's folder where it lies in it).
 */
path: string, 
/**
 * A line in it (1-based), if the agent named one.
 */
line?: number, };

export type ToolContent = { "type": "text", 
/**
 * The text.
 */
text: string, } | { "type": "diff", 
/**
 * The file.
 */
path: string, 
/**
 * Its text before (`None` for a new file).
 */
oldText?: string, 
/**
 * Its text after.
 */
newText: string, } | { "type": "terminal", 
/**
 * The agent's terminal id.
 */
terminalId: string, };

export type ToolKind = "read" | "edit" | "delete" | "move" | "search" | "execute" | "think" | "fetch" | "switchMode" | "other";

export type ToolStatus = "pending" | "inProgress" | "completed" | "failed";

export type Permission = { 
/**
 * The action card's id (`a-…`), decided like any action; `None` when
 * the policy or the stage answered at once.
 */
action?: string, 
/**
 * The answer, once there is one.
 */
outcome?: PermissionOutcome, 
/**
 * Why, for people.
 */
reason?: string, };

export type PermissionOutcome = "allowed" | "rejected" | "cancelled";

export type ChatInfo = { 
/**
 * The agent's name and version, as it gave them.
 */
agent?: string, 
/**
 * Whether a turn is running.
 */
busy: boolean, 
/**
 * The modes it offers.
 */
modes: Array<ChatChoice>, 
/**
 * The mode it is in.
 */
mode?: string, 
/**
 * Its slash commands.
 */
commands: Array<ChatChoice>, 
/**
 * Its settings (the model, a thought level, …), each a choice of values.
 */
config: Array<ChatConfig>, 
/**
 * Whether its prompts take embedded file contents.
 */
embeddedContext: boolean, 
/**
 * Its context window use, when it reports it.
 */
usage?: ChatUsage, };

export type ChatChoice = { 
/**
 * Its id (a mode) or name (a command).
 */
id: string, 
/**
 * What it does, for people.
 */
description?: string, };

export type ChatConfig = { 
/**
 * Its id, for [`crate::Request::SetChatConfig`].
 */
id: string, 
/**
 * For people.
 */
name: string, 
/**
 * What it is about: `model`, `mode`, `thought_level`, or the agent's own word.
 */
category?: string, 
/**
 * The value it has.
 */
current: string, 
/**
 * The values it can have (`id` the value, `description` its name).
 */
values: Array<ChatChoice>, };

export type ChatUsage = { 
/**
 * Tokens in use.
 */
used: number, 
/**
 * The window's size.
 */
size: number, };

export type KnownAgent = { 
/**
 * For people: `Claude`, `Codex`, `Gemini CLI`.
 */
name: string, 
/**
 * The command line that starts it as an ACP agent.
 */
command: Array<string>, 
/**
 * Whether its program is on the engine's `PATH`.
 */
installed: boolean, 
/**
 * How to install it.
 */
install: string, 
/**
 * Whether it can run gated (it sends its writes through Airlock).
 */
gated: boolean, };

export type ReviewComment = { 
/**
 * Its id, `m-` followed by hex.
 */
id: string, 
/**
 * The session whose change it is about.
 */
session: string, 
/**
 * The change's path.
 */
path: string, 
/**
 * The hunk it is about, if not the whole change.
 */
hunk?: string, 
/**
 * The new-side line it is about, if one.
 */
line?: number, 
/**
 * Where in the file, for the agent: the hunk's header and enclosing symbols.
 */
place: string, 
/**
 * What the user says.
 */
text: string, };

export type ReviewDelivery = "prompt" | "terminal" | "hook";

export type ChangeKind = "created" | "modified" | "deleted" | "renamed";

export type ChangeState = "pending" | "conflict" | "held" | "landed" | "approved" | "rejected";

export type HunkKind = "lines" | "mode" | "whole";

export type HunkHeader = { 
/**
 * Stable id.
 */
id: string, 
/**
 * First line in the project's file, 1-based (0 for an insertion at the top).
 */
oldStart: number, 
/**
 * How many lines of the project's file the hunk replaces.
 */
oldLines: number, 
/**
 * First line in the proposed file, 1-based.
 */
newStart: number, 
/**
 * How many lines the proposal puts there.
 */
newLines: number, 
/**
 * Lines, the mode, or the whole file.
 */
kind: HunkKind, 
/**
 * True when the hunk overlaps lines the user changed since the agent's edit.
 */
conflict: boolean, 
/**
 * The enclosing symbols (`impl Engine › fn land`), or the nearest header line.
 */
label: string | null, 
/**
 * Risks in this hunk.
 */
badges: Array<Badge>, };

export type HunkEnrichment = { 
/**
 * Which hunk.
 */
id: string, 
/**
 * The symbols it sits in.
 */
label: string | null, 
/**
 * Its risks.
 */
badges: Array<Badge>, };

export type LandingInfo = { 
/**
 * Its id.
 */
id: number, 
/**
 * The session whose hunks landed (`undo` for an undo).
 */
session: string, 
/**
 * Milliseconds since the Unix epoch.
 */
at: number, 
/**
 * The files written.
 */
paths: Array<string>, 
/**
 * The landing this one undid.
 */
undoes: number | null, 
/**
 * The landing that undid this one.
 */
undoneBy: number | null, };

export type Change = { 
/**
 * Stable id for this session and path.
 */
id: string, 
/**
 * What this change's two sides hold (a hash of both): a decision on the
 * whole change carries the version the user reviewed, so an agent that
 * rewrites the file after review never gets its new text landed.
 */
version: string, 
/**
 * The session whose stage holds the proposal.
 */
session: string, 
/**
 * Path relative to the project, `/`-separated (the new path of a rename).
 */
path: string, 
/**
 * The path the file had before a rename.
 */
oldPath: string | null, 
/**
 * Created, modified, deleted or renamed.
 */
kind: ChangeKind, 
/**
 * Pending, conflict or held.
 */
state: ChangeState, 
/**
 * Why the change is held, when it is.
 */
held: string | null, 
/**
 * True when either side is not text: approved or rejected whole.
 */
binary: boolean, 
/**
 * Size in bytes in the project, if the file is there.
 */
oldSize: number | null, 
/**
 * Size in bytes in the stage, if the file is there.
 */
newSize: number | null, 
/**
 * Unix mode bits in the project, if the file is there.
 */
oldMode: number | null, 
/**
 * Unix mode bits in the stage, if the file is there.
 */
newMode: number | null, 
/**
 * Lines added over all hunks.
 */
additions: number, 
/**
 * Lines removed over all hunks.
 */
deletions: number, 
/**
 * The hunks, in file order. A binary, created or deleted file has one hunk
 * that stands for the whole file.
 */
hunks: Array<HunkHeader>, 
/**
 * Why the change is shown the way it is (binary, too large), for people.
 */
notice: string | null, 
/**
 * Risks of the file as a whole (secrets, lockfile, CI config, generated…).
 */
badges: Array<Badge>, 
/**
 * How risky the change is overall, for sorting the queue (higher = riskier).
 */
risk: number, };

export type Badge = { 
/**
 * What kind of risk.
 */
kind: BadgeKind, 
/**
 * Why, for people.
 */
why: string, };

export type BadgeKind = "grantsPower" | "secrets" | "syntaxError" | "weakensTest" | "ciConfig" | "migration" | "deletesSymbol" | "changesSignature" | "renamesSymbol" | "lockfile" | "generated";

export type WordRange = { 
/**
 * First code unit.
 */
start: number, 
/**
 * One past the last.
 */
end: number, };

export type LineKind = "context" | "added" | "removed";

export type DiffLine = { 
/**
 * Context, added or removed.
 */
kind: LineKind, 
/**
 * Line number in the project's file.
 */
oldNo: number | null, 
/**
 * Line number in the proposed file.
 */
newNo: number | null, 
/**
 * The line without its terminator, as HTML: text escaped, tokens in
 * `<span class="sy-…">` (see [`Response::ThemeCss`]).
 */
html: string, 
/**
 * The line without its terminator, as plain text.
 */
text: string, 
/**
 * The changed words of a removed or added line paired with its
 * counterpart (empty when the whole line is new or gone).
 */
words: Array<WordRange>, };

export type HunkDiff = { 
/**
 * Where it is and its id.
 */
header: HunkHeader, 
/**
 * Context before, the change, context after.
 */
lines: Array<DiffLine>, };

export type ChangeDiff = { 
/**
 * The change.
 */
change: Change, 
/**
 * The index of the first hunk in `hunks` among all the change's line hunks.
 */
first: number, 
/**
 * How many line hunks the change has in all.
 */
total: number, 
/**
 * How many lines the project's file has (for "expand down").
 */
oldLineCount: number, 
/**
 * How many lines the proposed file has.
 */
newLineCount: number, 
/**
 * The hunks asked for, with lines (empty for a binary change).
 */
hunks: Array<HunkDiff>, };

export type DecisionOutcome = { 
/**
 * Paths written into the project (approve) or back into a stage (reject).
 */
paths: Array<string>, 
/**
 * Actions allowed or denied.
 */
actions: Array<string>, 
/**
 * Rules written by "Always allow".
 */
rules: Array<string>, 
/**
 * How many hunks were decided.
 */
hunks: number, 
/**
 * The landing's id in the journal, when something landed.
 */
landing: number | null, 
/**
 * For a reject that reverted a stage: what [`Request::UndoReject`] takes
 * to put the agent's text back.
 */
rejection: string | null, };

export type Risk = { 
/**
 * What kind of harm.
 */
kind: RiskKind, 
/**
 * Why, for people.
 */
why: string, };

export type RiskKind = "delete" | "forcePush" | "historyRewrite" | "sudo" | "pipeToShell" | "packageInstall" | "outsideProject" | "network" | "secrets" | "permissions" | "exec" | "unparsed" | "policy";

export type Action = { 
/**
 * Its id, `a-` followed by hex.
 */
id: string, 
/**
 * The session that asks.
 */
session: string, 
/**
 * The agent's tool (`Bash`, `WebFetch`, `Read`, …).
 */
tool: string, 
/**
 * What it wants, in a line: the command, the path, the URL.
 */
summary: string, 
/**
 * The folder it would run in.
 */
cwd: string, 
/**
 * Why it is risky.
 */
risks: Array<Risk>, 
/**
 * The rule "Always allow" would add (Claude Code's syntax).
 */
suggestedRule: string | null, 
/**
 * Milliseconds since the Unix epoch.
 */
at: number, };

export type StatusInfo = { 
/**
 * The engine's version and commit ([`VERSION`]).
 */
version: string, 
/**
 * The project's absolute path.
 */
project: string, 
/**
 * The engine's process id.
 */
pid: number, 
/**
 * The sessions, newest last.
 */
sessions: Array<SessionInfo>, 
/**
 * How many changes wait for a decision.
 */
pendingChanges: number, 
/**
 * How many hunks wait for a decision.
 */
pendingHunks: number, 
/**
 * Actions waiting for a decision, oldest first.
 */
actions: Array<Action>, };

export type StartSessionParams = { 
/**
 * The command and its arguments; the user's `$SHELL` when absent or empty.
 */
command?: Array<string>, 
/**
 * A name for people.
 */
name?: string, 
/**
 * Staged (the default) or gated.
 */
mode?: SessionMode, 
/**
 * Terminal width in columns.
 */
cols?: number, 
/**
 * Terminal height in rows.
 */
rows?: number, 
/**
 * Whether to sandbox it (default: where this system can).
 */
sandbox?: SandboxChoice, 
/**
 * Its network (default: on).
 */
network?: NetworkMode, 
/**
 * A terminal (the default) or a chat with an ACP agent (`command` is
 * then the agent's command line).
 */
kind?: SessionKind, 
/**
 * Whether every program the session starts waits at the exec gate
 * (default: on for agents, off for an interactive shell of the user's).
 */
execGate?: boolean, 
/**
 * The branch or commit a staged session's stage starts from (default:
 * HEAD, with the user's uncommitted changes). From another branch the
 * stage holds that branch's files as they are committed.
 */
base?: string, };

export type Request = { "op": "status" } | { "op": "startSession" } & StartSessionParams | { "op": "stopSession", 
/**
 * Which session.
 */
session: string, } | { "op": "restartSession", 
/**
 * Which session.
 */
session: string, } | { "op": "removeSession", 
/**
 * Which session.
 */
session: string, 
/**
 * Remove even with pending changes (they are discarded).
 */
force?: boolean, } | { "op": "listOrphans" } | { "op": "cleanOrphans" } | { "op": "writeInput", 
/**
 * Which session.
 */
session: string, 
/**
 * The bytes to type, as UTF-8 text.
 */
data: string, } | { "op": "resizeSession", 
/**
 * Which session.
 */
session: string, 
/**
 * Columns.
 */
cols: number, 
/**
 * Rows.
 */
rows: number, } | { "op": "readScrollback", 
/**
 * Which session.
 */
session: string, } | { "op": "listChanges", 
/**
 * Only this session's.
 */
session?: string, 
/**
 * Also what was decided since the engine started, newest last, with
 * the hunks decided and a state of `landed`, `approved` or `rejected`.
 */
decided?: boolean, } | { "op": "getDiff", 
/**
 * Which change.
 */
change: string, 
/**
 * The first line hunk to return (default 0).
 */
from?: number, 
/**
 * How many line hunks to return (default: all).
 */
count?: number, 
/**
 * Leave out hunks that only change white space.
 */
ignoreWhitespace?: boolean, } | { "op": "getLines", 
/**
 * Which change.
 */
change: string, 
/**
 * First line, 1-based, in the project's file.
 */
from: number, 
/**
 * How many.
 */
count: number, } | { "op": "prompt", 
/**
 * Which session.
 */
session: string, 
/**
 * What to say. `@path` words naming files in the session's folder
 * are sent along as resource links (or their contents, when the
 * agent takes embedded context).
 */
text: string, } | { "op": "cancel", 
/**
 * Which session.
 */
session: string, } | { "op": "transcript", 
/**
 * Which session.
 */
session: string, 
/**
 * The first entry wanted (default 0).
 */
from?: number, } | { "op": "listFiles", 
/**
 * Which session.
 */
session: string, } | { "op": "comment", 
/**
 * A change id or a hunk id.
 */
target: string, 
/**
 * The new-side line it is about.
 */
line?: number, 
/**
 * What to tell the agent.
 */
text: string, } | { "op": "deleteComment", 
/**
 * The comment's id.
 */
comment: string, } | { "op": "listComments", 
/**
 * Only this session's.
 */
session?: string, } | { "op": "sendReview", 
/**
 * Which session.
 */
session: string, } | { "op": "setChatConfig", 
/**
 * Which session.
 */
session: string, 
/**
 * The setting's id.
 */
config: string, 
/**
 * The value's id (`true` / `false` for a switch).
 */
value: string, } | { "op": "listAgents" } | { "op": "setChatMode", 
/**
 * Which session.
 */
session: string, 
/**
 * The mode's id.
 */
mode: string, } | { "op": "approve", 
/**
 * Hunk, change and action ids, in any mix.
 */
ids: Array<string>, 
/**
 * For actions: also write their suggested rule to the project's
 * `.airlock/policy.toml`, so the same action passes from now on.
 */
always?: boolean, 
/**
 * The version of each change (by id) the user reviewed: a whole
 * change whose version moved on since is refused with nothing
 * decided. Without it the version the queue last announced counts.
 */
versions?: { [key in string]: string }, } | { "op": "reject", 
/**
 * Hunk, change and action ids, in any mix.
 */
ids: Array<string>, 
/**
 * Why, for the agent and the journal.
 */
reason?: string, 
/**
 * The version of each change (by id) the user reviewed: a whole
 * change whose version moved on since is refused with nothing
 * decided. Without it the version the queue last announced counts.
 */
versions?: { [key in string]: string }, } | { "op": "approveEdited", 
/**
 * Which hunk.
 */
hunk: string, 
/**
 * The lines that replace the hunk, with their line endings.
 */
text: string, } | { "op": "approveLines", 
/**
 * Which hunk.
 */
hunk: string, 
/**
 * Removed lines to remove (the others stay).
 */
removed: Array<number>, 
/**
 * Added lines to add (the others are left out).
 */
added: Array<number>, } | { "op": "listLandings" } | { "op": "undo", 
/**
 * Which landing.
 */
landing?: number, } | { "op": "undoReject", 
/**
 * The `rejection` of the reject's outcome.
 */
rejection: string, } | { "op": "approveAll", 
/**
 * Only this session's.
 */
session?: string, 
/**
 * The changes the user reviewed, with their versions: only these are
 * approved (one that appeared since stays pending), and one that moved
 * on refuses the whole request.
 */
versions?: { [key in string]: string }, } | { "op": "rejectAll", 
/**
 * Only this session's.
 */
session?: string, 
/**
 * Why.
 */
reason?: string, 
/**
 * As for [`Request::ApproveAll`].
 */
versions?: { [key in string]: string }, } | { "op": "getThemeCss" } | { "op": "commitPlan", 
/**
 * Only this session's landings.
 */
session?: string, } | { "op": "commit" } & CommitParams | { "op": "openPullRequest" } & PullRequestParams | { "op": "getStageConfig" } | { "op": "setStageConfig" } & StageConfig | { "op": "startAttempts" } & StartAttemptsParams | { "op": "listTasks" } | { "op": "compare", 
/**
 * Which task.
 */
task: string, } | { "op": "keep" } & KeepParams | { "op": "finishTask", 
/**
 * Which task.
 */
task: string, };

export type Response = { "type": "done" } | { "type": "status" } & StatusInfo | { "type": "session" } & SessionInfo | { "type": "scrollback", 
/**
 * Base64 of the raw bytes.
 */
data: string, 
/**
 * Offset of the end of `data` in the session's whole output: drop the
 * part of any [`Event::Output`] that lies before it.
 */
end: number, } | { "type": "changes", 
/**
 * In path order per session.
 */
changes: Array<Change>, } | { "type": "diff" } & ChangeDiff | { "type": "lines", 
/**
 * The lines.
 */
lines: Array<DiffLine>, } | { "type": "decided" } & DecisionOutcome | { "type": "prompted", 
/**
 * The prompt's place in the transcript.
 */
index: number, } | { "type": "comments", 
/**
 * Oldest first.
 */
comments: Array<ReviewComment>, } | { "type": "reviewSent", 
/**
 * How it reached the agent.
 */
via: ReviewDelivery, 
/**
 * How many comments it carried.
 */
comments: number, 
/**
 * The message as sent.
 */
message: string, } | { "type": "agents", 
/**
 * In the order to offer them.
 */
agents: Array<KnownAgent>, } | { "type": "files", 
/**
 * Relative paths, sorted.
 */
paths: Array<string>, 
/**
 * More files than were listed.
 */
truncated: boolean, } | { "type": "transcript", 
/**
 * The first entry's place.
 */
from: number, 
/**
 * The entries.
 */
entries: Array<ChatEntry>, } | { "type": "orphans", 
/**
 * The stages.
 */
orphans: Array<Orphan>, } | { "type": "landings", 
/**
 * The landings.
 */
landings: Array<LandingInfo>, } | { "type": "themeCss", 
/**
 * For a light background.
 */
light: string, 
/**
 * For a dark background.
 */
dark: string, 
/**
 * Light and dark, each under its own `prefers-color-scheme` media query.
 */
auto: string, } | { "type": "commitPlan" } & CommitPlan | { "type": "committed" } & CommitOutcome | { "type": "pullRequest" } & PullRequestOutcome | { "type": "stageConfig" } & StageConfig | { "type": "task" } & TaskInfo | { "type": "tasks", 
/**
 * The tasks.
 */
tasks: Array<TaskInfo>, } | { "type": "comparison" } & Comparison;

export type ErrorCode = "badRequest" | "notFound" | "unauthorized" | "forbidden" | "spawnFailed" | "io" | "unavailable" | "internal" | "conflict" | "changed";

export type IpcError = { 
/**
 * What kind of failure.
 */
code: ErrorCode, 
/**
 * What happened and what to do next.
 */
message: string, };

export type Reply = { "ok": Response } | { "error": IpcError };

export type Event = { "type": "sessionStarted", 
/**
 * The session.
 */
session: SessionInfo, } | { "type": "sessionUpdated", 
/**
 * The session as it is now.
 */
session: SessionInfo, } | { "type": "actionRequested", 
/**
 * The action.
 */
action: Action, } | { "type": "actionResolved", 
/**
 * Which action.
 */
action: string, 
/**
 * How it ended.
 */
outcome: ActionOutcome, 
/**
 * The rule written by "Always allow".
 */
rule?: string, } | { "type": "attention", 
/**
 * Which session.
 */
session: string, 
/**
 * Why.
 */
kind: AttentionKind, 
/**
 * What to tell the user.
 */
message: string, } | { "type": "sessionRemoved", 
/**
 * Which session.
 */
session: string, } | { "type": "sessionExited", 
/**
 * Which session.
 */
session: string, 
/**
 * Its exit code, if it exited rather than being killed.
 */
exitCode: number | null, } | { "type": "changeProposed", 
/**
 * The change as it is now.
 */
change: Change, } | { "type": "changeEnriched", 
/**
 * Which change.
 */
change: string, 
/**
 * Its session.
 */
session: string, 
/**
 * Its line hunks' labels and badges.
 */
hunks: Array<HunkEnrichment>, 
/**
 * The whole file's badges.
 */
badges: Array<Badge>, 
/**
 * Its place in the review order (higher is riskier).
 */
risk: number, } | { "type": "changeRemoved", 
/**
 * Which change.
 */
change: string, 
/**
 * Its session.
 */
session: string, 
/**
 * Its path.
 */
path: string, } | { "type": "landed", 
/**
 * The journal's id for the landing.
 */
landing: number, 
/**
 * The session the hunks came from.
 */
session: string, 
/**
 * The paths written.
 */
paths: Array<string>, } | { "type": "chat", 
/**
 * Which session.
 */
session: string, 
/**
 * Its place in the transcript.
 */
index: number, 
/**
 * The entry.
 */
entry: ChatEntry, } | { "type": "comments", 
/**
 * Which session.
 */
session: string, 
/**
 * Its comments, oldest first.
 */
comments: Array<ReviewComment>, } | { "type": "chatText", 
/**
 * Which session.
 */
session: string, 
/**
 * The entry's place in the transcript.
 */
index: number, 
/**
 * The text added.
 */
text: string, } | { "type": "output", 
/**
 * Which session.
 */
session: string, 
/**
 * Base64 of the raw bytes (a frame may split a UTF-8 character).
 */
data: string, 
/**
 * Offset of the first byte of `data` in the session's whole output.
 */
offset: number, } | { "type": "taskChanged", 
/**
 * Which task.
 */
task: string, } | { "type": "problem", 
/**
 * The session concerned, if any.
 */
session?: string, 
/**
 * What happened and what to do.
 */
message: string, };

export type AttentionKind = "waiting" | "done" | "finished";

export type ActionOutcome = "allow" | "deny" | "gone";

export type GateRequest = { 
/**
 * The session the agent runs in (`$AIRLOCK_SESSION`).
 */
session: string, 
/**
 * Which agent protocol (`claude`).
 */
agent: string, 
/**
 * The tool (`Bash`, `Write`, `Edit`, …).
 */
tool: string, 
/**
 * The tool's input, as the agent sent it.
 */
input: unknown, 
/**
 * The agent's working folder.
 */
cwd: string, 
/**
 * The agent's own id for its conversation (Claude Code's `session_id`).
 */
agentSession?: string, };

export type GateReply = { 
/**
 * Allow, deny, or leave it to the agent's own prompt.
 */
decision: GateDecision, 
/**
 * Why, for the agent to read.
 */
reason: string | null, 
/**
 * Replaces the tool's input (a partially approved or edited write).
 */
updatedInput: unknown, };

export type GateDecision = "allow" | "deny" | "ask";

export type TurnReport = { 
/**
 * The session the agent runs in (`$AIRLOCK_SESSION`).
 */
session: string, 
/**
 * Which agent says so (`claude`, `codex`).
 */
agent: string, 
/**
 * The agent's own id for its conversation (Claude Code's `session_id`).
 */
agentSession?: string, };

export type CommitPlan = { 
/**
 * The branch HEAD is on; `None` when HEAD is detached (commit on a new branch then).
 */
branch: string | null, 
/**
 * A new branch's name to offer: `airlock/<session name>`, made a valid
 * ref name and not yet taken.
 */
suggestedBranch: string, 
/**
 * The drafted message: from the sessions' names, a chat's prompts and
 * the changed files.
 */
message: string, 
/**
 * Sessions whose landings wait to be committed, oldest first.
 */
sessions: Array<CommitSession>, 
/**
 * Every changed file under the project (against HEAD), the landed ones first.
 */
files: Array<CommitFile>, 
/**
 * The repository's remotes, the one to offer first at the head.
 */
remotes: Array<string>, };

export type CommitSession = { 
/**
 * The session's id (`undo` for undos of committed landings).
 */
id: string, 
/**
 * Its name (its id when the session was removed).
 */
name: string, 
/**
 * What the user asked a chat session, oldest first.
 */
prompts: Array<string>, 
/**
 * Its landings, oldest first.
 */
landings: number[], 
/**
 * The files they changed that still differ from HEAD, sorted.
 */
paths: Array<string>, };

export type CommitFile = { 
/**
 * Relative to the project.
 */
path: string, 
/**
 * How it differs from HEAD.
 */
status: FileStatus, 
/**
 * Airlock landed it (ticked by default); otherwise it is the user's own
 * uncommitted work (unticked by default).
 */
landed: boolean, };

export type FileStatus = "added" | "modified" | "deleted";

export type CommitParams = { 
/**
 * Only this session's landings (default: every session's).
 */
session?: string, 
/**
 * The message (default: the drafted one).
 */
message?: string, 
/**
 * Commit on this branch: created from HEAD (the work tree and index
 * carried along) unless HEAD is on it already. Default: the current branch.
 */
branch?: string, 
/**
 * Exactly the files to commit, relative to the project (default: the
 * landed ones). Nothing else is staged for the commit.
 */
paths?: Array<string>, };

export type CommitOutcome = { 
/**
 * The new commit's id.
 */
commit: string, 
/**
 * The branch it is on.
 */
branch: string, 
/**
 * The branch was created for it.
 */
createdBranch: boolean, 
/**
 * The files committed.
 */
paths: Array<string>, 
/**
 * The message as given to git.
 */
message: string, 
/**
 * The landings it holds all of.
 */
landings: number[], 
/**
 * What git and the hooks printed.
 */
output: string, };

export type PullRequestParams = { 
/**
 * The remote to push to (default: the branch's upstream remote, else
 * `origin`, else the only one).
 */
remote?: string, 
/**
 * The branch to merge into (default: the remote repository's default branch).
 */
base?: string, 
/**
 * Open it as a draft.
 */
draft?: boolean, 
/**
 * The branch to push (default: the current one).
 */
branch?: string, };

export type PullRequestOutcome = { 
/**
 * The branch.
 */
branch: string, 
/**
 * The remote.
 */
remote: string, 
/**
 * The title.
 */
title: string, 
/**
 * The body: the message, the sessions and their prompts.
 */
body: string, 
/**
 * The pull request's address, when `gh` opened one.
 */
url: string | null, 
/**
 * Why nothing was done (`gh` missing or logged out), when so.
 */
note: string | null, 
/**
 * The commands, shell-quoted: what was run, or what to run by hand.
 */
commands: Array<string>, 
/**
 * What git and `gh` printed.
 */
output: string, };

export type KeepParams = { 
/**
 * The task.
 */
task: string, 
/**
 * Hunk and change ids of its attempts to land (an attempt kept whole is
 * its change ids). Two hunks of different attempts over overlapping
 * lines of the same file conflict: the request is refused.
 */
ids: Array<string>, };

export type StageConfig = { 
/**
 * Ignored paths of the project (relative: `node_modules`, `.env`,
 * `target`) copied into each stage: cloned copy-on-write where the file
 * system can, copied otherwise; never linked back into the project.
 */
bring: Array<string>, 
/**
 * A shell command run in each new stage before the agent starts (its
 * output in the session's terminal; a failure is shown and the agent
 * starts anyway).
 */
setup?: string, };

export type AttemptAgent = { 
/**
 * The agent's command line. A terminal agent gets the task as its last
 * argument; a chat agent gets it as its first prompt.
 */
command: Array<string>, 
/**
 * A terminal (the default) or a chat (ACP) agent.
 */
kind?: SessionKind, };

export type StartAttemptsParams = { 
/**
 * The task: a prompt for agents, or (with no agents) a shell command
 * line run in each stage.
 */
task: string, 
/**
 * How many attempts, 1 to 8.
 */
count: number, 
/**
 * The agents, taken in turn for the attempts (attempt `i` runs agent
 * `i % agents.len()`); none: the task is a command line run by the shell.
 */
agents: Array<AttemptAgent>, 
/**
 * A shell command run in each stage once its attempt's turn has ended
 * (or its process exited); its output and result are kept.
 */
test?: string, 
/**
 * The branch or commit the stages start from (default: HEAD).
 */
base?: string, 
/**
 * Terminal width in columns.
 */
cols?: number, 
/**
 * Terminal height in rows.
 */
rows?: number, };

export type TaskInfo = { 
/**
 * The task's id, `t-` followed by hex.
 */
id: string, 
/**
 * What was asked.
 */
task: string, 
/**
 * The test command, if any.
 */
test?: string, 
/**
 * Its sessions, one per attempt, in attempt order.
 */
sessions: Array<string>, 
/**
 * Milliseconds since the Unix epoch.
 */
createdAt: number, };

export type TestState = "running" | "passed" | "failed";

export type TestResult = { 
/**
 * Running, passed or failed.
 */
state: TestState, 
/**
 * Its exit code, once it exited.
 */
exitCode?: number, 
/**
 * What it printed (stdout and stderr, the last 64 KiB).
 */
output: string, };

export type AttemptTotals = { 
/**
 * The attempt's session.
 */
session: string, 
/**
 * Its name.
 */
name: string, 
/**
 * Files it changed (pending).
 */
files: number, 
/**
 * Lines it adds.
 */
added: number, 
/**
 * Lines it removes.
 */
removed: number, 
/**
 * Its test run, when the task has a test command and it ran.
 */
test?: TestResult, 
/**
 * Whether the session is gone (removed): its totals are zero.
 */
gone: boolean, };

export type AttemptFile = { 
/**
 * The attempt's session.
 */
session: string, 
/**
 * The change (for `getDiff`, `approve`).
 */
change: string, 
/**
 * Its version (for `approve`).
 */
version: string, 
/**
 * Lines added.
 */
additions: number, 
/**
 * Lines removed.
 */
deletions: number, 
/**
 * Its hunks against the project.
 */
hunks: Array<HunkHeader>, };

export type ComparedFile = { 
/**
 * Its path in the project.
 */
path: string, 
/**
 * The attempts that changed it, in attempt order.
 */
attempts: Array<AttemptFile>, };

export type Comparison = { 
/**
 * The task.
 */
task: TaskInfo, 
/**
 * Each attempt's totals, in attempt order.
 */
attempts: Array<AttemptTotals>, 
/**
 * Every file any attempt changed, by path.
 */
files: Array<ComparedFile>, };

/** How many hunks the review pane asks for first (the engine highlights them ahead). */
export const FIRST_WINDOW_HUNKS = 12;

/** Changes with these badges start collapsed. */
export const COLLAPSED_BADGES: readonly BadgeKind[] = ["lockfile", "generated"];

/** The reply to each request, by its `op`. */
export interface Replies {
  status: Extract<Response, { type: "status" }>;
  startSession: Extract<Response, { type: "session" }>;
  stopSession: Extract<Response, { type: "done" }>;
  restartSession: Extract<Response, { type: "session" }>;
  removeSession: Extract<Response, { type: "done" }>;
  listOrphans: Extract<Response, { type: "orphans" }>;
  cleanOrphans: Extract<Response, { type: "orphans" }>;
  writeInput: Extract<Response, { type: "done" }>;
  resizeSession: Extract<Response, { type: "done" }>;
  readScrollback: Extract<Response, { type: "scrollback" }>;
  listChanges: Extract<Response, { type: "changes" }>;
  getDiff: Extract<Response, { type: "diff" }>;
  getLines: Extract<Response, { type: "lines" }>;
  prompt: Extract<Response, { type: "prompted" }>;
  cancel: Extract<Response, { type: "done" }>;
  transcript: Extract<Response, { type: "transcript" }>;
  listFiles: Extract<Response, { type: "files" }>;
  comment: Extract<Response, { type: "comments" }>;
  deleteComment: Extract<Response, { type: "comments" }>;
  listComments: Extract<Response, { type: "comments" }>;
  sendReview: Extract<Response, { type: "reviewSent" }>;
  setChatConfig: Extract<Response, { type: "done" }>;
  listAgents: Extract<Response, { type: "agents" }>;
  setChatMode: Extract<Response, { type: "done" }>;
  approve: Extract<Response, { type: "decided" }>;
  reject: Extract<Response, { type: "decided" }>;
  approveEdited: Extract<Response, { type: "decided" }>;
  approveLines: Extract<Response, { type: "decided" }>;
  listLandings: Extract<Response, { type: "landings" }>;
  undo: Extract<Response, { type: "decided" }>;
  undoReject: Extract<Response, { type: "decided" }>;
  approveAll: Extract<Response, { type: "decided" }>;
  rejectAll: Extract<Response, { type: "decided" }>;
  getThemeCss: Extract<Response, { type: "themeCss" }>;
  commitPlan: Extract<Response, { type: "commitPlan" }>;
  commit: Extract<Response, { type: "committed" }>;
  openPullRequest: Extract<Response, { type: "pullRequest" }>;
  getStageConfig: Extract<Response, { type: "stageConfig" }>;
  setStageConfig: Extract<Response, { type: "stageConfig" }>;
  startAttempts: Extract<Response, { type: "task" }>;
  listTasks: Extract<Response, { type: "tasks" }>;
  compare: Extract<Response, { type: "comparison" }>;
  keep: Extract<Response, { type: "decided" }>;
  finishTask: Extract<Response, { type: "done" }>;
}
