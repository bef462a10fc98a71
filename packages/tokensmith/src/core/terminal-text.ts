/**
 * Text from a server made safe to show on a terminal. A server's words (OAuth `error_description`,
 * Kaltura messages, a device login's `verification_uri`) may carry escape sequences that clear the
 * screen, set the window title, hide text or write to the clipboard, CR/LF that forge whole output
 * lines, and bidi controls that reorder what is shown. {@link terminalSafe} removes them all.
 * @module
 */

// ESC or the 8-bit CSI (U+009B) followed by a control sequence: parameters, intermediates, a final byte.
const CSI = /(?:\u001b\[|\u009b)[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]/g;
// OSC, DCS, SOS, PM and APC strings (7-bit and 8-bit introducers) up to their terminator (BEL or ST),
// or to the end of the text when unterminated, as a terminal would swallow it.
const STRING_SEQUENCE =
  /(?:\u001b[\u005d\u0050\u0058\u005e\u005f]|[\u009d\u0090\u0098\u009e\u009f])[\s\S]*?(?:\u0007|\u001b\\|\u009c|$)/g;
// Any other escape: ESC, optional intermediates, one final character.
const OTHER_ESCAPE = /\u001b[\u0020-\u002f]*[\u0030-\u007e]?/g;
// Line breaks and other spacing controls: one space, so words stay apart and no line is forged.
const SPACING = /[\t\n\v\f\r\u0085\u2028\u2029]+/g;
// What is left: C0 and C1 controls, DEL, and the bidi embeddings, overrides, isolates and marks.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// The same without LF, for multiline text.
const CONTROL_BUT_LF =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Options of {@link terminalSafe}. */
export interface TerminalSafeOptions {
  /** Keep line feeds (for stack traces); every other control is still removed. Default false. */
  multiline?: boolean;
}

/**
 * `text` without anything a terminal would interpret: ESC sequences (CSI, OSC, DCS and the rest, in
 * their 7-bit and 8-bit forms) are removed whole, runs of CR, LF, tab and the other line or page
 * breaks become one space (unless `multiline`, which keeps LF), and every other C0/C1 control, DEL and
 * every bidi control is removed. Visible characters are never changed.
 *
 * @example
 * terminalSafe('\u001b]0;pwned\u0007bad\r\nclient') // 'bad client'
 */
export function terminalSafe(text: string, options: TerminalSafeOptions = {}): string {
  if (typeof text !== 'string') return text;
  const withoutSequences = text.replace(STRING_SEQUENCE, '').replace(CSI, '').replace(OTHER_ESCAPE, '');
  if (!options.multiline) return withoutSequences.replace(SPACING, ' ').replace(CONTROL, '');
  return withoutSequences
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(SPACING, ' '))
    .join('\n')
    .replace(CONTROL_BUT_LF, '');
}
