// Node module hooks (module.register) that append each loaded file: URL to the file named in
// `data.logFile`, one a line, before the module runs; used to see which bundle chunks a route loads.
import { appendFileSync } from 'node:fs';

let logFile;

export function initialize(data) {
  logFile = data.logFile;
}

export async function load(url, context, nextLoad) {
  if (url.startsWith('file:')) appendFileSync(logFile, `${url}\n`);
  return nextLoad(url, context);
}
