// What views may ask of the app. Kept apart from app.ts so views do not import it.

import type { ErrorCode, Request, SessionKind, SessionMode, NetworkMode } from './ipc/bindings';
import type { Store } from './store';
import type { ReplyTo, Scrollback } from './ipc/transport';

export type Decision = 'approve' | 'reject';

/** What the user answers an action card with. */
export type ActionAnswer = 'allow' | 'always' | 'deny';

/** The outcome of removing a session: gone, refused for pending changes, or failed (already reported). */
export type Removal = { kind: 'removed' } | { kind: 'pending'; changes: number } | { kind: 'failed' };

/** A reply, or the engine's error message. */
export type Attempt<T> = { ok: true; value: T } | { ok: false; message: string };

export interface Ctx {
  readonly store: Store;
  /** Sends a request; on failure shows the error banner (unless its code is `quiet`) and resolves to null. */
  call<R extends Request>(req: R, opts?: { quiet?: ErrorCode[] }): Promise<ReplyTo<R> | null>;
  /** Sends a request and hands back the engine's error message instead of showing it (for a dialog that shows it in place). */
  attempt<R extends Request>(req: R): Promise<Attempt<ReplyTo<R>>>;
  /** A session's scrollback as bytes; on failure shows the error banner and resolves to null. */
  readScrollback(session: string): Promise<Scrollback | null>;
  /** Approves or rejects hunk and change ids; true when the engine accepted it. */
  decide(decision: Decision, ids: string[], reason?: string): Promise<boolean>;
  /** Approves or rejects everything pending. */
  decideAll(decision: Decision, reason?: string): Promise<boolean>;
  /** Lands an edited version of a hunk (`text`: the replacement lines with their line endings). */
  approveEdited(hunk: string, text: string): Promise<boolean>;
  /** Lands some lines of a hunk (0-based indices among its removed and added lines). */
  approveLines(hunk: string, removed: number[], added: number[]): Promise<boolean>;
  /** Reverts a landing. */
  undo(landing: number): Promise<boolean>;
  /** Undoes the last decision made in this window: an approval's landing, or a staged rejection. */
  undoLast(): Promise<void>;
  /**
   * Starts a session (the user's shell when `command` is absent) and selects it.
   * Resolves with the engine's error message when it refused, else null.
   */
  startSession(command: string[] | undefined, opts?: { name?: string; mode?: SessionMode; kind?: SessionKind; network?: NetworkMode; base?: string }): Promise<string | null>;
  stopSession(id: string): Promise<void>;
  restartSession(id: string): Promise<void>;
  /** Removes a session; without `force`, one with pending changes is refused (`pending`). */
  removeSession(id: string, force?: boolean): Promise<Removal>;
  /** Allows (once or always) or denies a waiting action; true when the engine took it. */
  decideAction(id: string, answer: ActionAnswer, reason?: string): Promise<boolean>;
  /**
   * Shows the pending change of `path` (relative to the session's folder, or
   * absolute inside it) in the review pane; false when none is pending.
   */
  showChange(session: string, path: string): boolean;
  /** Opens an http(s) link from an agent's output: a new tab in a browser, the clipboard in the desktop window. */
  openLink(uri: string): void;
  /** True inside the desktop window (Tauri), false in a browser. */
  readonly desktop: boolean;
  /** A terminal size that fits the terminal pane, for a session about to start. */
  terminalSize(): { cols: number; rows: number };
  error(message: string): void;
  /** A short-lived notice. */
  notify(message: string): void;
}
