import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { BotocoreModel } from './recorded-requests.js';

/** botocore's data directory: BOTOCORE_DATA, or the installed botocore's (moto depends on it). */
export function botocoreDataDir(): string {
  if (process.env.BOTOCORE_DATA) return process.env.BOTOCORE_DATA;
  const dir = execFileSync('python3', ['-c', 'import botocore,os;print(os.path.dirname(botocore.__file__))'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  return join(dir, 'data');
}

const models = new Map<string, BotocoreModel>();

/** The full service-2.json of a botocore service (its newest API version). */
export function botocoreModel(service: string, dataDir = botocoreDataDir()): BotocoreModel {
  let model = models.get(service);
  if (!model) {
    const versions = readdirSync(join(dataDir, service)).filter((v) => existsSync(join(dataDir, service, v, 'service-2.json.gz'))).sort();
    if (versions.length === 0) throw new Error(`botocore has no model for ${service} in ${dataDir}`);
    model = JSON.parse(gunzipSync(readFileSync(join(dataDir, service, versions.at(-1)!, 'service-2.json.gz'))).toString('utf8')) as BotocoreModel;
    models.set(service, model);
  }
  return model;
}
