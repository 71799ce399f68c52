/** How `--watch` shows each refresh. */
export interface WatchOptions {
  intervalMs: number;
  /** On a terminal each frame replaces the last; otherwise frames follow one another. */
  inPlace: boolean;
  write: (text: string) => void;
  /** Ends the watch (Ctrl-C). */
  signal: AbortSignal;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Cursor home, clear the screen: the next frame is drawn where the last one was. */
export const CLEAR_SCREEN = '\u001b[H\u001b[2J';

/** Renders a frame, shows it, waits, and again, until the signal aborts. */
export async function watch(frame: () => Promise<string>, options: WatchOptions): Promise<void> {
  const sleep = options.sleep ?? abortableSleep;
  while (!options.signal.aborted) {
    const text = await frame();
    if (options.signal.aborted) break;
    options.write(options.inPlace ? `${CLEAR_SCREEN}${text}\n` : `${text}\n`);
    await sleep(options.intervalMs, options.signal);
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
