import { describe, expect, it } from '@jest/globals';
import { colourEnabled, paintStatus } from '../src/output/colour.js';
import { renderTable, type Column } from '../src/output/table.js';
import { CLEAR_SCREEN, watch } from '../src/output/watch.js';

interface Row {
  id: string;
  status: 'busy' | 'failed';
}
const columns: Array<Column<Row>> = [
  { header: 'Runner', value: (r) => r.id },
  { header: 'Status', value: (r) => r.status, paint: (text, r) => paintStatus(text, r.status) },
  { header: 'Note', value: () => '' },
];
const rows: Row[] = [
  { id: 'ecs-runner-1', status: 'busy' },
  { id: 'ecs-runner-22', status: 'failed' },
];

describe('the runners table', () => {
  it('aligns the columns under an underlined header, without colours when they are off', () => {
    expect(renderTable(rows, columns, { colour: false }).split('\n')).toEqual([
      '  Runner          Status   Note',
      ` ${'─'.repeat(30)}`,
      '  ecs-runner-1    busy',
      '  ecs-runner-22   failed',
    ]);
  });

  it('colours only the status cells when colours are on', () => {
    const lines = renderTable(rows, columns, { colour: true }).split('\n');
    expect(lines[2]).toBe('  ecs-runner-1    \u001b[32mbusy\u001b[0m');
    expect(lines[3]).toBe('  ecs-runner-22   \u001b[31mfailed\u001b[0m');
    expect(lines[0]).not.toContain('\u001b[');
  });

  it("cuts lines at the terminal's width, leaving a cut cell uncoloured", () => {
    const lines = renderTable(rows, columns, { colour: true, width: 20 }).split('\n');
    expect(lines.every((line) => line.length <= 20)).toBe(true);
    expect(lines[3]).toBe('  ecs-runner-22   fa');
  });
});

describe('colours', () => {
  it('are on only for a terminal without NO_COLOR (an empty NO_COLOR counts as unset) or TERM=dumb', () => {
    expect(colourEnabled({ isTTY: true }, {})).toBe(true);
    expect(colourEnabled({ isTTY: false }, {})).toBe(false);
    expect(colourEnabled({}, {})).toBe(false);
    expect(colourEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colourEnabled({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(colourEnabled({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
  });
});

describe('--watch', () => {
  async function frames(inPlace: boolean): Promise<{ written: string[]; waits: number[] }> {
    const stop = new AbortController();
    const written: string[] = [];
    const waits: number[] = [];
    let n = 0;
    await watch(async () => `frame ${++n}`, {
      intervalMs: 5000,
      inPlace,
      signal: stop.signal,
      write: (text) => written.push(text),
      sleep: async (ms) => {
        waits.push(ms);
        if (n === 3) stop.abort();
      },
    });
    return { written, waits };
  }

  it('redraws each frame in place on a terminal, waiting the interval between them, until stopped', async () => {
    expect(await frames(true)).toEqual({ written: [`${CLEAR_SCREEN}frame 1\n`, `${CLEAR_SCREEN}frame 2\n`, `${CLEAR_SCREEN}frame 3\n`], waits: [5000, 5000, 5000] });
  });

  it('prints the frames one after another when not on a terminal', async () => {
    expect((await frames(false)).written).toEqual(['frame 1\n', 'frame 2\n', 'frame 3\n']);
  });
});
