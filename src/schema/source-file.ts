// A loaded configuration file and the position arithmetic diagnostics need. Nodes carry character
// offsets; line/column/byte are computed only when a diagnostic is rendered.
import { graphemes } from './graphemes.js';

export interface Pos {
  line: number;
  column: number;
  byte: number;
}

export interface Range {
  filename: string;
  start: Pos;
  end: Pos;
}

/** Offsets into one file; resolved to a Range by SourceFile.range(). */
export interface Span {
  file: SourceFile;
  start: number;
  end: number;
}

export class SourceFile {
  private lineStarts: number[] = [0];
  private ascii: boolean;

  constructor(
    readonly filename: string,
    readonly text: string,
  ) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
    this.ascii = !/[^\x00-\x7f]/.test(text);
  }

  /** A text that sits inside this file at `at` (a JSON string's value): its positions are this
   *  file's, exact while the text is the file's bytes there (no escapes before the point). */
  embedded(at: number, text: string): SourceFile {
    const parent = this;
    return new (class extends SourceFile {
      override pos(offset: number): Pos {
        return parent.pos(Math.min(at + offset, parent.text.length));
      }
    })(this.filename, text);
  }

  pos(offset: number): Pos {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    // Columns count grapheme clusters, bytes count UTF-8: the two units HCL reports.
    const lineText = this.text.slice(this.lineStarts[lo], offset);
    const byte = this.ascii ? offset : Buffer.byteLength(this.text.slice(0, offset));
    return { line: lo + 1, column: (this.ascii ? lineText.length : graphemes(lineText)) + 1, byte };
  }

  span(start: number, end: number): Span {
    return { file: this, start, end };
  }
}

export function toRange(span: Span): Range {
  return { filename: span.file.filename, start: span.file.pos(span.start), end: span.file.pos(span.end) };
}
