// The inline editor for "edit before approve": CodeMirror 6 with the few
// extensions it needs (loaded on first use, so the main bundle stays small).

import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { EditorState } from '@codemirror/state';
import { drawSelection, EditorView, highlightActiveLine, keymap, lineNumbers } from '@codemirror/view';

export interface EditorOptions {
  /** The number of the first line, for the gutter. */
  firstLine: number;
  /** The accessible name of the text area. */
  label: string;
  onSubmit(): void;
  onCancel(): void;
}

export interface InlineEditor {
  text(): string;
  focus(): void;
  destroy(): void;
}

const theme = EditorView.theme({
  '&': { fontSize: '12px', backgroundColor: 'var(--bg-sunken)', color: 'var(--text)' },
  '&.cm-focused': { outline: 'none' },
  '.cm-scroller': { fontFamily: 'var(--font-code)', lineHeight: '20px', maxHeight: '420px' },
  '.cm-content': { caretColor: 'var(--text)', padding: '2px 0' },
  '.cm-cursor, .cm-dropCursor': { borderLeftColor: 'var(--text)' },
  '.cm-gutters': { backgroundColor: 'var(--add-gutter)', color: 'var(--text-faint)', border: 'none' },
  '.cm-activeLine': { backgroundColor: 'var(--bg-hover)' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection': { backgroundColor: 'var(--bg-selected) !important' },
});

export function createEditor(parent: HTMLElement, doc: string, o: EditorOptions): InlineEditor {
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        lineNumbers({ formatNumber: (n) => String(n + o.firstLine - 1) }),
        history(),
        drawSelection(),
        highlightActiveLine(),
        // Ours first: Mod-Enter and Escape must win over the defaults.
        keymap.of([
          { key: 'Mod-Enter', run: () => (o.onSubmit(), true) },
          { key: 'Escape', run: () => (o.onCancel(), true) },
          ...defaultKeymap,
          ...historyKeymap,
        ]),
        EditorView.contentAttributes.of({ 'aria-label': o.label, 'data-testid': 'hunk-editor' }),
        theme,
      ],
    }),
  });
  return {
    text: () => view.state.doc.toString(),
    focus: () => view.focus(),
    destroy: () => view.destroy(),
  };
}
