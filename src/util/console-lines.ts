// A guest's serial console as a person reads it on a terminal: escape sequences gone, and a carriage
// return starting its line again (systemd redraws its status lines so; a line ending in one keeps what
// it shows). One reading for the boot's progress line and the report's console tail.

/** CSI sequences (colours, cursor moves), charset selections and keypad modes. */
const ESCAPES = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]/g;
/** C0 controls but tab, DEL, and what a cut multi-byte character decodes to. */
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f\ufffd]/g;

/** The console's lines as shown, in order (blank ones kept). */
export function consoleLines(text: string): string[] {
  return text
    .replace(ESCAPES, '')
    .split('\n')
    .map((l) => {
      const shown = l.replace(/\r+$/, '');
      return shown.slice(shown.lastIndexOf('\r') + 1).replace(CONTROLS, '');
    });
}
