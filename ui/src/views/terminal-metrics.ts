// What the terminal pane knows about xterm without loading it: the font, for
// sizing a session before its terminal exists, and the platform's keys and colours.

export const FONT_FAMILY = 'ui-monospace, "SFMono-Regular", "JetBrains Mono", "Cascadia Code", Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace';
export const FONT_SIZE = 13;
export const LINE_HEIGHT = 1.2;

export const darkQuery = window.matchMedia('(prefers-color-scheme: dark)');

export const isMac = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
