/**
 * A plain text table in the style of @oclif/table's "headers-only-with-underline",
 * without its renderer (React and Ink cost most of a second to import, more than
 * a whole `runners list` may take).
 */
export interface Column<R> {
  header: string;
  value: (row: R) => string;
  /** Colours the cell (only when colours are on, and only a cell shown whole). */
  paint?: (text: string, row: R) => string;
}

export interface TableOptions {
  /** Cut every line at this many characters (the terminal's width). */
  width?: number;
  colour: boolean;
}

const MARGIN = '  ';
const GAP = '   ';

export function renderTable<R>(rows: readonly R[], columns: ReadonlyArray<Column<R>>, options: TableOptions): string {
  const cells = rows.map((row) => columns.map((c) => oneLine(c.value(row))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const line = (texts: string[], row?: R) => {
    let out = MARGIN;
    let visible = MARGIN.length;
    for (const [i, text] of texts.entries()) {
      const last = i === texts.length - 1;
      const padded = last ? text : text.padEnd(widths[i]!) + GAP;
      const room = options.width === undefined ? Infinity : options.width - visible;
      if (room <= 0) break;
      const shown = padded.length > room ? padded.slice(0, room) : padded;
      const paint = columns[i]!.paint;
      out += options.colour && paint && row !== undefined && shown.length >= text.length && text !== '' ? paint(text, row) + shown.slice(text.length) : shown;
      visible += shown.length;
    }
    return out.trimEnd();
  };
  const total = MARGIN.length + widths.reduce((sum, w) => sum + w, 0) + GAP.length * (columns.length - 1);
  const underline = ` ${'─'.repeat(Math.max(0, Math.min(total - 1, (options.width ?? Infinity) - 1)))}`;
  return [line(columns.map((c) => c.header)), underline, ...cells.map((texts, i) => line(texts, rows[i]))].join('\n');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ');
}
